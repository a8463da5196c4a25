"""`helpdesk serve` as an operator runs it: starts, answers /healthz, stops cleanly on SIGTERM."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO


def cli_env(env: dict[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    # Development mode turns unclosed resources and un-awaited coroutines into warnings.
    return base | env | {"PYTHONDEVMODE": "1", "PYTHONWARNINGS": "default"}


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "server exited early"
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback URL
                return int(resp.status)
        except OSError:
            time.sleep(0.1)
    raise AssertionError("server did not become healthy")


@contextlib.contextmanager
def serving(env: dict[str, str], environ: dict[str, str]) -> Iterator[list[str]]:
    """`helpdesk migrate`, then `helpdesk serve` until the block ends, then SIGTERM; the
    list it yields holds the server's log once it has stopped, which must be clean."""
    helpdesk = [sys.executable, "-m", "helpdesk"]
    subprocess.run([*helpdesk, "migrate"], env=environ, check=True, cwd=REPO, capture_output=True)
    proc = subprocess.Popen(
        [*helpdesk, "serve"], env=environ, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    log: list[str] = []
    try:
        assert wait_healthy(f"http://{env['HELPDESK_HTTP']}/healthz", proc) == 200
        yield log
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    text = err.decode()
    assert proc.returncode == 0, text
    for bad in ("Warning", "Unclosed", "Traceback", "ERROR", "never awaited"):
        assert bad not in text, text
    log.append(text)


def test_serve_health_and_clean_sigterm(env: dict[str, str]) -> None:
    """After migrate, serve answers /healthz with 200 and exits 0 on SIGTERM without warnings."""
    with serving(env, cli_env(env)) as log:
        pass
    [text] = log
    assert "serving on http://" in text
    assert "stopped" in text


def test_serve_json_logs(env: dict[str, str], tmp_path: Path) -> None:
    """With log_format json, every log line on stderr is one JSON object."""
    import json

    environ = cli_env(env | {"HELPDESK_LOG_FORMAT": "json"})
    helpdesk = [sys.executable, "-m", "helpdesk"]
    subprocess.run([*helpdesk, "migrate"], env=environ, check=True, cwd=REPO, capture_output=True)
    proc = subprocess.Popen(
        [*helpdesk, "serve"], env=environ, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        wait_healthy(f"http://{env['HELPDESK_HTTP']}/healthz", proc)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    lines = [json.loads(line) for line in err.decode().splitlines() if line.strip()]
    assert lines
    assert all({"ts", "level", "logger", "msg"} <= set(entry) for entry in lines)
    assert any(entry["logger"] == "helpdesk.access" for entry in lines)


def test_serve_metrics_on_their_own_listener(env: dict[str, str]) -> None:
    """With HELPDESK_METRICS_LISTEN, serve answers /metrics there and 404 on the main port."""
    import urllib.error

    from tests.conftest import free_port

    metrics = f"127.0.0.1:{free_port()}"
    with serving(env, cli_env(env | {"HELPDESK_METRICS_LISTEN": metrics})) as log:
        with urllib.request.urlopen(f"http://{metrics}/metrics", timeout=5) as resp:
            assert resp.status == 200
            assert b'route="/healthz"' in resp.read()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://{env['HELPDESK_HTTP']}/metrics", timeout=5)
        assert refused.value.code == 404  # /metrics is not public on the main port
        refused.value.close()
    [text] = log
    assert f"metrics on http://{metrics}/metrics" in text
