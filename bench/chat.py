"""Chat throughput and latency: N concurrent websocket customers against the help desk.

Each customer opens /chat/ws, says hello and runs a scripted conversation, waiting for the
bot's answer before the next message. The same customers run against a bare aiohttp
websocket echo server in the same run, as the floor of what the transport costs.

    .venv/bin/python bench/chat.py                # 100 and 1,000 customers
    .venv/bin/python bench/chat.py --customers 50

Prints, per server and N: customer messages per second, p50/p99 reply latency, errors and
the server process's peak memory (VmHWM).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, bench/ comes first on sys.path, where bench/email.py would shadow the
# standard library's email package (which aiohttp and others import): drop it.
if Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import tempfile
import time

from aiohttp import ClientSession, ClientTimeout, WSMsgType

REPO = Path(__file__).resolve().parent.parent
SCRIPT = {
    "fr": ["bonjour", "comment configurer thunderbird en imap", "merci beaucoup"],
    "en": ["hello", "how do I set up Outlook with IMAP?", "thank you"],
}

ECHO_SERVER = """
import sys
from aiohttp import web
async def ws(request):
    sock = web.WebSocketResponse()
    await sock.prepare(request)
    async for msg in sock:
        await sock.send_str(msg.data)
    return sock
app = web.Application()
app.router.add_get("/chat/ws", ws)
app.router.add_get("/healthz", lambda r: web.json_response({"status": "ok"}))
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    async with ClientSession() as session:
        for _ in range(600):
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.returncode}")
            try:
                async with session.get(url) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


async def customer(
    session: ClientSession, url: str, lang: str, echo: bool, latencies: list[float]
) -> int:
    """Run one scripted conversation; returns the number of errors seen."""
    errors = 0
    async with session.ws_connect(url, max_msg_size=0) as ws:

        async def until(pred: object) -> dict[str, object]:
            while True:
                msg = await ws.receive(timeout=60)
                if msg.type != WSMsgType.TEXT:
                    raise RuntimeError(f"connection closed: {msg.type}")
                frame = json.loads(msg.data)
                if frame.get("type") == "error":
                    return frame
                if pred(frame):  # type: ignore[operator]
                    return frame

        def bot(frame: dict[str, object]) -> bool:
            return frame.get("type") == "message" and frame.get("from") == "bot"

        await ws.send_json({"type": "hello", "conversation": None, "lang": lang})
        if not echo:
            await until(lambda f: f.get("type") == "welcome")
            await until(bot)  # the opening message
        else:
            await until(lambda f: True)
        for text in SCRIPT[lang]:
            start = time.perf_counter()
            await ws.send_json({"type": "message", "text": text})
            frame = await until((lambda f: True) if echo else bot)
            latencies.append(time.perf_counter() - start)
            errors += frame.get("type") == "error"
            if not echo:  # drain what follows the first bot message of the answer
                try:
                    while True:
                        await ws.receive(timeout=0.05)
                except TimeoutError:
                    pass
    return errors


async def run_load(url: str, n: int, echo: bool) -> dict[str, float]:
    latencies: list[float] = []
    connector_timeout = ClientTimeout(total=None, sock_connect=30)
    async with ClientSession(timeout=connector_timeout) as session:
        start = time.perf_counter()
        results = await asyncio.gather(
            *(customer(session, url, "fr" if i % 2 else "en", echo, latencies) for i in range(n)),
            return_exceptions=True,
        )
        elapsed = time.perf_counter() - start
    errors = sum(r if isinstance(r, int) else 1 for r in results)
    ordered = sorted(latencies)
    return {
        "messages_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000 if ordered else float("nan"),
        "p99_ms": ordered[int(0.99 * (len(ordered) - 1))] * 1000 if ordered else float("nan"),
        "errors": errors,
        "messages": len(latencies),
    }


def start_helpdesk(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    env |= {
        "HELPDESK_DATA_DIR": str(tmp),
        "HELPDESK_HTTP": f"127.0.0.1:{port}",
        "HELPDESK_SMTP_LISTEN": "",
        "HELPDESK_LOG_LEVEL": "warning",
    }
    helpdesk = [sys.executable, "-m", "helpdesk"]
    subprocess.run([*helpdesk, "migrate"], env=env, cwd=REPO, check=True, capture_output=True)
    proc = subprocess.Popen([*helpdesk, "serve"], env=env, cwd=REPO, stderr=subprocess.DEVNULL)
    return proc, f"127.0.0.1:{port}"


def start_echo() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", ECHO_SERVER, str(port)])
    return proc, f"127.0.0.1:{port}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="*", default=[100, 1000])
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # children inherit it

    with tempfile.TemporaryDirectory() as tmp:
        servers = {"helpdesk": start_helpdesk(Path(tmp)), "aiohttp echo": start_echo()}
        try:
            for proc, address in servers.values():
                await wait_up(f"http://{address}/healthz", proc)
            heads = ("N", "msg/s", "p50 ms", "p99 ms", "errors", "peak MB")
            print(f"{'server':<14}" + "".join(f"{h:>10}" for h in heads))
            for n in args.customers:
                for name, (proc, address) in servers.items():
                    stats = await run_load(f"http://{address}/chat/ws", n, name != "helpdesk")
                    print(
                        f"{name:<14}{n:>10}{stats['messages_per_s']:>10.1f}{stats['p50_ms']:>10.1f}"
                        f"{stats['p99_ms']:>10.1f}{stats['errors']:>10}{peak_rss_mb(proc.pid):>10.1f}"
                    )
        finally:
            for proc, _ in servers.values():
                proc.terminate()
                proc.wait(timeout=20)


if __name__ == "__main__":
    asyncio.run(main())
