"""A small authoritative DNS server on loopback, for tests that need the real resolver path.

    with DNSServer().start({"example.com": [{"TXT": "v=spf1 -all"}]}) as server:
        env["HELPDESK_DNS_SERVERS"] = server.address   # "127.0.0.1:PORT"

The zone has the form of the SPF suite's `zonedata` (see diagnostics.zone): an owner that
is `["TIMEOUT"]` never gets an answer, over UDP or TCP. It serves TXT, SPF, A, AAAA, MX,
PTR (CNAMEs are followed in the answer), NXDOMAIN and empty answers, on one free port for
UDP and TCP; a UDP answer over 512 bytes (or the query's EDNS size) is truncated so that
the client retries over TCP.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT

from diagnostics.dns import MX, Status
from diagnostics.zone import ZoneData, ZoneResolver

TTL = 300


class DNSServer:
    """An authoritative server for one zone, on 127.0.0.1 and a free port, in threads."""

    def __init__(self) -> None:
        self.zone = ZoneResolver({})
        self.queries: list[tuple[str, str, str]] = []  # (name, type, "udp"|"tcp")
        self.port = 0
        self._stop = threading.Event()
        self._servers: list[socketserver.BaseServer] = []
        self._threads: list[threading.Thread] = []

    @property
    def address(self) -> str:
        """`127.0.0.1:PORT`, the form HELPDESK_DNS_SERVERS takes."""
        return f"127.0.0.1:{self.port}"

    def start(self, zone: ZoneData) -> DNSServer:
        """Serve `zone` until `stop()`; returns self (also a context manager)."""
        self.zone = ZoneResolver(zone)
        for _ in range(50):
            udp = _UDPServer(("127.0.0.1", 0), _UDPHandler, self)
            port = udp.server_address[1]
            try:
                tcp = _TCPServer(("127.0.0.1", port), _TCPHandler, self)
            except OSError:
                udp.server_close()
                continue
            break
        else:  # pragma: no cover - the machine has no free port pair
            raise RuntimeError("no free port for UDP and TCP")
        self.port = port
        self._servers = [udp, tcp]
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop serving and close every socket."""
        self._stop.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join()
        self._servers, self._threads = [], []

    def __enter__(self) -> DNSServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(self, wire: bytes, proto: str) -> bytes | None:
        """The reply to one query in wire format, or None to stay silent (timeout)."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if len(query.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
            return response.to_wire()
        question = query.question[0]
        qname = question.name
        rtype = dns.rdatatype.to_text(question.rdtype)
        name = b".".join(qname.labels[:-1]).decode("utf-8", "surrogateescape")
        self.queries.append((name, rtype, proto))
        result = self.zone.lookup(name, rtype)
        if result.status is Status.TIMEOUT:
            return None
        if result.status is Status.NXDOMAIN:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif result.status is Status.SERVFAIL:
            response.set_rcode(dns.rcode.SERVFAIL)
        elif result.records:
            rrset = response.find_rrset(
                response.answer, qname, dns.rdataclass.IN, question.rdtype, create=True
            )
            for record in result.records:
                try:
                    rrset.add(_rdata(question.rdtype, record), TTL)
                except (ValueError, dns.exception.DNSException):
                    continue  # not representable on the wire (a TXT RR with no string)
            if not rrset:
                response.answer.remove(rrset)
        limit = 65535 if proto == "tcp" else max(512, query.payload if query.edns >= 0 else 512)
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            truncated = dns.message.make_response(query)
            truncated.flags |= dns.flags.AA | dns.flags.TC
            return truncated.to_wire()


def _rdata(rdtype: dns.rdatatype.RdataType, record: Any) -> dns.rdata.Rdata:
    if rdtype in (dns.rdatatype.TXT, dns.rdatatype.SPF):
        # A character-string holds 255 bytes: longer zone strings are split, as zone tools do.
        pieces = [s[i : i + 255] for s in record for i in range(0, max(len(s), 1), 255)]
        return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, rdtype, pieces)
    if isinstance(record, MX):
        text = f"{record.preference} {record.host.rstrip('.') + '.' if record.host else '.'}"
        return dns.rdata.from_text(dns.rdataclass.IN, rdtype, text)
    if rdtype in (dns.rdatatype.PTR, dns.rdatatype.CNAME):
        return dns.rdata.from_text(dns.rdataclass.IN, rdtype, record.rstrip(".") + ".")
    return dns.rdata.from_text(dns.rdataclass.IN, rdtype, record)


class _UDPServer(socketserver.ThreadingUDPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, address: tuple[str, int], handler: type, dns_server: DNSServer) -> None:
        self.dns_server = dns_server
        super().__init__(address, handler)


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, address: tuple[str, int], handler: type, dns_server: DNSServer) -> None:
        self.dns_server = dns_server
        super().__init__(address, handler)


class _UDPHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        wire, sock = self.request
        reply = self.server.dns_server.answer(wire, "udp")  # type: ignore[attr-defined]
        if reply is not None:
            sock.sendto(reply, self.client_address)


class _TCPHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(5)
        dns_server: DNSServer = self.server.dns_server  # type: ignore[attr-defined]
        with contextlib.suppress(OSError):
            while True:
                head = _read(sock, 2)
                if head is None:
                    return
                wire = _read(sock, struct.unpack("!H", head)[0])
                if wire is None:
                    return
                reply = dns_server.answer(wire, "tcp")
                if reply is None:
                    dns_server._stop.wait(5)  # a silent server: hold the connection open
                    return
                sock.sendall(struct.pack("!H", len(reply)) + reply)


def _read(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


@contextlib.contextmanager
def serve(zone: ZoneData) -> Iterator[DNSServer]:
    """Run a server for `zone` for the duration of a `with` block."""
    server = DNSServer().start(zone)
    try:
        yield server
    finally:
        server.stop()
