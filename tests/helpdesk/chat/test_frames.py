"""Reading client frames: any text gives a frame object or an error code, never an exception."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk.chat.frames import Refused, clean_text, read_frame


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("[" * 200_000, "bad_json"),
        ("[" * 100_000 + "]" * 100_000, "bad_json"),
        ('{"type": "hello", "n": NaN}', "bad_json"),
        ('{"type": "hello", "n": Infinity}', "bad_json"),
        ('{"type": "hello", "n": 1e400}', "bad_json"),
        ('{"type": "hello", "n": -1e400}', "bad_json"),
        ('{"type": "hello", "n": ' + "1" * 101 + "}", "bad_json"),
        ('{"type": "hello", "n": 0.' + "1" * 101 + "}", "bad_json"),
        ("null", "bad_frame"),
        ("{}", "bad_frame"),
        ('{"type": null}', "bad_frame"),
        ('{"type": "message", "client_id": ""}', "bad_frame"),
        ('{"type": "message", "client_id": "é"}', "bad_frame"),
        ('{"type": "message", "client_id": "a\\n"}', "bad_frame"),
    ],
)
def test_refused_frames(text: str, code: str) -> None:
    """Deep nesting, non-JSON constants, huge numbers and bad client ids are refused."""
    assert read_frame(text) == Refused(code)


def test_a_frame_with_ordinary_values_is_read() -> None:
    """Numbers in range, nested objects and a valid client id pass through."""
    frame = {"type": "message", "text": "x", "client_id": "w0a-_Z", "n": [1, 2.5, {"a": -3}]}
    assert read_frame(json.dumps(frame)) == frame


def test_clean_text_leaves_storable_unicode() -> None:
    """NULs go and lone surrogates become replacement marks, so that any database stores it."""
    cleaned = clean_text("a\x00b\ud800c")
    assert "\x00" not in cleaned
    cleaned.encode("utf-8")


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(),
        JSONISH.map(json.dumps),
        st.builds(
            lambda t, cid, extra: json.dumps({"type": t, "client_id": cid, "x": extra}),
            st.text(max_size=10),
            st.one_of(st.none(), st.text(max_size=70), st.integers()),
            JSONISH,
        ),
    )
)
def test_read_frame_never_raises(text: str) -> None:
    """Whatever the text, read_frame returns a frame with a string type, or a refusal."""
    frame = read_frame(text)
    if not isinstance(frame, Refused):
        assert isinstance(frame["type"], str)
