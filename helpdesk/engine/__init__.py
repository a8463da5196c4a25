"""The conversation engine, shared by every channel."""

from helpdesk.engine.engine import Engine, EngineDeps
from helpdesk.engine.model import CheckRecord, Choice, Link, Outcome, Reply, Turn
from helpdesk.engine.redact import redact
from helpdesk.engine.state import DialogueState, Slots
from helpdesk.engine.wording import Wording

__all__ = [
    "CheckRecord",
    "Choice",
    "DialogueState",
    "Engine",
    "EngineDeps",
    "Link",
    "Outcome",
    "Reply",
    "Slots",
    "Turn",
    "Wording",
    "redact",
]
