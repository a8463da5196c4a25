"""`MailboxService` over HTTP: the client of `helpdesk.mailbox.api`, for a provider's system."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import aiohttp

from helpdesk.mailbox.service import (
    InvalidRequest,
    IssuedLink,
    LinkCheck,
    Mailbox,
    MailboxExists,
    MailboxNotFound,
    NewMailbox,
    ServiceUnavailable,
    check_purpose,
    normalize_address,
)

DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=10)


class HttpMailboxService:
    """Each call is one HTTP request to `base_url` (e.g. `https://mail.example.net/api/mailbox`).

    `session` is the caller's aiohttp ClientSession (the caller closes it).
    """

    def __init__(self, base_url: str, token: str, session: aiohttp.ClientSession) -> None:
        self._base = base_url.rstrip("/") + "/v1"
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self._session = session

    def __repr__(self) -> str:
        return f"HttpMailboxService({self._base!r})"

    async def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        try:
            async with self._session.request(
                method,
                self._base + path,
                json=body,
                headers=self._headers,
                timeout=DEFAULT_TIMEOUT,
            ) as response:
                status = response.status
                try:
                    data = await response.json(content_type=None)
                except ValueError:
                    data = None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ServiceUnavailable(
                f"mailbox service {self._base}: {type(exc).__name__}: {exc}"
            ) from None
        if not isinstance(data, dict):
            raise ServiceUnavailable(f"mailbox service {self._base}: HTTP {status}, not JSON")
        message = str(data.get("message") or data.get("error") or "")
        if status == 400:
            raise InvalidRequest(message)
        if status == 409:
            raise MailboxExists(message)
        if status == 401:
            raise ServiceUnavailable(f"mailbox service {self._base}: the token was refused")
        if status >= 500 or status not in (200, 201, 404):
            raise ServiceUnavailable(f"mailbox service {self._base}: HTTP {status} {message}")
        return status, data

    async def _mailbox_call(
        self, method: str, address: str, action: str = "", body: dict[str, Any] | None = None
    ) -> Mailbox:
        address = normalize_address(address)
        status, data = await self._call(
            method, f"/mailboxes/{quote(address, safe='@')}{action}", body
        )
        if status == 404:
            raise MailboxNotFound(f"no mailbox {address}")
        return self._parse_mailbox(data)

    def _parse_mailbox(self, data: dict[str, Any]) -> Mailbox:
        try:
            return Mailbox.from_json(data)
        except (KeyError, ValueError, TypeError) as exc:
            raise ServiceUnavailable(f"mailbox service {self._base}: bad mailbox: {exc}") from None

    def _parse_check(self, data: dict[str, Any]) -> LinkCheck:
        try:
            return LinkCheck.from_json(data)
        except (KeyError, ValueError, TypeError) as exc:
            raise ServiceUnavailable(f"mailbox service {self._base}: bad link: {exc}") from None

    async def create(self, new: NewMailbox) -> Mailbox:
        _, data = await self._call(
            "POST",
            "/mailboxes",
            {
                "address": new.address,
                "password": new.password,
                "recovery_address": new.recovery_address,
                "server": new.server,
                "quota_bytes": new.quota_bytes,
                "label": new.label,
            },
        )
        return self._parse_mailbox(data)

    async def get(self, address: str) -> Mailbox | None:
        try:
            return await self._mailbox_call("GET", address)
        except (MailboxNotFound, InvalidRequest):
            return None

    async def list(self) -> list[Mailbox]:
        _, data = await self._call("GET", "/mailboxes")
        boxes = data.get("mailboxes")
        if not isinstance(boxes, list):
            raise ServiceUnavailable(f"mailbox service {self._base}: bad mailbox list")
        return [self._parse_mailbox(m) for m in boxes]

    async def set_password(self, address: str, password: str) -> Mailbox:
        return await self._mailbox_call("POST", address, "/password", {"password": password})

    async def suspend(self, address: str, until: datetime | None) -> Mailbox:
        body = {"until": until.isoformat() if until else None}
        return await self._mailbox_call("POST", address, "/suspend", body)

    async def resume(self, address: str) -> Mailbox:
        return await self._mailbox_call("POST", address, "/resume", {})

    async def issue_link(
        self, address: str, purpose: str, ttl: timedelta, context: str | None = None
    ) -> IssuedLink | None:
        check_purpose(purpose)
        status, data = await self._call(
            "POST",
            "/links",
            {
                "address": address,
                "purpose": purpose,
                "ttl_seconds": ttl.total_seconds(),
                "context": context,
            },
        )
        if status == 404:
            return None
        try:
            return IssuedLink(
                token=str(data["token"]),
                purpose=str(data["purpose"]),
                expires_at=datetime.fromisoformat(data["expires_at"]),
                mailbox=Mailbox.from_json(data["mailbox"]),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ServiceUnavailable(f"mailbox service {self._base}: bad link: {exc}") from None

    async def check_link(self, token: str, purpose: str) -> LinkCheck:
        _, data = await self._call("POST", "/links/check", {"token": token, "purpose": purpose})
        return self._parse_check(data)

    async def use_link(self, token: str, purpose: str) -> LinkCheck:
        _, data = await self._call("POST", "/links/use", {"token": token, "purpose": purpose})
        return self._parse_check(data)

    async def reset_password(self, token: str, password: str) -> LinkCheck:
        _, data = await self._call("POST", "/links/reset", {"token": token, "password": password})
        return self._parse_check(data)
