"""The HTTP API of the mailbox service, for a provider to run next to its mail system.

JSON over HTTP, every request authenticated with `Authorization: Bearer <token>`.
Tokens travel in request bodies, never in URLs, so access logs never see them.
`HttpMailboxService` is its client; `serve` mounts it under `/api/mailbox` when
`mailbox_api_token` is configured.

    GET  /v1/mailboxes                      -> {"mailboxes": [mailbox...]}
    POST /v1/mailboxes                      {address, password, recovery_address, server,
                                             quota_bytes, label} -> 201 mailbox | 409
    GET  /v1/mailboxes/{address}            -> mailbox | 404
    POST /v1/mailboxes/{address}/password   {password} -> mailbox | 404
    POST /v1/mailboxes/{address}/suspend    {until: ISO time | null} -> mailbox | 404
    POST /v1/mailboxes/{address}/resume     -> mailbox | 404
    POST /v1/links                          {address, purpose, ttl_seconds, context}
                                            -> 201 {token, purpose, expires_at, mailbox} | 404
    POST /v1/links/check                    {token, purpose} -> link check
    POST /v1/links/use                      {token, purpose} -> link check
    POST /v1/links/reset                    {token, password} -> link check

Errors are `{"error": CODE, "message": TEXT}`: 400 invalid, 401 unauthorized,
404 not_found, 409 exists.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from helpdesk.keys import MAILBOX_API_SERVICE
from helpdesk.mailbox.service import (
    InvalidRequest,
    MailboxExists,
    MailboxNotFound,
    MailboxService,
    NewMailbox,
    aware,
)

log = logging.getLogger("helpdesk.mailbox.api")

MAX_BODY = 64 * 1024


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


def _auth_middleware(token: str) -> Any:
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def auth(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        given = request.headers.get("Authorization", "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, expected):
            return _error(401, "unauthorized", "a valid bearer token is required")
        try:
            return await handler(request)
        except InvalidRequest as exc:
            return _error(400, "invalid", str(exc))
        except MailboxNotFound as exc:
            return _error(404, "not_found", str(exc))
        except MailboxExists as exc:
            return _error(409, "exists", str(exc))
        except web.HTTPException as exc:
            if exc.status >= 400:
                return _error(exc.status, "http", exc.reason)
            raise

    return auth


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest("the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise InvalidRequest("the body must be a JSON object")
    return data


def _str(data: dict[str, Any], key: str, *, optional: bool = False) -> Any:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"{key}: expected a string")
    return value


def _service(request: web.Request) -> MailboxService:
    return request.app[MAILBOX_API_SERVICE]


async def list_mailboxes(request: web.Request) -> web.Response:
    boxes = await _service(request).list()
    return web.json_response({"mailboxes": [m.to_json() for m in boxes]})


async def create_mailbox(request: web.Request) -> web.Response:
    data = await _body(request)
    quota = data.get("quota_bytes")
    if quota is not None and (isinstance(quota, bool) or not isinstance(quota, int)):
        raise InvalidRequest("quota_bytes: expected an integer")
    new = NewMailbox(
        address=_str(data, "address"),
        password=_str(data, "password"),
        recovery_address=_str(data, "recovery_address", optional=True),
        server=_str(data, "server"),
        quota_bytes=quota,
        label=_str(data, "label", optional=True) or "",
    )
    mailbox = await _service(request).create(new)
    return web.json_response(mailbox.to_json(), status=201)


async def get_mailbox(request: web.Request) -> web.Response:
    mailbox = await _service(request).get(request.match_info["address"])
    if mailbox is None:
        return _error(404, "not_found", "no such mailbox")
    return web.json_response(mailbox.to_json())


async def set_password(request: web.Request) -> web.Response:
    data = await _body(request)
    mailbox = await _service(request).set_password(
        request.match_info["address"], _str(data, "password")
    )
    return web.json_response(mailbox.to_json())


async def suspend(request: web.Request) -> web.Response:
    data = await _body(request)
    raw = _str(data, "until", optional=True)
    until: datetime | None = None
    if raw is not None:
        try:
            until = aware(datetime.fromisoformat(raw))
        except ValueError:
            raise InvalidRequest("until: expected an ISO 8601 time") from None
    mailbox = await _service(request).suspend(request.match_info["address"], until)
    return web.json_response(mailbox.to_json())


async def resume(request: web.Request) -> web.Response:
    mailbox = await _service(request).resume(request.match_info["address"])
    return web.json_response(mailbox.to_json())


async def issue_link(request: web.Request) -> web.Response:
    data = await _body(request)
    ttl = data.get("ttl_seconds")
    if isinstance(ttl, bool) or not isinstance(ttl, int | float):
        raise InvalidRequest("ttl_seconds: expected a number")
    issued = await _service(request).issue_link(
        _str(data, "address"),
        _str(data, "purpose"),
        timedelta(seconds=ttl),
        _str(data, "context", optional=True),
    )
    if issued is None:
        return _error(404, "not_found", "no such mailbox")
    body = {
        "token": issued.token,
        "purpose": issued.purpose,
        "expires_at": issued.expires_at.isoformat(),
        "mailbox": issued.mailbox.to_json(),
    }
    return web.json_response(body, status=201)


async def check_link(request: web.Request) -> web.Response:
    data = await _body(request)
    check = await _service(request).check_link(_str(data, "token"), _str(data, "purpose"))
    return web.json_response(check.to_json())


async def use_link(request: web.Request) -> web.Response:
    data = await _body(request)
    check = await _service(request).use_link(_str(data, "token"), _str(data, "purpose"))
    return web.json_response(check.to_json())


async def reset_password(request: web.Request) -> web.Response:
    data = await _body(request)
    check = await _service(request).reset_password(_str(data, "token"), _str(data, "password"))
    return web.json_response(check.to_json())


def mailbox_api(token: str, service: MailboxService | None = None) -> web.Application:
    """The API as an application to mount (`app.add_subapp("/api/mailbox", ...)`).

    Without `service`, set `api[MAILBOX_API_SERVICE]` before the application starts.
    """
    if len(token) < 32:
        raise ValueError("the mailbox API token must have at least 32 characters")
    api = web.Application(middlewares=[_auth_middleware(token)], client_max_size=MAX_BODY)
    if service is not None:
        api[MAILBOX_API_SERVICE] = service
    r = api.router
    r.add_get("/v1/mailboxes", list_mailboxes)
    r.add_post("/v1/mailboxes", create_mailbox)
    r.add_get("/v1/mailboxes/{address}", get_mailbox)
    r.add_post("/v1/mailboxes/{address}/password", set_password)
    r.add_post("/v1/mailboxes/{address}/suspend", suspend)
    r.add_post("/v1/mailboxes/{address}/resume", resume)
    r.add_post("/v1/links", issue_link)
    r.add_post("/v1/links/check", check_link)
    r.add_post("/v1/links/use", use_link)
    r.add_post("/v1/links/reset", reset_password)
    return api
