"""`helpdesk staff add EMAIL --role admin|agent`: create a staff account (password on stdin)."""

from __future__ import annotations

import argparse
import asyncio
import re
from typing import Any

from helpdesk.cli import UserError
from helpdesk.cli._common import load_settings, read_secret

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10


def register(sub: Any) -> None:
    parser = sub.add_parser("staff", help="manage staff accounts")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="create a staff account; the password is read on stdin")
    add.add_argument("email")
    add.add_argument("--role", choices=("admin", "agent"), required=True)
    add.set_defaults(func=run_add)


def run_add(args: argparse.Namespace) -> int:
    from helpdesk.staff.accounts import DuplicateStaff, create_staff
    from helpdesk.storage import open_engine

    email = args.email.strip().lower()
    if not EMAIL.match(email):
        raise UserError(f"not an email address: {args.email!r}")
    settings = load_settings(args)
    password = read_secret("Password: ")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")

    async def go() -> int:
        engine = open_engine(settings)
        try:
            return await create_staff(engine, email, password, args.role)
        finally:
            await engine.dispose()

    try:
        staff_id = asyncio.run(go())
    except DuplicateStaff:
        raise UserError(f"a staff account {email} already exists") from None
    print(f"staff account {email} created (id {staff_id}, role {args.role})")
    return 0
