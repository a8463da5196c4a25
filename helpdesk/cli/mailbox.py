"""`helpdesk mailbox add|show|list|set-password|suspend|resume`: the mailbox service by hand.

Works on the configured service: the embedded store (the help desk database, migrated
first) or a provider's mailbox API. Passwords are read on stdin and must meet the
provider's policy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from helpdesk.cli import UserError
from helpdesk.cli._common import load_settings, read_secret
from helpdesk.wording import LANGUAGES

if TYPE_CHECKING:
    from helpdesk.config import Settings
    from helpdesk.mailbox.service import Mailbox, MailboxService
    from helpdesk.outbox import Outbox

T = TypeVar("T")

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
PROBLEM_TEXT = {
    "too_short": "it needs at least {n} characters",
    "too_long": "it is too long",
    "bad_start": "it must start with a letter or a digit",
    "control": "it contains control characters",
    "common": "it is too easy to guess (a common word, a run of keys or digits)",
    "contains_address": "it must not contain the address",
}


def parse_size(text: str) -> int:
    """`5G`, `500M`, `1.5GiB`, `2048` (bytes) -> bytes; binary units."""
    match = _SIZE.match(text)
    if not match:
        raise UserError(f"--quota: expected a size such as 500M or 5G, got {text!r}")
    size = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    if size <= 0:
        raise UserError(f"--quota: the size must be positive, got {text!r}")
    return size


def register(sub: Any) -> None:
    parser = sub.add_parser("mailbox", help="manage mailboxes of the mailbox service")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="create a mailbox; the password is read on stdin")
    add.add_argument("address")
    add.add_argument("--recovery", required=True, metavar="EMAIL", help="recovery address")
    add.add_argument("--quota", metavar="SIZE", help="quota such as 5G or 500M (default: none)")
    add.add_argument("--server", metavar="NAME", help="mail server (default: the first one)")
    add.add_argument("--label", metavar="TEXT", default="", help="description of the account")
    add.set_defaults(func=run_add)

    show = actions.add_parser("show", help="print one mailbox")
    show.add_argument("address")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    show.set_defaults(func=run_show)

    listing = actions.add_parser("list", help="print every mailbox, one a line")
    listing.add_argument("--json", action="store_true", help="one JSON object a line")
    listing.set_defaults(func=run_list)

    password = actions.add_parser(
        "set-password", help="set the password (read on stdin); voids pending reset links"
    )
    password.add_argument("address")
    password.set_defaults(func=run_set_password)

    suspend = actions.add_parser("suspend", help="suspend a mailbox (log-ins refused)")
    suspend.add_argument("address")
    suspend.add_argument(
        "--hours", type=int, metavar="N", help="end the suspension after N hours (default: never)"
    )
    suspend.set_defaults(func=run_suspend)

    resume = actions.add_parser("resume", help="end a suspension")
    resume.add_argument("address")
    resume.set_defaults(func=run_resume)

    sheet = actions.add_parser(
        "send-settings",
        help="mail a one-time link to the client settings sheet to the recovery address",
    )
    sheet.add_argument("address")
    sheet.add_argument(
        "--lang", choices=LANGUAGES.codes, default=LANGUAGES.default, help="language of the mail"
    )
    sheet.set_defaults(func=run_send_settings)


def _run(settings: Settings, action: Callable[[MailboxService], Awaitable[T]]) -> T:
    """Run `action` on the configured mailbox service; its errors become one-line UserErrors."""
    return _run_with_outbox(settings, lambda service, _outbox: action(service))


def _run_with_outbox(
    settings: Settings, action: Callable[[MailboxService, Outbox], Awaitable[T]]
) -> T:
    """`_run`, with the outbox of the help desk database too."""
    import aiohttp
    from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

    from helpdesk.db import session_factory
    from helpdesk.mailbox.embedded import EmbeddedMailboxService
    from helpdesk.mailbox.http_client import HttpMailboxService
    from helpdesk.mailbox.service import MailboxError
    from helpdesk.outbox import Outbox
    from helpdesk.storage import open_engine

    async def go() -> T:
        engine = open_engine(settings)
        sessions = session_factory(engine)
        try:
            async with aiohttp.ClientSession() as http:
                service: MailboxService = EmbeddedMailboxService(sessions)
                if settings.mailbox_service:
                    service = HttpMailboxService(
                        settings.mailbox_service, settings.mailbox_service_token, http
                    )
                return await action(service, Outbox(sessions))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(go())
    except MailboxError as exc:
        raise UserError(str(exc)) from None
    except (OperationalError, ProgrammingError, DBAPIError) as exc:
        first = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
        raise UserError(
            f"the mailbox store cannot be used ({first}): run `helpdesk migrate` first"
        ) from None


def _check_password(settings: Settings, password: str, address: str) -> None:
    from helpdesk.mailbox.policy import PasswordPolicy

    policy = PasswordPolicy(settings.provider.password_min_length)
    problems = policy.problems(password, address)
    if problems:
        reasons = "; ".join(
            PROBLEM_TEXT[p].format(n=policy.min_length) for p in problems if p in PROBLEM_TEXT
        )
        raise UserError(f"the password is refused: {reasons}")


def _text(mailbox: Mailbox) -> str:
    data = mailbox.to_json()
    return "\n".join(f"{key}: {'' if value is None else value}" for key, value in data.items())


def run_add(args: argparse.Namespace) -> int:
    from helpdesk.mailbox.service import NewMailbox

    settings = load_settings(args)
    address = args.address.strip().lower()
    server = (args.server or settings.provider.servers[0]).strip().lower()
    if server not in settings.provider.servers:
        known = ", ".join(settings.provider.servers)
        raise UserError(f"--server: {args.server!r} is not one of the provider's servers ({known})")
    quota = parse_size(args.quota) if args.quota else None
    password = read_secret("Password: ")
    _check_password(settings, password, address)
    new = NewMailbox(address, password, args.recovery, server, quota, args.label)
    mailbox = _run(settings, lambda service: service.create(new))
    print(f"mailbox {mailbox.address} created on {mailbox.server}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    mailbox = _run(settings, lambda service: service.get(args.address))
    if mailbox is None:
        raise UserError(f"no mailbox {args.address.strip().lower()}")
    print(json.dumps(mailbox.to_json(), ensure_ascii=False) if args.json else _text(mailbox))
    return 0


def run_list(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    for mailbox in _run(settings, lambda service: service.list()):
        if args.json:
            print(json.dumps(mailbox.to_json(), ensure_ascii=False))
        else:
            print(
                f"{mailbox.address}\t{mailbox.status}\t{mailbox.server}\t"
                f"{mailbox.recovery_address or '-'}"
            )
    return 0


def run_set_password(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    password = read_secret("New password: ")
    _check_password(settings, password, args.address.strip().lower())
    mailbox = _run(settings, lambda service: service.set_password(args.address, password))
    print(f"password of {mailbox.address} changed; pending reset links are void")
    return 0


def run_suspend(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    if args.hours is not None and args.hours <= 0:
        raise UserError(f"--hours: expected a positive number of hours, got {args.hours}")
    until = datetime.now(UTC) + timedelta(hours=args.hours) if args.hours else None
    mailbox = _run(settings, lambda service: service.suspend(args.address, until))
    end = f" until {until.isoformat(timespec='minutes')}" if until else " until resumed"
    print(f"mailbox {mailbox.address} suspended{end}")
    return 0


def run_resume(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    mailbox = _run(settings, lambda service: service.resume(args.address))
    print(f"mailbox {mailbox.address} active")
    return 0


def run_send_settings(args: argparse.Namespace) -> int:
    from helpdesk.mailbox.mails import MailComposer
    from helpdesk.mailbox.sheets import SettingsSheets
    from helpdesk.templating import TEMPLATES_DIR

    settings = load_settings(args)

    async def send(service: MailboxService, outbox: Outbox) -> str | None:
        sheets = SettingsSheets(
            mailboxes=service,
            outbox=outbox,
            composer=MailComposer(TEMPLATES_DIR / "mail", settings.provider),
            public_url=settings.public_url,
        )
        if await service.get(args.address) is None:
            raise UserError(f"no mailbox {args.address.strip().lower()}")
        return await sheets.send(args.address, args.lang)

    recovery = _run_with_outbox(settings, send)
    if recovery is None:
        raise UserError(f"{args.address.strip().lower()} has no recovery address to send it to")
    print(f"settings sheet link queued for {recovery} (sent by `helpdesk serve`)")
    return 0
