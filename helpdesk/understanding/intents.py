"""The intents the bot recognises (contracts.md, "Intents")."""

from __future__ import annotations

from typing import Final

INTENTS: Final[tuple[str, ...]] = (
    "webmail",
    "client_settings",
    "autoreply",
    "imap_vs_pop",
    "not_received",
    "bounce",
    "spam_placement",
    "backup",
    "auto_cc",
    "password_forgot",
    "password_change",
    "spf",
    "mailbox_create",
    "forwarding",
    "alias",
    "antispam",
    "quota_full",
    "sending_limit",
    "human",
    "greeting",
    "thanks",
    "out_of_scope",
)

# Intents answered by the conversation itself rather than by a knowledge-base article.
CONVERSATIONAL_INTENTS: Final[frozenset[str]] = frozenset(
    {"human", "greeting", "thanks", "out_of_scope"}
)

LANGUAGES: Final[tuple[str, ...]] = ("fr", "en")
