"""The gate of /staff: anonymous requests, CSRF, origins, roles, cookies, login delays."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from aiohttp import web
from sqlalchemy import func, select

from helpdesk.console.guard import PUBLIC
from helpdesk.console.models import StaffSession
from helpdesk.db.models import Ticket, TicketEvent
from helpdesk.desk.tickets import TicketStore
from helpdesk.keys import SESSIONS
from tests.helpdesk.console.conftest import ADMIN, AGENT, Desk, csrf_of, field, log_in

_PARAM = re.compile(r"\{(\w+)\}")


async def _ticket(app: web.Application, body: str = "mon mail revient") -> Ticket:
    store = TicketStore(app[SESSIONS])
    ticket = await store.create("chat", lang="fr", customer_email="client@exemple.fr")
    await store.add_message(ticket.id, "customer", "chat", body)
    return ticket


def staff_routes(app: web.Application) -> list[tuple[str, str, str]]:
    """(method, concrete path, route name) of every route under /staff, from the router."""
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        pattern = info.get("path") or info.get("formatter") or ""
        if not (pattern == "/staff" or pattern.startswith("/staff/")):
            continue
        if route.method == "HEAD":
            continue
        found.append((route.method, pattern, route.name or ""))
    return found


def concrete(pattern: str, values: dict[str, str]) -> str:
    return _PARAM.sub(lambda m: values[m.group(1)], pattern)


async def test_every_staff_route_refuses_anonymous(desk: Desk) -> None:
    """Crawling the route table: each /staff route but the login form refuses a visitor
    without a session, and leaks nothing of the ticket."""
    ticket = await _ticket(desk.app, body="secret-ish transcript words")
    routes = staff_routes(desk.app)
    assert len(routes) >= 15, routes
    assert {name for _m, _p, name in routes if name in PUBLIC} == set(PUBLIC)
    values = {"reference": ticket.reference, "staff_id": "1"}
    client = await desk.anonymous()
    checked = 0
    for method, pattern, name in routes:
        if name in PUBLIC:
            continue
        path = concrete(pattern, values)
        for headers in ({}, {"Accept": "application/json"}, {"Upgrade": "websocket"}):
            response = await client.request(
                method, path, headers=headers, allow_redirects=False, data={"text": "x"}
            )
            body = await response.text()
            assert response.status in (303, 401), (method, path, headers, response.status)
            if response.status == 303:
                assert response.headers["Location"].startswith("/staff/login?next="), path
            assert "transcript words" not in body and ticket.reference not in body
            assert response.headers.get("Cache-Control") == "no-store"
            checked += 1
    assert checked >= 3 * 14
    # And paths that match no route are closed as well (no probing for what exists).
    response = await client.get(
        "/staff/nothing-here", headers={"Accept": "text/html"}, allow_redirects=False
    )
    assert response.status == 303


async def test_csrf_is_required_on_every_change(desk: Desk) -> None:
    """A POST without the session's token, or with another one, changes nothing."""
    ticket = await _ticket(desk.app)
    agent = await desk.staff()
    path = f"/staff/tickets/{ticket.reference}/note"
    for data in ({"text": "n1"}, {"text": "n2", "csrf": "forged"}, {"text": "n3", "csrf": ""}):
        response = await agent.post(path, data=data, allow_redirects=False)
        assert response.status == 403, data
    async with desk.app[SESSIONS]() as session:
        notes = await session.scalar(
            select(func.count()).select_from(TicketEvent).where(TicketEvent.kind == "note")
        )
    assert notes == 0
    token = await csrf_of(agent)
    response = await agent.post(path, data={"text": "ok", "csrf": token}, allow_redirects=False)
    assert response.status == 303
    # The token is also accepted as a header (the console's scripts), never from elsewhere.
    response = await agent.post(
        path,
        data={"text": "header"},
        headers={"X-CSRF-Token": token, "Origin": "https://evil.example"},
        allow_redirects=False,
    )
    assert response.status == 403


async def test_every_staff_form_carries_the_token(desk: Desk) -> None:
    """Each POST form of the console pages holds the session's CSRF token."""
    ticket = await _ticket(desk.app)
    admin = await desk.staff(ADMIN)
    token = await csrf_of(admin)
    for path in ("/staff/tickets", f"/staff/tickets/{ticket.reference}", "/staff/admin"):
        html = await (await admin.get(path)).text()
        forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", html, re.S)
        assert forms, path
        for body in forms:
            assert f'name="csrf" value="{token}"' in body, (path, body[:200])


async def test_login_form_needs_its_own_token(desk: Desk) -> None:
    """A login POST that did not come from our login page is refused (login CSRF)."""
    client = await desk.anonymous()
    response = await client.post(
        "/staff/login",
        data={"email": AGENT[0], "password": AGENT[1], "login_token": "guess"},
        allow_redirects=False,
    )
    assert response.status == 403
    assert "hd_staff" not in {c.key for c in client.session.cookie_jar}


async def test_agent_cannot_reach_admin_pages(desk: Desk) -> None:
    """Every admin route answers 403 to an agent, and nothing is changed."""
    ticket = await _ticket(desk.app)
    agent = await desk.staff(AGENT)
    token = await csrf_of(agent)
    admin_routes = [r for r in staff_routes(desk.app) if r[2].startswith("staff_admin")]
    assert len(admin_routes) >= 5
    for method, pattern, _name in admin_routes:
        path = concrete(pattern, {"staff_id": "1"})
        response = await agent.request(
            method,
            path,
            data={"csrf": token, "target": "client@exemple.fr", "confirm": "1", "days": "1"},
            allow_redirects=False,
        )
        assert response.status == 403, (method, path)
    async with desk.app[SESSIONS]() as session:
        assert await session.get(Ticket, ticket.id) is not None
    admin = await desk.staff(ADMIN)
    assert (await admin.get("/staff/admin")).status == 200
    assert "/staff/admin" not in await (await agent.get("/staff/tickets")).text()


async def test_session_cookie_attributes(desk: Desk) -> None:
    """The session cookie is HttpOnly, SameSite=Strict and scoped to /staff; the database
    keeps only a hash of it."""
    client = await desk.anonymous()
    response = await log_in(client, *AGENT)
    header = next(v for v in response.headers.getall("Set-Cookie") if v.startswith("hd_staff="))
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/staff" in header
    assert "Secure" not in header  # public_url is http:// in tests
    token = header.split(";")[0].split("=", 1)[1]
    async with desk.app[SESSIONS]() as session:
        stored = (await session.scalars(select(StaffSession.token_hash))).all()
    assert stored and token not in stored


async def test_logout_ends_the_session(desk: Desk) -> None:
    """After logout, the old cookie opens nothing."""
    agent = await desk.staff()
    token = await csrf_of(agent)
    cookie = {c.key: c.value for c in agent.session.cookie_jar}["hd_staff"]
    response = await agent.post("/staff/logout", data={"csrf": token}, allow_redirects=False)
    assert response.status == 303
    stranger = await desk.anonymous()
    response = await stranger.get(
        "/staff/tickets", headers={"Cookie": f"hd_staff={cookie}"}, allow_redirects=False
    )
    assert response.status == 401


def alert(html: str) -> str:
    """The text of the login page's alert."""
    found = re.search(r'role="alert">([^<]*)<', html)
    assert found, html[:500]
    return found.group(1)


async def test_failed_logins_delay_rather_than_lock(desk: Desk) -> None:
    """Three wrong passwords make the next attempt wait a second, then the right one works."""
    clock = desk.stop_the_clock()
    client = await desk.anonymous()
    for _ in range(3):
        response = await log_in(client, AGENT[0], "wrong-password")
        assert response.status == 401
    response = await log_in(client, *AGENT)
    assert response.status == 429
    assert response.headers["Retry-After"] == "1"
    assert alert(await response.text()) == "Trop de tentatives : réessayez dans une seconde."
    assert "hd_staff" not in {c.key for c in client.session.cookie_jar}
    clock.advance(1)
    assert (await log_in(client, *AGENT)).status == 303


async def test_wait_is_told_in_french_and_english(desk: Desk) -> None:
    """The wait doubles after each failure up to 15 minutes, and the refusal says how long
    in the visitor's language."""
    clock = desk.stop_the_clock()
    client = await desk.anonymous()
    waits: list[int] = []
    while len(waits) < 11:
        response = await log_in(client, AGENT[0], "wrong-password")
        if response.status == 429:
            waits.append(int(response.headers["Retry-After"]))
            clock.advance(waits[-1])
        else:
            assert response.status == 401
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900]
    assert (await log_in(client, AGENT[0], "wrong-password")).status == 401

    async def told() -> dict[str, str]:
        return {
            lang: alert(await (await log_in(client, AGENT[0], "x", lang=lang)).text())
            for lang in ("fr", "en")
        }

    assert await told() == {
        "fr": "Trop de tentatives : réessayez dans 15 minutes.",
        "en": "Too many attempts: try again in 15 minutes.",
    }
    clock.advance(896)
    assert await told() == {
        "fr": "Trop de tentatives : réessayez dans 4 secondes.",
        "en": "Too many attempts: try again in 4 seconds.",
    }
    clock.advance(3)
    assert await told() == {
        "fr": "Trop de tentatives : réessayez dans une seconde.",
        "en": "Too many attempts: try again in one second.",
    }


async def test_stranger_cannot_keep_staff_out(desk: Desk) -> None:
    """Twenty wrong passwords from a stranger's address keep the staff member, at another
    address, out for a few seconds at most; the stranger stays slowed down."""
    clock = desk.stop_the_clock()
    stranger = await desk.anonymous("127.0.0.2")
    counted = 0
    while counted < 20:
        response = await log_in(stranger, AGENT[0], f"guess-{counted}")
        if response.status == 429:
            clock.advance(int(response.headers["Retry-After"]))
        else:
            assert response.status == 401
            counted += 1
    staff = await desk.anonymous()
    response = await log_in(staff, *AGENT)
    if response.status == 429:
        assert int(response.headers["Retry-After"]) <= 4
        clock.advance(int(response.headers["Retry-After"]))
        response = await log_in(staff, *AGENT)
    assert response.status == 303
    # The staff member's login cleared the account, not the stranger's own delay.
    response = await log_in(stranger, AGENT[0], "guess-again")
    assert response.status == 429
    assert int(response.headers["Retry-After"]) > 60


async def test_wrong_password_keeps_the_address_typed(desk: Desk) -> None:
    """After a wrong password (or a refusal), the form keeps the address and asks for the
    password, for a known account and an unknown one alike."""
    desk.stop_the_clock()
    client = await desk.anonymous()
    for email in (AGENT[0], "nobody@zindex.fr"):
        for _ in range(4):
            html = await (await log_in(client, email, "wrong-password")).text()
            assert f'value="{email}"' in html
            assert re.search(r'id="password"[^>]* autofocus', html)
    html = await (await log_in(client, '"><script>x</script>@zindex.fr', "x")).text()
    assert "<script>x" not in html


async def test_unknown_account_and_wrong_password_look_alike(desk: Desk) -> None:
    """The login page says the same thing for an unknown address and a wrong password."""
    client = await desk.anonymous()
    unknown = await log_in(client, "nobody@zindex.fr", "whatever-123")
    wrong = await log_in(client, AGENT[0], "whatever-123")
    assert unknown.status == wrong.status == 401

    def message(html: str) -> Any:
        return re.search(r'role="alert">([^<]*)<', html)

    first, second = message(await unknown.text()), message(await wrong.text())
    assert first and second and first.group(1) == second.group(1)
    assert field(await unknown.text())  # a fresh form to try again


async def test_parallel_guesses_cannot_outrun_the_delay(desk: Desk) -> None:
    """Ten wrong passwords sent at once: no more than three are checked, the rest wait."""
    desk.stop_the_clock()
    clients = [await desk.anonymous() for _ in range(10)]
    answers = await asyncio.gather(*(log_in(c, AGENT[0], "wrong-password") for c in clients))
    statuses = sorted(r.status for r in answers)
    assert set(statuses) <= {401, 429}, statuses
    assert statuses.count(401) <= 3 and statuses.count(429) >= 7, statuses


async def test_cookies_are_secure_behind_https(
    env: dict[str, str], understanding: Any, aiohttp_client: Any
) -> None:
    """With an https:// public URL, the session cookie is marked Secure."""
    from helpdesk.app import create_app
    from helpdesk.config import load_settings
    from helpdesk.db import create_engine
    from helpdesk.db.migrate import upgrade
    from helpdesk.keys import ENGINE
    from helpdesk.staff.accounts import create_staff

    settings = load_settings({**env, "HELPDESK_PUBLIC_URL": "https://desk.example"})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    await engine.dispose()
    app = create_app(settings, understanding=understanding)
    client = await aiohttp_client(app)
    await create_staff(app[ENGINE], AGENT[0], AGENT[1], "agent")
    page = await client.get("/staff/login")
    login_cookie = next(v for v in page.headers.getall("Set-Cookie") if "hd_staff_login" in v)
    assert "Secure" in login_cookie
    # The test client speaks plain http, so it would not send a Secure cookie back itself.
    response = await client.post(
        "/staff/login",
        data={"login_token": field(await page.text()), "email": AGENT[0], "password": AGENT[1]},
        headers={"Cookie": login_cookie.split(";")[0]},
        allow_redirects=False,
    )
    session_cookie = next(v for v in response.headers.getall("Set-Cookie") if "hd_staff=" in v)
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie
