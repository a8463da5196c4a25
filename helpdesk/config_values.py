"""Configuration values: parsers from raw TOML or environment values, and the sources.

Each parser takes the raw value and returns the typed one or raises ValueError with what
is wrong; `parse_table` turns that into a `ConfigError` naming the key.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from helpdesk.resources import DEFAULT_CONFIG as DEFAULT_CONFIG  # re-exported

# contracts.md: the environment variables, each overriding one key of [helpdesk]
ENV_VARIABLES: dict[str, str] = {
    "HELPDESK_DATA_DIR": "data_dir",
    "HELPDESK_DATABASE_URL": "database_url",
    "HELPDESK_HTTP": "http",
    "HELPDESK_PUBLIC_URL": "public_url",
    "HELPDESK_SMTP_LISTEN": "smtp_listen",
    "HELPDESK_SMTP_RELAY": "smtp_relay",
    "HELPDESK_DNS_SERVERS": "dns_servers",
    "HELPDESK_LOG_FORMAT": "log_format",
    "HELPDESK_LOG_LEVEL": "log_level",
    "HELPDESK_SECRET_KEY": "secret_key",
    "HELPDESK_MAILBOX_SERVICE": "mailbox_service",
    "HELPDESK_MAILBOX_SERVICE_TOKEN": "mailbox_service_token",
    "HELPDESK_MAILBOX_API_TOKEN": "mailbox_api_token",
    "HELPDESK_RESET_LINK_MINUTES": "reset_link_minutes",
    "HELPDESK_IMAP_FETCH": "imap_fetch",
    "HELPDESK_IMAP_POLL_SECONDS": "imap_poll_seconds",
    "HELPDESK_AUTO_ANSWERS_PER_TICKET": "auto_answers_per_ticket",
    "HELPDESK_AUTO_ANSWERS_PER_SENDER": "auto_answers_per_sender",
    "HELPDESK_METRICS_TOKEN": "metrics_token",
    "HELPDESK_METRICS_LISTEN": "metrics_listen",
}


class ConfigError(Exception):
    """The configuration cannot be used; the message (one line) names the key to fix."""


def as_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return value


def nonempty(value: Any) -> str:
    text = as_text(value).strip()
    if not text:
        raise ValueError("must not be empty")
    return text


def zone_name(value: Any) -> str:
    """A time zone's name, not looked up (see `time_zone`)."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected an IANA time zone name such as 'Europe/Paris', got {value!r}")
    return value


def time_zone(value: Any) -> str:
    """A time zone's name, checked against the system's (or tzdata's) zone database."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # what only the lookup needs

    name = zone_name(value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


def int_range(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an integer, got {value!r}")
        if not low <= value <= high:
            raise ValueError(f"expected an integer from {low} to {high}, got {value}")
        return value

    return parse


def float_range(low: float, high: float) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise ValueError(f"expected a number, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {value!r}")
        if not low <= value <= high:
            raise ValueError(f"expected a number from {low} to {high}, got {value}")
        return float(value)

    return parse


def choice(*options: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = as_text(value).strip().lower()
        if text not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {value!r}")
        return text

    return parse


def str_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v for v in (p.strip() for p in value.split(",")) if v]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return tuple(v.strip() for v in value)


def hostnames(value: Any) -> tuple[str, ...]:
    names = str_list(value)
    for name in names:
        if not name or " " in name or "/" in name:
            raise ValueError(f"not a host name: {name!r}")
    return names


def nonempty_hostnames(value: Any) -> tuple[str, ...]:
    names = hostnames(value)
    if not names:
        raise ValueError("needs at least one host name")
    return names


def networks(value: Any) -> tuple[str, ...]:
    nets = str_list(value)
    for net in nets:
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError:
            raise ValueError(f"not an IP address or network: {net!r}") from None
    return nets


def email_address(value: Any) -> str:
    text = nonempty(value)
    local, _, domain = text.rpartition("@")
    if not local or "." not in domain or " " in text:
        raise ValueError(f"not an email address: {text!r}")
    return text


def email_addresses(value: Any) -> tuple[str, ...]:
    return tuple(email_address(v) for v in str_list(value))


def http_url(value: Any) -> str:
    text = nonempty(value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected an http:// or https:// URL, got {text!r}")
    return text.rstrip("/")


def panel_url(value: Any) -> str:
    text = nonempty(value)
    try:
        sample = text.format(server="mail.example.net")
    except (KeyError, IndexError, ValueError):
        raise ValueError("the only placeholder allowed is {server}") from None
    http_url(sample)
    return text.rstrip("/")


def host_port(value: Any, *, default_port: int | None = None) -> tuple[str, int]:
    text = nonempty(value)
    if text.startswith("["):  # [IPv6]:port
        host, sep, port = text[1:].partition("]:")
        if not sep:
            raise ValueError(f"expected [IPV6]:PORT, got {text!r}")
    elif text.count(":") == 1:
        host, port = text.split(":")
    elif default_port is not None:
        host, port = text, str(default_port)
    else:
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    if not host:
        raise ValueError(f"missing host in {text!r}")
    return host, int_range(1, 65535)(port)


def unknown(kind: str, name: str, known: list[str]) -> ConfigError:
    """The error for an unknown name, with the closest known one as a hint."""
    import difflib  # only on this error path

    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ConfigError(f"unknown {kind} {name!r}{hint}")


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {str(path)!r} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {str(path)!r} is a directory") from None
    except PermissionError:
        raise ConfigError(f"config file {str(path)!r} cannot be read (permission denied)") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {str(path)!r} is not UTF-8") from None
    except ValueError as exc:  # tomllib.TOMLDecodeError
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}") from None


def merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def parse_table(
    raw: Any, path: str, schema: Mapping[str, Callable[[Any], Any]], subtables: tuple[str, ...] = ()
) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a table")
    for key in raw:
        if key not in schema and key not in subtables:
            raise unknown("key", f"{path}.{key}", [f"{path}.{k}" for k in (*schema, *subtables)])
    out: dict[str, Any] = {}
    for key, parse in schema.items():
        if key not in raw:
            raise ConfigError(f"{path}.{key}: missing")
        try:
            out[key] = parse(raw[key])
        except ValueError as exc:
            raise ConfigError(f"{path}.{key}: {exc}") from None
    return out


def read_sources(
    environ: Mapping[str, str], config_path: str | os.PathLike[str] | None
) -> tuple[dict[str, Any], Path | None]:
    """The raw configuration (shipped default merged with the config file) and its path.

    `config_path` (from `--config`) wins over `$HELPDESK_CONFIG`. An unknown `HELPDESK_*`
    variable  or an unknown table raises ConfigError.
    """
    for name in environ:
        if name.startswith("HELPDESK_") and name not in ENV_VARIABLES and name != "HELPDESK_CONFIG":
            raise unknown("environment variable", name, [*ENV_VARIABLES, "HELPDESK_CONFIG"])
    raw = read_toml(DEFAULT_CONFIG)
    chosen = config_path if config_path is not None else environ.get("HELPDESK_CONFIG") or None
    path = Path(chosen) if chosen is not None else None
    if path is not None:
        user = read_toml(path)
        for table in user:
            if table not in raw:
                raise unknown("table", table, list(raw))
        raw = merge(raw, user)
    return raw, path
