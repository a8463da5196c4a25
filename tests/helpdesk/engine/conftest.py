"""An engine with the real understanding model and wording, and fake checks, resets and
articles: every flow runs in process, without aiohttp, a database or DNS."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from helpdesk.engine import CheckRecord, DialogueState, Engine, EngineDeps, Outcome, Turn, Wording
from helpdesk.engine.context import CheckAnswer
from helpdesk.profile import load_profile
from helpdesk.templating import TEMPLATES_DIR

REFERENCE = "HD-TEST0001"
# A Monday afternoon in the provider's zone: "hier à 14h" is then Sunday at 14:00.
NOW = datetime(2024, 3, 11, 16, 30, tzinfo=ZoneInfo("Europe/Paris"))
_CODE = re.compile(r"\b[245]\d\d\b|\b[245]\.\d{1,3}\.\d{1,3}\b")


class FakeChecks:
    """`Checks` that answer at once: a text with a reply or status code is a readable
    bounce, anything else is not; every domain gets a one-line report."""

    def __init__(self) -> None:
        self.bounces: list[tuple[str, str]] = []
        self.domains: list[tuple[str, str]] = []

    async def bounce(self, text: str, lang: str) -> CheckAnswer:
        self.bounces.append((text, lang))
        record = CheckRecord("bounce", {"chars": len(text)}, {"reason": "fake"})
        if not _CODE.search(text):
            return CheckAnswer(record, "", ok=False)
        return CheckAnswer(
            record,
            f"[bounce explained in {lang}]",
            gist=f"[bounce meaning in {lang}]",
            reason="authfailure" if "5.7.26" in text else "",
        )

    async def domain(self, domain: str, lang: str) -> CheckAnswer:
        self.domains.append((domain, lang))
        record = CheckRecord("domain", {"domain": domain}, {"spf": "fake"})
        return CheckAnswer(record, f"[report on {domain} in {lang}]")


class FakeArticles:
    """Every intent has an article at a predictable address."""

    def link_for(self, intent: str, lang: str) -> tuple[str, str] | None:
        return (f"{intent} ({lang})", f"https://kb.test/{lang}/{intent}")


@dataclass
class FakeResets:
    """`Resets` that accept (or refuse, with `answer = "limited"`) and note each request."""

    answer: str = "accepted"
    requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def link_minutes(self) -> int:
        return 30

    async def request(
        self,
        address: str,
        *,
        client: str,
        lang: str,
        reference: str | None,
        network: str | None = None,
    ) -> str:
        self.requests.append(
            {
                "address": address,
                "client": client,
                "lang": lang,
                "reference": reference,
                "network": network,
            }
        )
        return self.answer


@pytest.fixture(scope="session")
def wording() -> Wording:
    return Wording(TEMPLATES_DIR / "bot", load_profile({}))


@pytest.fixture
def checks() -> FakeChecks:
    return FakeChecks()


@pytest.fixture
def resets() -> FakeResets:
    return FakeResets()


@pytest.fixture
def engine(understanding: Any, wording: Wording, checks: FakeChecks, resets: FakeResets) -> Engine:
    return Engine(
        EngineDeps(
            understanding=understanding,
            wording=wording,
            checks=checks,
            articles=FakeArticles(),
            resets=resets,
        )
    )


def stored(state: DialogueState) -> DialogueState:
    """`state` as a channel stores and reads it back: through JSON text."""
    again = DialogueState.from_json(json.loads(json.dumps(state.to_json())))
    assert again == state
    return again


class Dialogue:
    """One customer talking to the engine, the state kept between turns as a channel
    keeps it (stored as JSON, read back)."""

    def __init__(self, engine: Engine, lang: str = "fr") -> None:
        self.engine = engine
        self.lang = lang
        opening = engine.opening(lang)
        self.state = stored(opening.state)
        self.outcomes: list[Outcome] = [opening]
        self.progress: list[str] = []

    async def _turn(self, turn: Turn) -> Outcome:
        async def progress(text: str) -> None:
            self.progress.append(text)

        outcome = await self.engine.handle(
            self.state, turn, reference=REFERENCE, progress=progress, now=NOW
        )
        self.state = stored(outcome.state)
        self.outcomes.append(outcome)
        return outcome

    async def say(self, text: str, **turn: Any) -> Outcome:
        return await self._turn(Turn(text, lang_hint=self.lang, **turn))

    async def choose(self, value: str) -> Outcome:
        return await self._turn(Turn(choice=value, lang_hint=self.lang))

    async def run(self, turns: list[str]) -> Outcome:
        """Each turn in order ("choice:x" picks the quick reply x); the last outcome."""
        outcome = self.outcomes[-1]
        for turn in turns:
            if turn.startswith("choice:"):
                outcome = await self.choose(turn.removeprefix("choice:"))
            else:
                outcome = await self.say(turn)
        return outcome


def text_of(outcome: Outcome) -> str:
    return "\n".join(r.text for r in outcome.replies)


def keys_of(outcome: Outcome) -> list[str | None]:
    return [r.key for r in outcome.replies]


def values_offered(outcome: Outcome) -> list[str]:
    return [c.value for c in outcome.state.offered]
