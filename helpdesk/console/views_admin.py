"""Admin pages: staff accounts, retention, erasure. Every route here is named
`staff_admin…`, which the guard keeps for admins."""

from __future__ import annotations

from aiohttp import web

from helpdesk.console._render import form, render
from helpdesk.console.admin import AdminRefused
from helpdesk.console.guard import PREFIX, current_staff
from helpdesk.db.models import StaffRole
from helpdesk.keys import CONSOLE

ADMIN = f"{PREFIX}/admin"


async def admin_page(request: web.Request) -> web.Response:
    admin = request.app[CONSOLE].admin
    return render(
        request,
        "admin.html",
        accounts=await admin.accounts(),
        roles=[r.value for r in StaffRole],
        retention_days=await admin.retention_days(),
        audit=await admin.audit(),
        done=request.query.get("done"),
        refused=request.query.get("refused"),
        count=request.query.get("count", ""),
    )


def _back(done: str, **extra: str) -> web.HTTPSeeOther:
    query = "&".join([f"done={done}"] + [f"{k}={v}" for k, v in extra.items()])
    return web.HTTPSeeOther(f"{ADMIN}?{query}")


def _refused(refusal: AdminRefused) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"{ADMIN}?refused={refusal.reason.value}")


def _role(value: str | None) -> str:
    return value if value in [r.value for r in StaffRole] else StaffRole.AGENT.value


async def add_account(request: web.Request) -> web.Response:
    staff = current_staff(request)
    data = await form(request)
    try:
        await request.app[CONSOLE].admin.add_account(
            staff.email, data.get("email", ""), _role(data.get("role")), data.get("password", "")
        )
    except AdminRefused as refusal:
        raise _refused(refusal) from None
    raise _back("staff_added")


async def update_account(request: web.Request) -> web.Response:
    staff = current_staff(request)
    data = await form(request)
    try:
        target = int(request.match_info["staff_id"])
        await request.app[CONSOLE].admin.update_account(
            staff.id,
            staff.email,
            target,
            role=_role(data.get("role")),
            active=data.get("active") == "1",
        )
    except (ValueError, LookupError):
        raise web.HTTPNotFound() from None
    except AdminRefused as refusal:
        raise _refused(refusal) from None
    raise _back("staff_updated")


async def set_retention(request: web.Request) -> web.Response:
    staff = current_staff(request)
    data = await form(request)
    try:
        days = int(data.get("days", ""))
        await request.app[CONSOLE].admin.set_retention(staff.email, days)
    except ValueError:
        raise web.HTTPSeeOther(f"{ADMIN}?refused=bad_days") from None
    except AdminRefused as refusal:
        raise _refused(refusal) from None
    raise _back("retention_set")


async def purge(request: web.Request) -> web.Response:
    staff = current_staff(request)
    count = await request.app[CONSOLE].admin.purge(staff.email)
    raise _back("purged", count=str(count))


async def erase(request: web.Request) -> web.Response:
    staff = current_staff(request)
    data = await form(request)
    if data.get("confirm") != "1":
        raise web.HTTPSeeOther(f"{ADMIN}?refused=unconfirmed")
    try:
        erased = await request.app[CONSOLE].admin.erase(staff.email, data.get("target", ""))
    except AdminRefused as refusal:
        raise _refused(refusal) from None
    raise _back("erased", count=str(erased.tickets))


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get(ADMIN, admin_page, name="staff_admin")
    router.add_post(f"{ADMIN}/staff", add_account, name="staff_admin_add")
    router.add_post(f"{ADMIN}/staff/{{staff_id}}", update_account, name="staff_admin_update")
    router.add_post(f"{ADMIN}/retention", set_retention, name="staff_admin_retention")
    router.add_post(f"{ADMIN}/purge", purge, name="staff_admin_purge")
    router.add_post(f"{ADMIN}/erase", erase, name="staff_admin_erase")
