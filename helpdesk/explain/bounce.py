"""Explain a bounce diagnosis in French or English, with the provider's own facts.

The wording lives in ``templates/bounce/<lang>.yaml``, a catalogue like every other
(see helpdesk.wording), for each declared language: one table per reason with a summary,
an explanation and next steps, each a Jinja2 template fed with the provider profile and
the recipient's facts. This module loads and renders them, keeping what reads only the
profile rendered once per profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from jinja2 import Environment, StrictUndefined, Template, meta

from diagnostics.bounce import BounceReport, FailedRecipient
from helpdesk.resources import TEMPLATES_DIR as SHIPPED_TEMPLATES
from helpdesk.wording import LANGUAGES

if TYPE_CHECKING:
    from helpdesk.config import ProviderProfile

TEMPLATES_DIR = SHIPPED_TEMPLATES / "bounce"


@dataclass(frozen=True)
class Explanation:
    """What to tell the customer about one failed recipient (plain text, not escaped)."""

    lang: str
    reason: str
    recipient: str
    summary: str
    explanation: str
    steps: tuple[str, ...]
    actor: str
    retry: str

    def as_text(self) -> str:
        """Summary, explanation, who acts, retry, then the numbered steps."""
        lines = [self.summary, self.explanation, self.actor, self.retry]
        lines += [f"{n}. {step}" for n, step in enumerate(self.steps, 1)]
        return "\n".join(line for line in lines if line)

    @property
    def gist(self) -> str:
        """What it means and what to do, in one paragraph, without codes or the server's
        words (the answer to "what does that mean for me?")."""
        return " ".join((self.summary, self.explanation, *self.steps))


@lru_cache(maxsize=8)
def _wording(directory: Path, lang: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((directory / f"{lang}.yaml").read_text("utf-8"))
    return loaded


# These are plain-text explanations (CLI, e-mail replies, chat "text" fields that the
# client shows as text). HTML-escaping here would put "&amp;" into e-mails; the web layer
# escapes when it builds HTML, so autoescape stays off for this environment.
_ENVIRONMENT = Environment(
    autoescape=False,  # noqa: S701 - plain text, see above
    undefined=StrictUndefined,
)

# Context names whose values are the same for every bounce a process explains (the
# provider profile) or take two values (whether our own servers refused): a text that
# reads only these is rendered once per profile and value, not once per recipient.
_STABLE = frozenset({"provider", "ours"})


class _Text:
    """One piece of wording (a summary, a step, a label): its template and what it reads."""

    __slots__ = ("_constant", "_rendered", "_template")

    def __init__(self, source: str) -> None:
        self._template: Template = _ENVIRONMENT.from_string(source)
        names = meta.find_undeclared_variables(_ENVIRONMENT.parse(source))
        # None: the text reads the recipient's facts and is rendered for each one
        self._rendered: dict[tuple[int, object], tuple[object, str]] | None = (
            {} if _STABLE.issuperset(names) else None
        )
        self._constant = self._collapsed({}) if not names else None

    def _collapsed(self, context: dict[str, Any]) -> str:
        return " ".join(self._template.render(context).split())

    def render(self, context: dict[str, Any]) -> str:
        """The text rendered with `context`, whitespace collapsed."""
        if self._constant is not None:
            return self._constant
        if self._rendered is None:
            return self._collapsed(context)
        provider = context.get("provider")
        key = (id(provider), context.get("ours"))
        found = self._rendered.get(key)
        if found is None or found[0] is not provider:
            if len(self._rendered) >= 16:  # a process explains with one or two profiles
                self._rendered.clear()
            found = self._rendered[key] = (provider, self._collapsed(context))
        return found[1]


@lru_cache(maxsize=256)
def _reason_texts(directory: Path, lang: str, reason: str) -> tuple[_Text, ...]:
    """Summary, explanation and steps of `reason` (of "undefined" for an unknown reason)."""
    reasons = _wording(directory, lang)["reasons"]
    table = reasons.get(reason) or reasons["undefined"]
    return tuple(
        _Text(source) for source in [table["summary"], table["explanation"], *table["steps"]]
    )


@lru_cache(maxsize=64)
def _label_text(directory: Path, lang: str, name: str) -> _Text:
    return _Text(_wording(directory, lang)["labels"][name])


def _label(directory: Path, lang: str, name: str, context: dict[str, Any]) -> str:
    """The label `name` rendered with `context`, whitespace collapsed."""
    return _label_text(directory, lang, name).render(context)


def _ours(remote_mta: str, profile: ProviderProfile) -> bool:
    if not remote_mta:
        return True
    hosts = tuple(profile.servers) + tuple(profile.mx_hosts)
    return any(remote_mta == h or remote_mta.endswith("." + h) for h in hosts)


def explain_recipient(
    rec: FailedRecipient,
    profile: ProviderProfile,
    lang: str = "fr",
    directory: Path = TEMPLATES_DIR,
) -> Explanation:
    """Word the diagnosis of one recipient in `lang` ("fr" or "en")."""
    lang = LANGUAGES.pick(lang)
    context: dict[str, Any] = {
        "provider": profile,
        "recipient": rec.recipient,
        "domain": rec.recipient.rpartition("@")[2],
        "status": rec.status,
        "replycode": rec.replycode,
        "diagnostic": rec.diagnostic,
        "remote_mta": rec.remote_mta,
        "ours": _ours(rec.remote_mta, profile),
    }
    parts = [text.render(context) for text in _reason_texts(directory, lang, rec.reason)]
    retry = ""
    if rec.reason not in ("delivered", "vacation", "feedback"):
        retry = _label(directory, lang, "retry_yes" if rec.retryable else "retry_no", context)
    actor = f"actor_{rec.actor}"
    if actor not in _wording(directory, lang)["labels"]:
        actor = "actor_our_provider"
    return Explanation(
        lang=lang,
        reason=rec.reason,
        recipient=rec.recipient,
        summary=parts[0],
        explanation=parts[1],
        steps=tuple(parts[2:]),
        actor=_label(directory, lang, actor, context),
        retry=retry,
    )


def explain_report(
    report: BounceReport,
    profile: ProviderProfile,
    lang: str = "fr",
    directory: Path = TEMPLATES_DIR,
) -> list[Explanation]:
    """Word every failed recipient of `report`, in order."""
    return [explain_recipient(rec, profile, lang, directory) for rec in report.recipients]


def render_text(
    report: BounceReport,
    profile: ProviderProfile,
    lang: str = "fr",
    directory: Path = TEMPLATES_DIR,
    explanations: Sequence[Explanation] | None = None,
) -> str:
    """A readable report: per recipient, codes, the server's words and what to do.

    `explanations` are `explain_report`'s for the same report and language, when the
    caller already has them."""
    lang = LANGUAGES.pick(lang)
    if explanations is None:
        explanations = explain_report(report, profile, lang, directory)
    blocks = []
    for rec, text in zip(report.recipients, explanations, strict=True):
        context = {
            "provider": profile,
            "recipient": rec.recipient,
            "status": rec.status,
            "replycode": rec.replycode,
            "remote_mta": rec.remote_mta,
            "diagnostic": rec.diagnostic[:300],
        }
        lines = [_label(directory, lang, "heading", context), text.summary, text.explanation]
        if rec.status or rec.replycode:
            lines.append(_label(directory, lang, "codes", context))
        if rec.remote_mta:
            lines.append(_label(directory, lang, "server", context))
        if rec.diagnostic:
            lines.append(_label(directory, lang, "said", context))
        lines += [text.actor, text.retry, _label(directory, lang, "steps", context)]
        lines += [f"  {n}. {step}" for n, step in enumerate(text.steps, 1)]
        blocks.append("\n".join(line for line in lines if line))
    return "\n\n".join(blocks)
