"""Email responder throughput and latency, end to end over SMTP on loopback.

Starts `helpdesk serve` (SMTP listener on, SQLite in a temporary data dir) with a real
SMTP server (aiosmtpd) standing as its relay, then sends N customer questions from C
concurrent SMTP clients (aiosmtplib). Each question is a real one (settings, webmail, a
pasted bounce, out-of-office set-up; French and English), so the whole path runs:
listener, fsync'd spool, parsing, engine, ticket transaction, outbox, relay.

    .venv/bin/python bench/email.py                 # 300 messages, 8 clients, a burst
    .venv/bin/python bench/email.py --messages 1000 --clients 16
    .venv/bin/python bench/email.py --messages 100 --rate 5   # paced: latency unqueued

Prints: messages per second ingested (acknowledged with 250) and answered (answer handed
to the relay), and p50/p99 of the time from the listener's 250 to the answer's arrival at
the relay.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's name would hide the standard library's `email` package.
if Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from email import message_from_bytes
from email.message import EmailMessage
from typing import Any

import aiosmtplib
from aiosmtpd.controller import Controller

REPO = Path(__file__).resolve().parent.parent
HELPDESK = str(Path(sys.executable).with_name("helpdesk"))
QUESTIONS = [
    "Bonjour, comment configurer Thunderbird en IMAP ? Merci",
    "Hello, how do I log in to webmail?",
    "Bonjour, mon mail revient avec l'erreur 452 4.2.2 Mailbox full, que faire ?",
    "How can I set an out of office reply?",
    "Quels sont les réglages POP pour mon iPhone ?",
    "I got this: 550 5.1.1 <john@example.com>: Recipient address rejected: User unknown",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Capture:
    """The relay: when each answer arrived, by the Message-ID it answers."""

    def __init__(self, expected: int, loop: asyncio.AbstractEventLoop) -> None:
        self.arrived: dict[str, float] = {}
        self.lock = threading.Lock()
        self.expected = expected
        self.loop = loop
        self.all_in = asyncio.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.perf_counter()
        headers = bytes(envelope.original_content).split(b"\r\n\r\n", 1)[0]
        answered = str(message_from_bytes(headers + b"\r\n\r\n").get("In-Reply-To", ""))
        with self.lock:
            self.arrived.setdefault(answered, now)
            if len(self.arrived) >= self.expected:
                self.loop.call_soon_threadsafe(self.all_in.set)
        return "250 OK"


def question(n: int) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Client {n} <client{n}@bench.example>"
    msg["To"] = "support@zindex.fr"
    msg["Subject"] = f"Question {n}"
    msg["Message-ID"] = f"<bench-{n}-{os.getpid()}@bench.example>"
    msg.set_content(QUESTIONS[n % len(QUESTIONS)])
    return msg


async def wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("helpdesk serve exited; see its log")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            await asyncio.sleep(0.1)
    sys.exit("the SMTP listener did not come up within 60 s")


def start_server(environ: dict[str, str], log: Any) -> subprocess.Popen[bytes]:
    subprocess.run([HELPDESK, "migrate"], env=environ, check=True, capture_output=True)
    return subprocess.Popen([HELPDESK, "serve"], env=environ, stdout=log, stderr=log, cwd=REPO)


async def run(messages: int, clients: int, rate: float) -> None:
    capture = Capture(messages, asyncio.get_running_loop())
    relay_port, smtp_port = free_port(), free_port()
    controller = Controller(capture, hostname="127.0.0.1", port=relay_port)
    controller.start()
    data_dir = Path(tempfile.mkdtemp(prefix="helpdesk-bench-email-"))
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")},
        "HELPDESK_DATA_DIR": str(data_dir),
        "HELPDESK_HTTP": f"127.0.0.1:{free_port()}",
        "HELPDESK_SMTP_LISTEN": f"127.0.0.1:{smtp_port}",
        "HELPDESK_SMTP_RELAY": f"smtp://127.0.0.1:{relay_port}",
        "HELPDESK_SECRET_KEY": "bench-" + "k" * 32,
        "HELPDESK_DNS_SERVERS": "127.0.0.1:9",  # no DNS question in this mix
        "HELPDESK_LOG_LEVEL": "warning",
    }
    log = (data_dir / "serve.log").open("wb")
    proc = await asyncio.to_thread(start_server, environ, log)
    try:
        await wait_port(smtp_port, proc)
        mails = [question(n) for n in range(messages)]
        acked: dict[str, float] = {}
        queue = list(range(messages))

        start = time.perf_counter()

        async def client() -> None:
            smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=smtp_port, start_tls=False)
            await smtp.connect()
            try:
                while queue:
                    n = queue.pop(0)
                    if rate:  # paced: message n leaves at start + n / rate
                        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
                    msg = mails[n]
                    await smtp.send_message(msg)
                    acked[str(msg["Message-ID"])] = time.perf_counter()
            finally:
                await smtp.quit()

        await asyncio.gather(*(client() for _ in range(clients)))
        ingested = time.perf_counter()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(capture.all_in.wait(), max(120, messages))
        done = max(capture.arrived.values(), default=time.perf_counter())
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:  # say so, and do not hide what went wrong before
            print("the help desk did not stop within 30 s of SIGTERM: killed", file=sys.stderr)
            proc.kill()
            proc.wait()
        controller.stop()
        log.close()

    latencies = sorted(
        capture.arrived[mid] - sent for mid, sent in acked.items() if mid in capture.arrived
    )
    answered = len(latencies)
    pace = f", paced at {rate:g} msg/s" if rate else ", as fast as they can"
    print(f"messages: {messages}, concurrent SMTP clients: {clients}{pace}")
    print(f"ingested: {messages / (ingested - start):8.1f} msg/s (250 from the listener)")
    print(f"answered: {answered / (done - start):8.1f} msg/s end to end ({answered} answers)")
    if latencies:
        p50 = statistics.median(latencies)
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(f"250 -> answer at the relay: p50 {p50 * 1000:7.0f} ms, p99 {p99 * 1000:7.0f} ms")
    if answered < messages:
        sys.exit(f"only {answered} of {messages} answered; see {data_dir / 'serve.log'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rate", type=float, default=0, help="messages per second; 0: burst")
    args = parser.parse_args()
    asyncio.run(run(args.messages, args.clients, args.rate))


if __name__ == "__main__":
    main()
