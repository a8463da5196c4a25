"""A scripted chat customer speaking the /chat/ws protocol, for end-to-end tests."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientWebSocketResponse, WSMsgType


@dataclass
class ChatCustomer:
    ws: ClientWebSocketResponse
    frames: list[dict[str, Any]] = field(default_factory=list)
    token: str | None = None
    ticket: str | None = None

    async def recv(self, wait: float = 15) -> dict[str, Any]:
        msg = await asyncio.wait_for(self.ws.receive(), wait)
        assert msg.type == WSMsgType.TEXT, msg
        frame: dict[str, Any] = json.loads(msg.data)
        self.frames.append(frame)
        return frame

    async def hello(self, lang: str | None = "fr", token: str | None = None) -> dict[str, Any]:
        await self.ws.send_json({"type": "hello", "conversation": token, "lang": lang})
        welcome = await self.recv()
        assert welcome["type"] == "welcome", welcome
        self.token, self.ticket = welcome["conversation"], welcome["ticket"]
        if not token:
            await self.bot_messages()  # the opening message
        return welcome

    async def bot_messages(self, settle: float = 0.3) -> list[dict[str, Any]]:
        """Frames until the first bot/staff/system message, then whatever follows at once."""
        out: list[dict[str, Any]] = []
        while True:
            frame = await self.recv()
            out.append(frame)
            if frame["type"] == "message" and frame["from"] != "customer":
                break
            if frame["type"] == "error":
                return out
        while True:
            try:
                out.append(await self.recv(settle))
            except TimeoutError:
                return out

    async def say(self, text: str) -> list[dict[str, Any]]:
        await self.ws.send_json({"type": "message", "text": text})
        return await self.bot_messages()

    async def choose(self, value: str) -> list[dict[str, Any]]:
        await self.ws.send_json({"type": "choice", "value": value})
        return await self.bot_messages()


def bot_text(frames: list[dict[str, Any]]) -> str:
    return "\n".join(
        f["text"] for f in frames if f["type"] == "message" and f["from"] in ("bot", "staff")
    )


def last_bot(frames: list[dict[str, Any]]) -> dict[str, Any]:
    return [f for f in frames if f["type"] == "message" and f["from"] == "bot"][-1]
