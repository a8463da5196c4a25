"""Configuration: one frozen, typed `Settings` built once at start-up.

Sources, later ones winning: the shipped default (`helpdesk/defaults/helpdesk.toml`),
the TOML file named by `--config` or `$HELPDESK_CONFIG` (merged table by table),
then the `HELPDESK_*` environment variables of contracts.md. Any problem raises
`ConfigError` whose message is one line naming the key and what is wrong.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from helpdesk.config_values import (
    DEFAULT_CONFIG,
    ENV_VARIABLES,
    ConfigError,
    as_text,
    choice,
    host_port,
    http_url,
    int_range,
    nonempty,
    parse_table,
    read_sources,
    str_list,
)
from helpdesk.profile import Endpoint, ProviderProfile, parse_profile

__all__ = [
    "DEFAULT_CONFIG",
    "ENV_VARIABLES",
    "MASK",
    "ConfigError",
    "Endpoint",
    "ImapMailbox",
    "ProviderProfile",
    "Relay",
    "Settings",
    "load_settings",
    "mask_url_password",
]

MASK = "********"


@dataclass(frozen=True)
class Relay:
    """Outgoing SMTP relay parsed from `smtp://`, `smtp+starttls://` or `smtps://` URLs."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def implicit_tls(self) -> bool:
        return self.scheme == "smtps"

    @property
    def starttls(self) -> bool:
        return self.scheme == "smtp+starttls"

    def masked(self) -> str:
        auth = ""
        if self.username is not None:
            auth = quote(self.username, safe="") + (f":{MASK}" if self.password else "") + "@"
        return f"{self.scheme}://{auth}{self.host}:{self.port}"


@dataclass(frozen=True)
class ImapMailbox:
    """The support mailbox the IMAP fetcher reads, from `imap://` or `imaps://` URLs."""

    scheme: str
    host: str
    port: int
    username: str
    password: str = field(repr=False)
    mailbox: str = "INBOX"

    @property
    def implicit_tls(self) -> bool:
        return self.scheme == "imaps"

    def masked(self) -> str:
        user = quote(self.username, safe="")
        return f"{self.scheme}://{user}:{MASK}@{self.host}:{self.port}/{quote(self.mailbox)}"


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to start; built by `load_settings`."""

    config_path: Path | None
    data_dir: Path
    database_url: str = field(repr=False)
    http_host: str
    http_port: int
    public_url: str
    smtp_listen: tuple[str, int] | None
    smtp_relay: Relay | None
    dns_servers: tuple[tuple[str, int], ...]
    log_format: str
    log_level: str
    secret_key: str = field(repr=False)
    provider: ProviderProfile
    # The mailbox service: "" for the embedded store, or the URL of a provider's mailbox API.
    mailbox_service: str = ""
    mailbox_service_token: str = field(default="", repr=False)
    # Non-empty: `serve` also mounts the mailbox API under /api/mailbox for this bearer token.
    mailbox_api_token: str = field(default="", repr=False)
    reset_link_minutes: int = 30
    # The support mailbox the email responder fetches over IMAP; None: no fetcher.
    imap_fetch: ImapMailbox | None = None
    imap_poll_seconds: int = 60
    # Automatic email answers allowed per hour, per ticket and per sender address (RFC 3834
    # loop and abuse protection); what is not answered still lands on the ticket.
    auto_answers_per_ticket: int = 5
    auto_answers_per_sender: int = 10
    # /metrics is never public by default: on the main port only for this bearer token
    # (when set), and on its own listener (when set); neither: not served at all.
    metrics_token: str = field(default="", repr=False)
    metrics_listen: tuple[str, int] | None = None

    def masked(self) -> dict[str, Any]:
        """The effective settings as plain data, every secret replaced by a mask."""
        return {
            "config_path": str(self.config_path) if self.config_path else "(shipped default)",
            "data_dir": str(self.data_dir),
            "database_url": mask_url_password(self.database_url),
            "http": f"{self.http_host}:{self.http_port}",
            "public_url": self.public_url,
            "smtp_listen": f"{self.smtp_listen[0]}:{self.smtp_listen[1]}"
            if self.smtp_listen
            else "",
            "smtp_relay": self.smtp_relay.masked() if self.smtp_relay else "",
            "dns_servers": [f"{h}:{p}" for h, p in self.dns_servers],
            "log_format": self.log_format,
            "log_level": self.log_level,
            "secret_key": MASK if self.secret_key else "(generated in data_dir)",
            "mailbox_service": self.mailbox_service or "(embedded)",
            "mailbox_service_token": MASK if self.mailbox_service_token else "",
            "mailbox_api_token": MASK if self.mailbox_api_token else "(API not mounted)",
            "reset_link_minutes": self.reset_link_minutes,
            "imap_fetch": self.imap_fetch.masked() if self.imap_fetch else "",
            "imap_poll_seconds": self.imap_poll_seconds,
            "auto_answers_per_ticket": self.auto_answers_per_ticket,
            "auto_answers_per_sender": self.auto_answers_per_sender,
            "metrics_token": MASK if self.metrics_token else "(no token)",
            "metrics_listen": f"{self.metrics_listen[0]}:{self.metrics_listen[1]}"
            if self.metrics_listen
            else "",
            "provider": _plain(self.provider),
        }


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def mask_url_password(url: str) -> str:
    """`url` with the password of its authority part (if any) masked."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return url.replace(parts.netloc, f"{user}:{MASK}@{netloc[1]}", 1)


def _optional_listen(value: Any) -> tuple[str, int] | None:
    return host_port(value) if as_text(value).strip() else None


def _dns_servers(value: Any) -> tuple[tuple[str, int], ...]:
    servers = []
    for item in str_list(value):
        host, port = host_port(item, default_port=53)
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise ValueError(f"a DNS server must be an IP address, got {host!r}") from None
        servers.append((host, port))
    return tuple(servers)


def _relay(value: Any) -> Relay | None:
    text = as_text(value).strip()
    if not text:
        return None
    parts = urlsplit(text)
    defaults = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
    if parts.scheme not in defaults:
        raise ValueError(
            f"expected smtp://, smtp+starttls:// or smtps://, got {parts.scheme or text!r}"
        )
    if not parts.hostname:
        raise ValueError("missing host")
    try:
        port = parts.port or defaults[parts.scheme]
    except ValueError:
        raise ValueError("bad port") from None
    return Relay(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _imap(value: Any) -> ImapMailbox | None:
    text = as_text(value).strip()
    if not text:
        return None
    parts = urlsplit(text)
    defaults = {"imap": 143, "imaps": 993}
    if parts.scheme not in defaults:
        raise ValueError(
            f"expected imaps://USER:PASSWORD@HOST[:PORT][/MAILBOX] (or imap:// on loopback), "
            f"got {parts.scheme or mask_url_password(text)!r}"
        )
    if not parts.hostname:
        raise ValueError("missing host")
    if not parts.username or parts.password is None:
        raise ValueError("the URL must hold the user and password of the support mailbox")
    try:
        port = parts.port or defaults[parts.scheme]
    except ValueError:
        raise ValueError("bad port") from None
    if parts.scheme == "imap" and not _loopback(parts.hostname):
        # imap:// logs in with the password in clear (the fetcher has no STARTTLS)
        raise ValueError(
            f"imap:// would send the password in clear to {parts.hostname}: "
            "use imaps:// (imap:// is for a server on this machine only)"
        )
    return ImapMailbox(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        username=unquote(parts.username),
        password=unquote(parts.password),
        mailbox=unquote(parts.path.lstrip("/")) or "INBOX",
    )


def _optional_http_url(value: Any) -> str:
    return http_url(value) if as_text(value).strip() else ""


def _api_token(value: Any) -> str:
    text = as_text(value).strip()
    if text and len(text) < 32:
        raise ValueError("must have at least 32 characters (or be empty to disable the API)")
    return text


def _metrics_token(value: Any) -> str:
    text = as_text(value).strip()
    if text and len(text) < 32:
        raise ValueError(
            "must have at least 32 characters (or be empty: no /metrics on the main port)"
        )
    return text


def _database_url(value: Any) -> str:
    text = as_text(value).strip()
    if text and not text.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        if text.startswith(("postgres://", "postgresql://")):
            # Accept the usual libpq spelling and pick the async driver we ship.
            return "postgresql+asyncpg://" + text.split("://", 1)[1]
        raise ValueError(
            f"expected a sqlite+aiosqlite:// or postgresql:// URL, got {mask_url_password(text)!r}"
        )
    return text


# --- the schema: (table, key) -> parser; environment variables map onto [helpdesk] keys

_HELPDESK_KEYS: dict[str, Callable[[Any], Any]] = {
    "data_dir": nonempty,
    "database_url": _database_url,
    "http": host_port,
    "public_url": http_url,
    "smtp_listen": _optional_listen,
    "smtp_relay": _relay,
    "dns_servers": _dns_servers,
    "log_format": choice("text", "json"),
    "log_level": choice("debug", "info", "warning", "error"),
    "secret_key": as_text,
    "mailbox_service": _optional_http_url,
    "mailbox_service_token": as_text,
    "mailbox_api_token": _api_token,
    "reset_link_minutes": int_range(1, 24 * 60),
    "imap_fetch": _imap,
    "imap_poll_seconds": int_range(5, 3600),
    "auto_answers_per_ticket": int_range(1, 1000),
    "auto_answers_per_sender": int_range(1, 1000),
    "metrics_token": _metrics_token,
    "metrics_listen": _optional_listen,
}


def load_settings(
    environ: Mapping[str, str], config_path: str | os.PathLike[str] | None = None
) -> Settings:
    """Build the settings from the default, the config file and `environ`.

    `config_path` (from `--config`) wins over `$HELPDESK_CONFIG`. Raises ConfigError.
    """
    raw, path = read_sources(environ, config_path)
    core_raw = (
        dict(raw["helpdesk"]) if isinstance(raw.get("helpdesk"), dict) else raw.get("helpdesk")
    )
    if isinstance(core_raw, dict):
        for var, key in ENV_VARIABLES.items():
            if var in environ:
                core_raw[key] = environ[var]
    try:
        core = parse_table(core_raw, "helpdesk", _HELPDESK_KEYS)
    except ConfigError as exc:
        # Name the environment variable when that is where the bad value came from.
        key = str(exc).split(":", 1)[0].removeprefix("helpdesk.")
        from_env = [v for v, k in ENV_VARIABLES.items() if k == key and v in environ]
        if from_env:
            raise ConfigError(f"{from_env[0]}: {str(exc).split(': ', 1)[1]}") from None
        raise

    provider = parse_profile(raw.get("provider"))

    if core["mailbox_service"] and not core["mailbox_service_token"].strip():
        key = "HELPDESK_MAILBOX_SERVICE_TOKEN"
        if key not in environ:
            key = "helpdesk.mailbox_service_token"
        raise ConfigError(f"{key}: required when mailbox_service is a URL")

    if core["metrics_listen"] is not None and core["metrics_listen"] == core["http"]:
        key = "HELPDESK_METRICS_LISTEN"
        if key not in environ:
            key = "helpdesk.metrics_listen"
        raise ConfigError(f"{key}: must differ from the web server's address (http)")

    data_dir = Path(core["data_dir"])
    database_url = core["database_url"] or f"sqlite+aiosqlite:///{data_dir / 'helpdesk.sqlite3'}"
    host, port = core["http"]
    return Settings(
        config_path=path,
        data_dir=data_dir,
        database_url=database_url,
        http_host=host,
        http_port=port,
        public_url=core["public_url"],
        smtp_listen=core["smtp_listen"],
        smtp_relay=core["smtp_relay"],
        dns_servers=core["dns_servers"],
        log_format=core["log_format"],
        log_level=core["log_level"],
        secret_key=core["secret_key"],
        provider=provider,
        mailbox_service=core["mailbox_service"],
        mailbox_service_token=core["mailbox_service_token"].strip(),
        mailbox_api_token=core["mailbox_api_token"],
        reset_link_minutes=core["reset_link_minutes"],
        imap_fetch=core["imap_fetch"],
        imap_poll_seconds=core["imap_poll_seconds"],
        auto_answers_per_ticket=core["auto_answers_per_ticket"],
        auto_answers_per_sender=core["auto_answers_per_sender"],
        metrics_token=core["metrics_token"],
        metrics_listen=core["metrics_listen"],
    )
