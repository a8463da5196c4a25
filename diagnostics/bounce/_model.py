"""Result types of bounce diagnosis: frozen dataclasses with codes and facts, no prose."""

from __future__ import annotations

from dataclasses import dataclass, field

# Who has to do something so that the message can get through.
ACTOR_SENDER = "sender"
ACTOR_RECIPIENT_PROVIDER = "recipient_provider"
ACTOR_OUR_PROVIDER = "our_provider"
ACTOR_NONE = "none"


@dataclass(frozen=True, slots=True)
class FailedRecipient:
    """What a bounce says about one recipient.

    Attributes:
        recipient: the recipient address, lower case, or "" when the bounce names none.
        action: DSN action (``failed``, ``delayed``, ``delivered``, ``relayed``, ``expanded``)
            or "" when unknown.
        replycode: SMTP reply code such as ``"550"``, or "".
        status: enhanced status code such as ``"5.1.1"``, or "".
        diagnostic: the remote server's diagnostic text (whitespace collapsed), or "".
        remote_mta: host name of the server that refused, or "".
        reason: reason name from Sisimai's vocabulary (``userunknown``, ``mailboxfull``, ...),
            ``undefined`` when nothing usable was found.
        actor: who must act: ``sender``, ``recipient_provider``, ``our_provider`` or ``none``.
        retryable: True when sending again later (unchanged) can succeed.
    """

    recipient: str
    action: str
    replycode: str
    status: str
    diagnostic: str
    remote_mta: str
    reason: str
    actor: str
    retryable: bool


@dataclass(frozen=True, slots=True)
class BounceReport:
    """The diagnosis of one input (a message, a forwarded message or pasted text).

    Attributes:
        recipients: one entry per failed recipient, in the order of the bounce; never empty
            (an unreadable input gives one entry with reason ``undefined``).
        kind: what the input was: ``dsn`` (RFC 3464 report), ``mta`` (an MTA's own text
            format), ``feedback`` (ARF complaint), ``autoreply``, ``text`` (pasted text),
            ``empty``.
        forwarded: True when the bounce was found inside a forwarded message.
        sender: the address the bounce was sent back to, or "".
        subject: the subject of the bounce (or of the forwarding message), or "".
    """

    recipients: tuple[FailedRecipient, ...]
    kind: str
    forwarded: bool = False
    sender: str = ""
    subject: str = ""
    extra: tuple[tuple[str, str], ...] = field(default=())

    @property
    def first(self) -> FailedRecipient:
        """The first failed recipient (the one a summary talks about)."""
        return self.recipients[0]

    @property
    def reason(self) -> str:
        """Reason of the first recipient."""
        return self.recipients[0].reason

    @property
    def status(self) -> str:
        """Enhanced status code of the first recipient."""
        return self.recipients[0].status

    @property
    def replycode(self) -> str:
        """SMTP reply code of the first recipient."""
        return self.recipients[0].replycode

    @property
    def recipient(self) -> str:
        """Address of the first recipient."""
        return self.recipients[0].recipient
