"""The provider profile: facts about the mail host the bot speaks for.

Read from the `[provider]` table of the configuration (the shipped default describes the
provider of the seed documents). Commands that only word diagnoses, such as
`helpdesk bounce`, load the profile alone with `load_profile`; `helpdesk.config` builds it
as part of the whole settings.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from helpdesk.config_values import (
    ConfigError,
    as_text,
    choice,
    email_address,
    email_addresses,
    float_range,
    hostnames,
    http_url,
    int_range,
    networks,
    nonempty,
    nonempty_hostnames,
    panel_url,
    parse_table,
    read_sources,
    time_zone,
    zone_name,
)


@dataclass(frozen=True)
class Endpoint:
    """How a mail client reaches one service (IMAP, POP3, SMTP)."""

    port: int
    security: str  # "ssl" (implicit TLS), "starttls" or "none"


@dataclass(frozen=True)
class ProviderProfile:
    """Facts about the mail host the bot speaks for (see the shipped default)."""

    name: str
    support_address: str
    webmail_url: str
    panel_url: str
    servers: tuple[str, ...]
    mx_hosts: tuple[str, ...]
    spf_include: str
    sending_ips: tuple[str, ...]
    message_size_limit_mb: int
    hourly_send_limit: int
    send_block_hours: int
    quota_warning_percent: int
    spam_suspension_hours: int
    spam_score_default: float
    password_min_length: int
    pop_keep_days: int
    imap: Endpoint
    pop3: Endpoint
    smtp: Endpoint
    # IANA zone where the provider's customers live: "hier à 14h" is read in it.
    timezone: str = "UTC"
    # Other addresses mail reaches support at (contact@, help@): the responder answers
    # mail that names one of them in To or Cc, as it does for the support address.
    support_aliases: tuple[str, ...] = ()

    def panel_for(self, server: str | None = None) -> str:
        """The management panel URL of `server` (the first server by default)."""
        return self.panel_url.format(server=server or self.servers[0])

    @property
    def spf_hosts(self) -> tuple[str, ...]:
        """Sending hosts a customer's SPF must authorise by name: the servers, unless an
        include domain or addresses say it otherwise."""
        return () if self.spf_include or self.sending_ips else self.servers

    @property
    def spf_record(self) -> str:
        """The SPF record of a domain that sends only through us."""
        # Imported here: the SPF package brings asyncio (its checks are async), which
        # `helpdesk bounce` never loads unless an explanation names this record.
        from diagnostics.spf import propose_record

        return propose_record([], self.spf_include, self.sending_ips, self.spf_hosts)


ENDPOINT_KEYS: dict[str, Callable[[Any], Any]] = {
    "port": int_range(1, 65535),
    "security": choice("ssl", "starttls", "none"),
}

PROVIDER_KEYS: dict[str, Callable[[Any], Any]] = {
    "name": nonempty,
    "support_address": email_address,
    "support_aliases": email_addresses,
    "webmail_url": http_url,
    "panel_url": panel_url,
    "servers": nonempty_hostnames,
    "mx_hosts": hostnames,
    "spf_include": as_text,
    "sending_ips": networks,
    "message_size_limit_mb": int_range(1, 10_000),
    "hourly_send_limit": int_range(1, 1_000_000),
    "send_block_hours": int_range(0, 10_000),
    "quota_warning_percent": int_range(1, 100),
    "spam_suspension_hours": int_range(0, 10_000),
    "spam_score_default": float_range(-100, 100),
    "password_min_length": int_range(1, 1024),
    "pop_keep_days": int_range(0, 10_000),
    "timezone": zone_name,  # looked up by parse_profile, see there
}

ENDPOINTS = ("imap", "pop3", "smtp")


def parse_profile(raw: Any, *, look_up_zone: bool = True) -> ProviderProfile:
    """The profile from the raw `[provider]` table; raises ConfigError.

    With `look_up_zone` false, the time zone's name is not looked up in the zone database
    (for commands that never read times, which then spare loading it).
    """
    prov = parse_table(raw, "provider", PROVIDER_KEYS, ENDPOINTS)
    if look_up_zone:
        try:
            time_zone(prov["timezone"])
        except ValueError as exc:
            raise ConfigError(f"provider.timezone: {exc}") from None
    for name in ENDPOINTS:
        ep = parse_table(raw.get(name), f"provider.{name}", ENDPOINT_KEYS)
        prov[name] = Endpoint(**ep)
    return ProviderProfile(**prov)


def load_profile(
    environ: Mapping[str, str], config_path: str | os.PathLike[str] | None = None
) -> ProviderProfile:
    """The provider profile of the configuration, without the rest of the settings.

    Reads the same sources as `helpdesk.config.load_settings` and checks every value the
    same way, except that the time zone is not looked up: the commands that load the
    profile alone word diagnoses and never read a time. Raises ConfigError.
    """
    raw, _ = read_sources(environ, config_path)
    return parse_profile(raw.get("provider"), look_up_zone=False)
