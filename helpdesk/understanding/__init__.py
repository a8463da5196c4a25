"""Natural-language understanding: which language, which intent, which facts.

Knows nothing of channels or storage: text in, frozen dataclasses out.
"""

from helpdesk.understanding.corpus import CorpusError
from helpdesk.understanding.entities import Entities, extract_entities
from helpdesk.understanding.intents import CONVERSATIONAL_INTENTS, INTENTS, LANGUAGES
from helpdesk.understanding.understanding import Understanding, Understood

__all__ = [
    "CONVERSATIONAL_INTENTS",
    "INTENTS",
    "LANGUAGES",
    "CorpusError",
    "Entities",
    "Understanding",
    "Understood",
    "extract_entities",
]
