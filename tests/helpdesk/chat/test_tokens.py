"""Conversation tokens: signed, so that an unstored conversation can be resumed."""

from __future__ import annotations

from helpdesk.chat.tokens import ConversationTokens


def test_issued_tokens_are_recognised_with_their_key_only() -> None:
    """A token checks with the key that issued it, not with another or once altered."""
    tokens = ConversationTokens("key one")
    token = tokens.issue()
    assert tokens.issued(token)
    assert not ConversationTokens("key two").issued(token)
    assert not tokens.issued(token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert not tokens.issued("x" * 43)
    assert not tokens.issued(token + "é")
    assert not tokens.issued(token.replace(".", "\ud800"))


def test_the_reference_is_derived_from_the_token() -> None:
    """Each token has one ticket reference, the same every time, unrelated to the token."""
    tokens = ConversationTokens(b"k" * 32)
    first, second = tokens.issue(), tokens.issue()
    assert tokens.reference(first) == tokens.reference(first)
    assert tokens.reference(first) != tokens.reference(second)
    assert tokens.reference(first).startswith("HD-") and len(tokens.reference(first)) == 11
    assert tokens.reference(first)[3:] not in first
