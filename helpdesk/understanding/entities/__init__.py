"""Facts pulled out of a customer's text: codes, addresses, clients, protocols, times.

Pure functions of the text (and of a reference moment for dates): no clock, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from helpdesk.understanding.entities.addresses import domains, emails, ip_addresses
from helpdesk.understanding.entities.clients import mail_clients, protocols, without_names
from helpdesk.understanding.entities.codes import reply_codes, status_codes
from helpdesk.understanding.entities.moments import Moment, moments


@dataclass(frozen=True, slots=True)
class Entities:
    """Everything `extract_entities` found in one text, each kind in order of appearance."""

    reply_codes: tuple[str, ...] = ()
    status_codes: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()
    clients: tuple[str, ...] = ()
    protocols: tuple[str, ...] = ()
    datetimes: tuple[Moment, ...] = ()


def extract_entities(text: str, now: datetime | None = None) -> Entities:
    """The entities of `text`; dates and times only when `now` is given to resolve them."""
    return Entities(
        reply_codes=reply_codes(text),
        status_codes=status_codes(text),
        emails=emails(text),
        domains=domains(text),
        ip_addresses=ip_addresses(text),
        clients=mail_clients(text),
        protocols=protocols(text),
        datetimes=moments(text, now) if now is not None else (),
    )


__all__ = [
    "Entities",
    "Moment",
    "domains",
    "emails",
    "extract_entities",
    "ip_addresses",
    "mail_clients",
    "moments",
    "protocols",
    "reply_codes",
    "status_codes",
    "without_names",
]
