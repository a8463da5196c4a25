"""Application keys of the mailbox service and of password resets."""

from __future__ import annotations

from aiohttp import web

from helpdesk.mailbox.reset import PasswordResets
from helpdesk.mailbox.service import MailboxService
from helpdesk.mailbox.sheets import SettingsSheets

MAILBOXES = web.AppKey("mailboxes", MailboxService)
RESETS = web.AppKey("password_resets", PasswordResets)
SHEETS = web.AppKey("settings_sheets", SettingsSheets)
