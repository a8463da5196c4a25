"""Configuration loading: defaults, file and environment overrides, and every error path."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk.config import MASK, ConfigError, load_settings, mask_url_password


def write(tmp_path: Path, text: str, name: str = "helpdesk.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_default_describes_the_seed_provider() -> None:
    """With nothing configured, the profile holds the facts of the seed help pages."""
    s = load_settings({})
    p = s.provider
    assert p.servers == ("mail.zindex.fr", "mail2.zindex.fr")
    assert (p.imap.port, p.imap.security) == (993, "ssl")
    assert (p.pop3.port, p.pop3.security) == (995, "ssl")
    assert (p.smtp.port, p.smtp.security) == (465, "ssl")
    assert p.webmail_url == "https://webmail.zindex.fr"
    assert p.panel_for() == "https://mail.zindex.fr:8443"
    assert p.panel_for("mail2.zindex.fr") == "https://mail2.zindex.fr:8443"
    assert p.support_address == "support@zindex.fr"
    assert p.message_size_limit_mb == 20
    assert p.hourly_send_limit == 300
    assert p.quota_warning_percent == 95
    assert p.spam_suspension_hours == 72
    assert p.spam_score_default == 5.0
    assert p.password_min_length == 8
    assert (s.http_host, s.http_port) == ("127.0.0.1", 8080)
    assert s.public_url == "http://127.0.0.1:8080"
    assert s.smtp_listen == ("127.0.0.1", 2525)
    assert s.smtp_relay is None
    assert s.dns_servers == ()
    assert s.database_url == "sqlite+aiosqlite:///var/helpdesk.sqlite3"


def test_settings_are_frozen() -> None:
    """Settings cannot be changed after start-up."""
    s = load_settings({})
    with pytest.raises(AttributeError):
        s.http_port = 1  # type: ignore[misc]


def test_file_overrides_merge_over_the_default(tmp_path: Path) -> None:
    """A user file changes only the keys it names; lists are replaced."""
    path = write(
        tmp_path,
        '[helpdesk]\nhttp = "0.0.0.0:9000"\n[provider]\nservers = ["mx.example.net"]\n'
        '[provider.smtp]\nport = 587\nsecurity = "starttls"\n',
    )
    s = load_settings({}, path)
    assert (s.http_host, s.http_port) == ("0.0.0.0", 9000)
    assert s.provider.servers == ("mx.example.net",)
    assert (s.provider.smtp.port, s.provider.smtp.security) == (587, "starttls")
    assert s.provider.imap.port == 993
    assert s.config_path == path


def test_config_path_from_environment(tmp_path: Path) -> None:
    """$HELPDESK_CONFIG names the file when --config is not given."""
    path = write(tmp_path, '[helpdesk]\nlog_format = "json"\n')
    assert load_settings({"HELPDESK_CONFIG": str(path)}).log_format == "json"


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    """Every HELPDESK_* variable of the contract wins over the file."""
    path = write(tmp_path, '[helpdesk]\nhttp = "127.0.0.1:9000"\n')
    s = load_settings(
        {
            "HELPDESK_HTTP": "[::1]:8181",
            "HELPDESK_DATA_DIR": str(tmp_path / "data"),
            "HELPDESK_DATABASE_URL": "postgresql://u:pw@db:5432/hd",
            "HELPDESK_PUBLIC_URL": "https://help.example.net/",
            "HELPDESK_SMTP_LISTEN": "",
            "HELPDESK_SMTP_RELAY": "smtps://bot%40example.net:s3cret@relay.example.net",
            "HELPDESK_DNS_SERVERS": "127.0.0.1:5353, 9.9.9.9",
        },
        path,
    )
    assert (s.http_host, s.http_port) == ("::1", 8181)
    assert s.data_dir == tmp_path / "data"
    assert s.database_url == "postgresql+asyncpg://u:pw@db:5432/hd"
    assert s.public_url == "https://help.example.net"
    assert s.smtp_listen is None
    assert s.smtp_relay is not None
    assert (s.smtp_relay.host, s.smtp_relay.port) == ("relay.example.net", 465)
    assert s.smtp_relay.implicit_tls
    assert not s.smtp_relay.starttls
    assert (s.smtp_relay.username, s.smtp_relay.password) == ("bot@example.net", "s3cret")
    assert s.dns_servers == (("127.0.0.1", 5353), ("9.9.9.9", 53))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[helpdesk]\ndatabse_url = ""\n',
            "unknown key 'helpdesk.databse_url' (did you mean 'helpdesk.database_url'?)",
        ),
        (
            '[provider]\nservrs = ["a"]\n',
            "unknown key 'provider.servrs' (did you mean 'provider.servers'?)",
        ),
        ("[provder]\nname = 'x'\n", "unknown table 'provder' (did you mean 'provider'?)"),
        ('[provider.imap]\nport = "abc"\n', "provider.imap.port: expected an integer, got 'abc'"),
        (
            "[provider.imap]\nport = 70000\n",
            "provider.imap.port: expected an integer from 1 to 65535, got 70000",
        ),
        (
            '[provider.imap]\nsecurity = "tls"\n',
            "provider.imap.security: expected one of ssl, starttls, none, got 'tls'",
        ),
        (
            "[provider]\nhourly_send_limit = true\n",
            "provider.hourly_send_limit: expected an integer, got True",
        ),
        ("[provider]\nservers = []\n", "provider.servers: needs at least one host name"),
        ('[provider]\nservers = "mail a"\n', "provider.servers: not a host name: 'mail a'"),
        (
            '[provider]\nsupport_address = "support"\n',
            "provider.support_address: not an email address: 'support'",
        ),
        (
            '[provider]\nwebmail_url = "webmail.example"\n',
            "provider.webmail_url: expected an http:// or https:// URL, got 'webmail.example'",
        ),
        (
            '[provider]\npanel_url = "https://{host}:8443"\n',
            "provider.panel_url: the only placeholder allowed is {server}",
        ),
        (
            '[provider]\nsending_ips = ["10.0.0.300"]\n',
            "provider.sending_ips: not an IP address or network: '10.0.0.300'",
        ),
        (
            '[provider]\nspam_score_default = "high"\n',
            "provider.spam_score_default: expected a number, got 'high'",
        ),
        ("[provider]\nname = 3\n", "provider.name: expected a string, got int"),
        (
            '[provider]\ntimezone = "Mars/Olympus_Mons"\n',
            "provider.timezone: unknown time zone 'Mars/Olympus_Mons'",
        ),
        (
            "[provider]\ntimezone = 1\n",
            "provider.timezone: expected an IANA time zone name such as 'Europe/Paris', got 1",
        ),
        (
            '[helpdesk]\nlog_format = "xml"\n',
            "helpdesk.log_format: expected one of text, json, got 'xml'",
        ),
        ('[helpdesk]\nhttp = "localhost"\n', "helpdesk.http: expected HOST:PORT, got 'localhost'"),
        (
            '[helpdesk]\nsmtp_relay = "http://relay"\n',
            "helpdesk.smtp_relay: expected smtp://, smtp+starttls:// or smtps://, got 'http'",
        ),
        (
            '[helpdesk]\ndns_servers = ["dns.google"]\n',
            "helpdesk.dns_servers: a DNS server must be an IP address, got 'dns.google'",
        ),
        (
            '[helpdesk]\ndatabase_url = "mysql://root:pw@db/x"\n',
            "helpdesk.database_url: expected a sqlite+aiosqlite:// or postgresql:// URL, got 'mysql://root:********@db/x'",
        ),
        ("helpdesk = 3\n", "helpdesk: expected a table"),
    ],
)
def test_bad_file_values_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    """Each bad value stops loading with one line naming the key and the problem."""
    with pytest.raises(ConfigError) as info:
        load_settings({}, write(tmp_path, text))
    assert str(info.value) == message
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"HELPDESK_HTTP": "8080"}, "HELPDESK_HTTP: expected HOST:PORT, got '8080'"),
        ({"HELPDESK_HTTP": "127.0.0.1:http"}, "HELPDESK_HTTP: expected an integer, got 'http'"),
        ({"HELPDESK_PUBLIC_URL": ""}, "HELPDESK_PUBLIC_URL: must not be empty"),
        (
            {"HELPDESK_DNS_SERVERS": "1.1.1.1:99999"},
            "HELPDESK_DNS_SERVERS: expected an integer from 1 to 65535, got 99999",
        ),
        ({"HELPDESK_SMTP_RELAY": "smtp://:25"}, "HELPDESK_SMTP_RELAY: missing host"),
        (
            {"HELPDESK_LOG_LEVEL": "loud"},
            "HELPDESK_LOG_LEVEL: expected one of debug, info, warning, error, got 'loud'",
        ),
        (
            {"HELPDESK_DATABSE_URL": "x"},
            "unknown environment variable 'HELPDESK_DATABSE_URL' (did you mean 'HELPDESK_DATABASE_URL'?)",
        ),
    ],
)
def test_bad_environment_values_name_the_variable(environ: dict[str, str], message: str) -> None:
    """A bad HELPDESK_* value is reported under the variable's own name."""
    with pytest.raises(ConfigError) as info:
        load_settings(environ)
    assert str(info.value) == message


def test_missing_file(tmp_path: Path) -> None:
    """A config path that does not exist is named."""
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings({}, tmp_path / "nope.toml")


def test_directory_instead_of_file(tmp_path: Path) -> None:
    """A directory given as config file is refused clearly."""
    with pytest.raises(ConfigError, match="is a directory"):
        load_settings({}, tmp_path)


def test_invalid_toml(tmp_path: Path) -> None:
    """A TOML syntax error is reported with its position."""
    with pytest.raises(ConfigError, match=r"is not valid TOML: .*line 1"):
        load_settings({}, write(tmp_path, "[helpdesk\n"))


def test_not_utf8(tmp_path: Path) -> None:
    """A file in another encoding is refused, not misread."""
    path = tmp_path / "latin1.toml"
    path.write_bytes('[provider]\nname = "Société"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="not"):
        load_settings({}, path)


def test_secrets_are_masked() -> None:
    """masked() never contains a password or the secret key."""
    s = load_settings(
        {
            "HELPDESK_DATABASE_URL": "postgresql://hd:dbpass@db/hd",
            "HELPDESK_SMTP_RELAY": "smtp+starttls://bot:relaypass@relay:587",
            "HELPDESK_SECRET_KEY": "topsecretkey",
        }
    )
    text = repr(s.masked()) + repr(s)
    for secret in ("dbpass", "relaypass", "topsecretkey"):
        assert secret not in text
    assert s.masked()["smtp_relay"] == f"smtp+starttls://bot:{MASK}@relay:587"
    assert s.masked()["database_url"] == f"postgresql+asyncpg://hd:{MASK}@db/hd"


def test_mask_url_without_password_is_unchanged() -> None:
    """URLs without credentials are shown as they are."""
    assert mask_url_password("sqlite+aiosqlite:///var/x.db") == "sqlite+aiosqlite:///var/x.db"


def test_profile_alone_checks_all_but_the_zone_lookup(tmp_path: Path) -> None:
    """load_profile (for commands that only word diagnoses) checks the provider's values
    as load_settings does, but does not look the time zone up: they never read a time."""
    from helpdesk.profile import load_profile

    path = tmp_path / "helpdesk.toml"
    path.write_text('[provider]\ntimezone = "Mars/Olympus_Mons"\n', encoding="utf-8")
    assert load_profile({}, path).timezone == "Mars/Olympus_Mons"
    for text, key in (
        ("[provider]\ntimezone = 1\n", "provider.timezone: "),
        ("[provider]\nhourly_send_limit = 0\n", "provider.hourly_send_limit: "),
    ):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError) as info:
            load_profile({}, path)
        assert str(info.value).startswith(key)
    assert load_profile({}) == load_settings({}).provider


def test_metrics_are_off_by_default() -> None:
    """With nothing configured there is neither a metrics token nor a metrics listener."""
    s = load_settings({})
    assert s.metrics_token == ""
    assert s.metrics_listen is None


def test_metrics_settings_from_the_environment() -> None:
    """HELPDESK_METRICS_TOKEN and HELPDESK_METRICS_LISTEN set the token and the listener."""
    token = "t" * 32
    s = load_settings(
        {"HELPDESK_METRICS_TOKEN": f" {token} ", "HELPDESK_METRICS_LISTEN": "127.0.0.1:9108"}
    )
    assert s.metrics_token == token
    assert s.metrics_listen == ("127.0.0.1", 9108)
    assert s.masked()["metrics_token"] == MASK
    assert s.masked()["metrics_listen"] == "127.0.0.1:9108"
    assert token not in repr(s) + repr(s.masked())


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"HELPDESK_METRICS_TOKEN": "short"},
            "HELPDESK_METRICS_TOKEN: must have at least 32 characters "
            "(or be empty: no /metrics on the main port)",
        ),
        (
            {"HELPDESK_METRICS_LISTEN": "9108"},
            "HELPDESK_METRICS_LISTEN: expected HOST:PORT, got '9108'",
        ),
        (
            {"HELPDESK_HTTP": "127.0.0.1:8080", "HELPDESK_METRICS_LISTEN": "127.0.0.1:8080"},
            "HELPDESK_METRICS_LISTEN: must differ from the web server's address (http)",
        ),
    ],
)
def test_bad_metrics_settings_name_the_variable(environ: dict[str, str], message: str) -> None:
    """A short token or a bad listen address stops loading with the variable's name."""
    with pytest.raises(ConfigError) as info:
        load_settings(environ)
    assert str(info.value) == message


def test_metrics_listen_clash_in_the_file_names_the_key(tmp_path: Path) -> None:
    """The same address for the web server and the metrics listener is named by its key."""
    path = write(tmp_path, '[helpdesk]\nhttp = "0.0.0.0:80"\nmetrics_listen = "0.0.0.0:80"\n')
    with pytest.raises(ConfigError, match=r"^helpdesk\.metrics_listen: must differ"):
        load_settings({}, path)
