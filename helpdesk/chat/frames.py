"""The client frames of `/chat/ws`, read without trusting them.

`read_frame` turns whatever text arrived into a frame object or the code of the error frame
that answers it; it raises nothing, whatever the input: nesting deep enough to exhaust the
parser's recursion, NaN and Infinity (not JSON, although Python's parser takes them), numbers
too large to mean anything, lone surrogates in escapes, a value of the wrong type.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, NoReturn

# A client message id: what the widget puts in `client_id` to make a re-send idempotent.
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_NUMBER_CHARS = 100  # no field of the protocol is a number; this only bounds the work


@dataclass(frozen=True)
class Refused:
    """A frame that gets an `error` frame with this code (templates/bot: error.<code>)."""

    code: str


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _bounded_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError("number too long")
    return int(text)


def _finite_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError("number too long")
    value = float(text)
    if not math.isfinite(value):  # 1e999 overflows to inf
        raise ValueError("number out of range")
    return value


_DECODER = json.JSONDecoder(
    parse_constant=_no_constant, parse_int=_bounded_int, parse_float=_finite_float
)


def read_frame(text: str) -> dict[str, Any] | Refused:
    """The frame object of `text`, or why it is refused."""
    try:
        frame = _DECODER.decode(text)
    except (ValueError, RecursionError):
        # ValueError covers JSONDecodeError and the hooks above; RecursionError, nesting
        # deeper than the parser's recursion limit (it unwinds cleanly, nothing is left).
        return Refused("bad_json")
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        return Refused("bad_frame")
    client_id = frame.get("client_id")
    if client_id is not None and not (
        isinstance(client_id, str) and CLIENT_ID.fullmatch(client_id)
    ):
        return Refused("bad_frame")
    return frame


def clean_text(value: str) -> str:
    """`value` as text a database stores: JSON may carry lone surrogates (\\ud800) and NULs."""
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
