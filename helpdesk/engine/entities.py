"""What the flows read from an `Understood`: the first entity of each kind, normalised."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from helpdesk.understanding import Understood


def _first(understood: Understood | None, kind: str) -> str | None:
    if understood is None:
        return None
    values = getattr(understood.entities, kind, ())
    return str(values[0]) if values else None


def email_of(understood: Understood | None, within: str | None = None) -> str | None:
    """The first address named; with `within`, the first that stands in that text (the
    customer's own words, not an address quoted in a reply's attribution line)."""
    if within is None:
        return _first(understood, "emails")
    emails = getattr(understood.entities, "emails", ()) if understood else ()
    return next((str(e) for e in emails if str(e) in within), None)


def domain_of(understood: Understood | None) -> str | None:
    """The domain the customer names: a bare domain first, else an address's domain."""
    domain = _first(understood, "domains")
    if domain:
        return domain.lower().rstrip(".")
    email = email_of(understood)
    return email.rsplit("@", 1)[1].lower() if email else None


# The understanding layer's client names -> the wording keys of client_settings.client.*
CLIENT_KEYS = {
    "Outlook": "outlook",
    "Thunderbird": "thunderbird",
    "Apple Mail": "apple_mail",
    "iOS": "iphone",
    "Android": "android",
    "Gmail app": "android",
}


def client_of(understood: Understood | None) -> str | None:
    """The first mail client named, as a wording key ("other" for one we have no steps for)."""
    name = _first(understood, "clients")
    if name is None:
        return None
    return CLIENT_KEYS.get(name, "other")


def protocols_of(understood: Understood | None) -> tuple[str, ...]:
    """The protocols named, in order, each as "imap", "pop" or "smtp"."""
    if understood is None:
        return ()
    named = (str(p).lower() for p in getattr(understood.entities, "protocols", ()))
    return tuple("pop" if p.startswith("pop") else p for p in named)


def protocol_of(understood: Understood | None) -> str | None:
    """The first protocol named ("imap", "pop" or "smtp")."""
    return next(iter(protocols_of(understood)), None)


def has_bounce_code(understood: Understood | None) -> bool:
    return bool(_first(understood, "reply_codes") or _first(understood, "status_codes"))


def moment_of(understood: Understood | None) -> tuple[str, str] | None:
    """The moment the customer gave: (as they wrote it, as resolved in ISO 8601).

    Staff read both: the words can be checked against the resolved window.
    """
    if understood is None:
        return None
    moments = getattr(understood.entities, "datetimes", ())
    if not moments:
        return None
    first = moments[0]
    return str(getattr(first, "text", first)), str(first)
