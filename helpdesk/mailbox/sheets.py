"""Settings sheets: a one-time link to the account's client settings, never its password.

What the seed's providers send at account creation, to the recovery address.
"""

from __future__ import annotations

from datetime import timedelta

from helpdesk.mailbox.mails import MailComposer
from helpdesk.mailbox.models import LinkPurpose
from helpdesk.mailbox.service import LinkCheck, MailboxService
from helpdesk.outbox import Outbox

SHEET_TTL = timedelta(hours=72)


class SettingsSheets:
    def __init__(
        self,
        *,
        mailboxes: MailboxService,
        outbox: Outbox,
        composer: MailComposer,
        public_url: str,
        ttl: timedelta = SHEET_TTL,
    ) -> None:
        self._mailboxes = mailboxes
        self._outbox = outbox
        self._composer = composer
        self._public_url = public_url.rstrip("/")
        self._ttl = ttl

    def link_for(self, token: str) -> str:
        return f"{self._public_url}/settings/{token}"

    async def send(self, address: str, lang: str, *, ticket_id: int | None = None) -> str | None:
        """Mail a sheet link to the recovery address; returns it, or None when there is none."""
        mailbox = await self._mailboxes.get(address)
        if mailbox is None or not mailbox.recovery_address:
            return None
        link = await self._mailboxes.issue_link(
            mailbox.address, LinkPurpose.SETTINGS, self._ttl, f"- {lang}"
        )
        if link is None:
            return None
        message = self._composer.compose(
            "settings_link",
            lang,
            to=mailbox.recovery_address,
            address=mailbox.address,
            link=self.link_for(link.token),
            hours=int(self._ttl.total_seconds() // 3600),
        )
        await self._outbox.enqueue(message, ticket_id=ticket_id, sensitive=True)
        return mailbox.recovery_address

    async def check(self, token: str) -> LinkCheck:
        """What the link is worth; consumes nothing."""
        return await self._mailboxes.check_link(token, LinkPurpose.SETTINGS)

    async def open(self, token: str) -> LinkCheck:
        """Use the link: VALID (with the mailbox) once, then USED."""
        return await self._mailboxes.use_link(token, LinkPurpose.SETTINGS)
