"""Admin work: staff accounts, retention of resolved tickets, erasing a customer's data."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from helpdesk.console.models import ConsoleAudit, TicketTerm
from helpdesk.console.search import SearchIndex
from helpdesk.db.models import Message, OutboxMail, Ticket, utcnow
from helpdesk.keys import SESSIONS
from tests.helpdesk.console.conftest import ADMIN, Client, Desk, csrf_of, log_in


async def post(admin: Client, path: str, **data: str) -> str:
    token = await csrf_of(admin, "/staff/admin")
    response = await admin.post(path, data={"csrf": token, **data}, allow_redirects=False)
    assert response.status == 303, await response.text()
    return str(response.headers["Location"])


async def count(desk: Desk, model: type, *where: object) -> int:
    async with desk.app[SESSIONS]() as session:
        return int(
            await session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]
        )


async def test_admin_adds_changes_and_disables_accounts(desk: Desk) -> None:
    """A new agent can log in; disabling them ends their session at once."""
    admin = await desk.staff(ADMIN)
    location = await post(
        admin, "/staff/admin/staff", email="New.Agent@zindex.fr", role="agent", password="x" * 12
    )
    assert "done=staff_added" in location
    assert "refused=short_password" in await post(
        admin, "/staff/admin/staff", email="b@zindex.fr", role="agent", password="short"
    )
    newcomer = await desk.anonymous()
    assert (await log_in(newcomer, "new.agent@zindex.fr", "x" * 12)).status == 303
    assert (await newcomer.get("/staff/tickets")).status == 200
    page = await (await admin.get("/staff/admin")).text()
    row = page.split("<td>new.agent@zindex.fr</td>", 1)[1]
    staff_id = row.split('action="/staff/admin/staff/', 1)[1].split('"', 1)[0]
    assert "done=staff_updated" in await post(
        admin, f"/staff/admin/staff/{staff_id}", role="agent"
    )  # no "active" box ticked: disabled
    response = await newcomer.get("/staff/tickets", allow_redirects=False)
    assert response.status in (303, 401)
    assert (await log_in(newcomer, "new.agent@zindex.fr", "x" * 12)).status == 401
    assert await count(desk, ConsoleAudit, ConsoleAudit.action == "staff.update") == 1


async def test_retention_purges_old_resolved_tickets_only(desk: Desk) -> None:
    """With 30 days, a ticket resolved 40 days ago goes; a recent one and open ones stay."""
    now = utcnow()
    async with desk.app[SESSIONS]() as session:
        for ref, status, resolved in (
            ("HD-OLD00001", "resolved", now - timedelta(days=40)),
            ("HD-NEW00001", "resolved", now - timedelta(days=5)),
            ("HD-OPEN0001", "open", None),
        ):
            ticket = Ticket(reference=ref, channel="chat", status=status, resolved_at=resolved)
            ticket.messages.append(Message(author="customer", channel="chat", body="vieux"))
            session.add(ticket)
        await session.commit()
    admin = await desk.staff(ADMIN)
    assert "done=retention_set" in await post(admin, "/staff/admin/retention", days="30")
    assert "refused=bad_days" in await post(admin, "/staff/admin/retention", days="-1")
    assert "count=1" in await post(admin, "/staff/admin/purge")
    async with desk.app[SESSIONS]() as session:
        left = set((await session.scalars(select(Ticket.reference))).all())
    assert left == {"HD-NEW00001", "HD-OPEN0001"}
    assert await count(desk, Message) == 2


async def test_erasing_a_customer_removes_every_trace(desk: Desk) -> None:
    """Erasure by email removes the customer's tickets with their messages, search terms
    and outgoing mail; other customers' tickets stay; the audit keeps no address."""
    async with desk.app[SESSIONS]() as session:
        for ref, email in (
            ("HD-ERASE001", "marie@exemple.fr"),
            ("HD-ERASE002", "marie@exemple.fr"),
            ("HD-KEEP0001", "paul@exemple.fr"),
        ):
            ticket = Ticket(reference=ref, channel="email", customer_email=email)
            ticket.messages.append(Message(author="customer", channel="email", body="zorglub"))
            session.add(ticket)
        await session.flush()
        session.add(
            OutboxMail(
                ticket_id=ticket.id - 1,
                mail_from="support@zindex.fr",
                recipients=["marie@exemple.fr"],
                raw=b"x",
            )
        )
        await session.commit()
    await SearchIndex(desk.app[SESSIONS]).catch_up()
    admin = await desk.staff(ADMIN)
    assert "refused=unconfirmed" in await post(
        admin, "/staff/admin/erase", target="marie@exemple.fr"
    )
    assert "count=2" in await post(
        admin, "/staff/admin/erase", target="Marie@exemple.fr".lower(), confirm="1"
    )
    async with desk.app[SESSIONS]() as session:
        left = set((await session.scalars(select(Ticket.reference))).all())
        audit = (await session.scalars(select(ConsoleAudit))).all()
    assert left == {"HD-KEEP0001"}
    assert await count(desk, Message) == 1
    assert await count(desk, OutboxMail) == 0
    assert await count(desk, TicketTerm, TicketTerm.term == "zorglub") == 1
    assert "marie" not in str([a.data for a in audit])
    assert "count=1" in await post(admin, "/staff/admin/erase", target="hd-keep0001", confirm="1")
