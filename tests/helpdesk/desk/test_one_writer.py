"""Only the desk writes tickets, messages, events and conversations (issue 13).

Outside helpdesk/desk/ (and the migrations), no module constructs a row of those tables,
issues insert(), update() or delete() on them, or sets the fields that carry the ticket's
invariants (who holds it, its assignee, when it was resolved). Reading them is free.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

ROOT = REPO / "helpdesk"
OWNED = ("helpdesk/desk/", "helpdesk/migrations/")
ROWS = {"Ticket", "Message", "TicketEvent", "Conversation"}
STATEMENTS = {"insert", "update", "delete"}
INVARIANTS = {"holder", "assignee_id", "resolved_at"}


def _row_names(tree: ast.Module) -> set[str]:
    """The local names this module binds to the desk's models (`Message` of the email
    package is another class)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in (
            "helpdesk.db.models",
            "helpdesk.db",
        ):
            names.update(a.asname or a.name for a in node.names if a.name in ROWS)
    return names


def _is_row(node: ast.expr, names: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in names
    # models.Ticket, db.Message...
    return isinstance(node, ast.Attribute) and node.attr in ROWS


def writes(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = _row_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if _is_row(func, names):
                found.append(f"{node.lineno}: constructs {ast.unparse(func)}")
            elif called in STATEMENTS and node.args and _is_row(node.args[0], names):
                found.append(f"{node.lineno}: {ast.unparse(node)[:60]}")
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr in INVARIANTS:
                    found.append(f"{node.lineno}: sets {ast.unparse(target)}")
    return sorted(found, key=lambda line: int(line.split(":")[0]))


def test_only_the_desk_writes_tickets_messages_events_and_conversations() -> None:
    """Every write of a ticket, message, event or conversation goes through the desk."""
    offences = []
    for path in sorted(ROOT.rglob("*.py")):
        where = path.relative_to(REPO).as_posix()
        if not where.startswith(OWNED):
            offences += [f"{where}:{w}" for w in writes(path)]
    assert not offences, "writers outside helpdesk/desk/:\n" + "\n".join(offences)


def test_the_scan_sees_a_write(tmp_path: Path) -> None:
    """The scan catches a row built, an update issued and an invariant set, and lets the
    email package's own Message class be."""
    module = tmp_path / "writer.py"
    module.write_text(
        "from email.message import Message as Mail\n"
        "from helpdesk.db.models import Message, Ticket\n"
        "from sqlalchemy import update\n"
        "def f(session, ticket):\n"
        "    session.add(Message(body='x'))\n"
        "    update(Ticket).values(status='open')\n"
        "    ticket.holder = 'staff'\n"
        "    Mail()\n",
        encoding="utf-8",
    )
    assert [w.split(":")[0] for w in writes(module)] == ["5", "6", "7"]
