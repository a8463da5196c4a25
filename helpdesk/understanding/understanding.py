"""Understanding a customer's message: language, intent with confidence, entities."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from helpdesk.understanding.classifier import TextClassifier
from helpdesk.understanding.corpus import Example, load_examples
from helpdesk.understanding.courtesy import request_part
from helpdesk.understanding.entities import Entities, extract_entities
from helpdesk.understanding.intents import INTENTS
from helpdesk.understanding.language import detect_language
from helpdesk.understanding.signals import bounce_strength


@dataclass(frozen=True, slots=True)
class Understood:
    """What one message says, as far as the bot can tell."""

    text: str
    lang: str
    intent: str
    confidence: float
    runner_up: str
    runner_up_confidence: float
    entities: Entities


class Understanding:
    """Language detection, intent classification and entity extraction, ready to use.

    Build it once with `Understanding.load(kb_dir)` (trains in about a second) and share
    it: `understand` is a pure function of its arguments.
    """

    def __init__(self, examples: list[Example]) -> None:
        # Trained and asked on the same view of a text: the request without its courtesy.
        # The corpus labelled by language also gives a character model of French vs
        # English in the customers' own vocabulary, for text without function words.
        self._model = TextClassifier(
            [request_part(e.text) for e in examples],
            {"intent": [e.intent for e in examples], "lang": [e.lang for e in examples]},
        )

    @classmethod
    def load(cls, kb_dir: Path) -> Understanding:
        """Train from `kb_dir`/intents; raises CorpusError naming a bad data file."""
        return cls(load_examples(kb_dir / "intents"))

    def language(self, text: str, hint_lang: str | None = None) -> str:
        """ "fr" or "en": the language the customer wrote `text` in."""
        return detect_language(text, hint_lang, self._french_probability)

    def _french_probability(self, text: str) -> float:
        return self._model.probability("lang", text, "fr")

    def understand(
        self, text: str, hint_lang: str | None = None, *, now: datetime | None = None
    ) -> Understood:
        """Language, intent (with runner-up) and entities of one customer message.

        `now` is the moment the message was written, used to resolve "hier à 14h";
        without it no date is resolved (the clock is never read here).
        """
        ranked = self._model.rank("intent", request_part(text))
        probs = dict(zip(ranked.labels, ranked.probabilities, strict=True))
        strength = bounce_strength(text)
        if strength:
            # Blend rather than override, so the runner-up still says what the bounce is about.
            probs = {k: (1 - strength) * v for k, v in probs.items()}
            probs["bounce"] += strength
        order = sorted(INTENTS, key=lambda k: (-probs.get(k, 0.0), INTENTS.index(k)))
        best, second = order[0], order[1]
        return Understood(
            text=text,
            lang=self.language(text, hint_lang),
            intent=best,
            confidence=round(probs.get(best, 0.0), 4),
            runner_up=second,
            runner_up_confidence=round(probs.get(second, 0.0), 4),
            entities=extract_entities(text, now),
        )
