"""check_host() of RFC 7208 (section 4 to 7) over an injected asynchronous resolver."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from typing import Any, Literal

from diagnostics.dns import Answer, Resolver, Status, join_txt
from diagnostics.spf._macro import Expand, MacroError, Token, parse_macro_string, transform
from diagnostics.spf._names import IPAddress, parse_ip, shorten, valid_domain
from diagnostics.spf._record import Mechanism, Record, is_spf_record, parse_record

Result = Literal["pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"]
RESULTS: tuple[Result, ...] = (
    "pass",
    "fail",
    "softfail",
    "neutral",
    "none",
    "temperror",
    "permerror",
)
QUALIFIERS: dict[str, Result] = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}


@dataclass(frozen=True, slots=True)
class SpfResult:
    """The outcome of check_host().

    `reason` is a stable code: matched, default (no mechanism matched), no_record,
    invalid_domain, multiple_records, syntax_error, too_many_lookups,
    too_many_void_lookups, too_many_mx, include_no_record, redirect_no_record,
    dns_error, invalid_ip. `mechanism` is the term that decided, when one did.
    `explanation` is set for a fail only (RFC 7208 6.2).
    """

    result: Result
    domain: str
    reason: str
    explanation: str | None = None
    record: str | None = None
    mechanism: str | None = None
    lookups: int = 0
    void_lookups: int = 0


class _Abort(Exception):
    """Stops the evaluation with a temperror or permerror (internal control flow)."""

    def __init__(self, result: Result, reason: str, term: str | None = None) -> None:
        super().__init__(reason)
        self.result = result
        self.reason = reason
        self.term = term


@dataclass(frozen=True, slots=True)
class _Outcome:
    result: Result
    reason: str
    record: str | None = None
    term: str | None = None
    explanation: str | None = None


class Evaluation:
    """One run of check_host() with its lookup counters (shared by includes and redirects)."""

    def __init__(
        self,
        resolver: Resolver,
        ip: IPAddress,
        ip_text: str,
        sender: str,
        helo: str,
        *,
        receiver: str = "unknown",
        default_explanation: str | None = None,
        max_lookups: int = 10,
        max_void_lookups: int = 2,
    ) -> None:
        """Prepare an evaluation; see `check_host` for the arguments."""
        self.resolver = resolver
        self.ip = ip
        self.v6 = ip.version == 6
        self.ip_int = int(ip)
        self.ip_bits = 128 if self.v6 else 32
        self.ip_text = ip_text
        self.sender = sender
        local, _, self.sender_domain = sender.rpartition("@")
        self.local = local or "postmaster"
        self.helo = helo
        self.receiver = receiver
        self.default_explanation = default_explanation
        self.max_lookups = max_lookups
        self.max_void_lookups = max_void_lookups
        self.lookups = 0
        self.voids = 0
        self._validated: list[str] | None = None
        self._top_record: str | None = None

    async def run(self, domain: str) -> SpfResult:
        """Evaluate the policy of `domain` for this client and sender."""
        record: str | None = None
        try:
            out = await self._check(domain, want_exp=True, top=True)
            record = out.record
            return SpfResult(
                out.result,
                domain,
                out.reason,
                out.explanation,
                record,
                out.term,
                self.lookups,
                self.voids,
            )
        except _Abort as abort:
            return SpfResult(
                abort.result,
                domain,
                abort.reason,
                None,
                self._top_record,
                abort.term,
                self.lookups,
                self.voids,
            )

    async def _check(self, domain: str, *, want_exp: bool, top: bool = False) -> _Outcome:
        if not valid_domain(domain):
            return _Outcome("none", "invalid_domain")
        answer = await self.resolver.txt(domain)
        if answer.is_error:
            raise _Abort("temperror", "dns_error")
        found = [r for r in map(join_txt, answer.records) if is_spf_record(r)]
        if not found:
            return _Outcome("none", "no_record")
        if len(found) > 1:
            raise _Abort("permerror", "multiple_records")
        text = found[0].decode("utf-8", "replace")
        if top:
            self._top_record = text
        record = parse_record(text)
        if record.issues:
            raise _Abort("permerror", "syntax_error", record.issues[0].term)
        for mech in record.mechanisms:
            if await self._match(mech, domain):
                result = QUALIFIERS[mech.qualifier]
                explanation = None
                if result == "fail" and want_exp:
                    explanation = await self._explain(record, domain)
                return _Outcome(result, "matched", text, mech.text, explanation)
        redirect = record.modifier("redirect")
        if redirect is not None:
            self._count_lookup(redirect.text)
            target = await self._target(redirect.tokens, domain)
            out = await self._check(target or "", want_exp=want_exp)
            if out.result == "none":
                raise _Abort("permerror", "redirect_no_record", redirect.text)
            return _Outcome(out.result, out.reason, text, out.term, out.explanation)
        return _Outcome("neutral", "default", text)

    def _count_lookup(self, term: str) -> None:
        self.lookups += 1
        if self.lookups > self.max_lookups:
            raise _Abort("permerror", "too_many_lookups", term)

    def _dns(self, answer: Answer[Any], term: str) -> None:
        if answer.status is Status.OK and answer.records:
            return
        if answer.is_error:
            raise _Abort("temperror", "dns_error", term)
        self.voids += 1
        if self.voids > self.max_void_lookups:
            raise _Abort("permerror", "too_many_void_lookups", term)

    async def _addresses(self, name: str) -> Answer[str]:
        return await (self.resolver.aaaa(name) if self.v6 else self.resolver.a(name))

    def _in(self, addresses: tuple[str, ...], cidr4: int, cidr6: int) -> bool:
        shift = self.ip_bits - (cidr6 if self.v6 else cidr4)
        want = self.ip_int >> shift
        family = socket.AF_INET6 if self.v6 else socket.AF_INET
        for text in addresses:
            try:
                packed = socket.inet_pton(family, text)
            except (OSError, ValueError):
                continue  # not an address of the client's family
            if int.from_bytes(packed, "big") >> shift == want:
                return True
        return False

    async def _match(self, mech: Mechanism, domain: str) -> bool:
        name = mech.name
        if name == "all":
            return True
        if mech.network is not None:
            return self.ip.version == mech.network.version and self.ip in mech.network
        self._count_lookup(mech.text)
        if mech.domain_spec is None:
            target: str | None = domain
        else:
            target = await self._target(mech.tokens, domain)
        if name == "include":
            out = await self._check(target or "", want_exp=False)
            if out.result == "pass":
                return True
            if out.result in ("fail", "softfail", "neutral"):
                return False
            raise _Abort("permerror", "include_no_record", mech.text)
        if target is None:
            return False
        if name == "a":
            answer = await self._addresses(target)
            self._dns(answer, mech.text)
            return self._in(answer.records, mech.cidr4, mech.cidr6)
        if name == "mx":
            mxs = await self.resolver.mx(target)
            self._dns(mxs, mech.text)
            if len(mxs.records) > 10:
                raise _Abort("permerror", "too_many_mx", mech.text)
            for mx in mxs.records:
                if not mx.host:
                    continue
                answer = await self._addresses(mx.host)
                if answer.is_error:
                    raise _Abort("temperror", "dns_error", mech.text)
                if self._in(answer.records, mech.cidr4, mech.cidr6):
                    return True
            return False
        if name == "exists":
            answer = await self.resolver.a(target)
            self._dns(answer, mech.text)
            return bool(answer.records)
        # ptr (5.5): a DNS error on the PTR query or on a name's addresses is no match.
        wanted = target.lower()
        names = await self._ptr_names(mech.text)
        for candidate in names:
            low = candidate.lower()
            if (low == wanted or low.endswith("." + wanted)) and await self._validates(candidate):
                return True
        return False

    async def _ptr_names(self, term: str | None) -> tuple[str, ...]:
        answer = await self.resolver.ptr(self.ip.reverse_pointer)
        if answer.is_error:
            return ()
        if term is not None and not answer.records:
            self._dns(answer, term)
        return tuple(name.rstrip(".") for name in answer.records[:10])

    async def _validates(self, name: str) -> bool:
        answer = await self._addresses(name)
        return not answer.is_error and self._in(answer.records, 32, 128)

    async def _target(self, tokens: tuple[Token, ...], domain: str) -> str | None:
        return shorten(await self._expand(tokens, domain))

    async def _expand(self, tokens: tuple[Token, ...], domain: str) -> str:
        parts: list[str] = []
        for token in tokens:
            if isinstance(token, str):
                parts.append(token)
            else:
                parts.append(transform(await self._letter(token, domain), token))
        return "".join(parts)

    async def _letter(self, token: Expand, domain: str) -> str:
        letter = token.letter
        if letter == "s":
            return self.sender
        if letter == "l":
            return self.local
        if letter == "o":
            return self.sender_domain
        if letter == "d":
            return domain
        if letter == "i":
            if not self.v6:
                return str(self.ip)
            nibbles = ".".join(self.ip.exploded.replace(":", ""))
            # Keep the case the client address was written in (the suite's v-macro-ip6).
            return nibbles.upper() if any(c in "ABCDEF" for c in self.ip_text) else nibbles
        if letter == "v":
            return "ip6" if self.v6 else "in-addr"
        if letter == "h":
            return self.helo
        if letter == "c":
            return str(self.ip)
        if letter == "r":
            return self.receiver
        if letter == "t":
            return str(int(time.time()))
        return await self._p_macro(domain)

    async def _p_macro(self, domain: str) -> str:
        if self._validated is None:
            self._validated = [n for n in await self._ptr_names(None) if await self._validates(n)]
        wanted = domain.lower().rstrip(".")
        for name in self._validated:
            if name.lower() == wanted:
                return name
        for name in self._validated:
            if name.lower().endswith("." + wanted):
                return name
        return self._validated[0] if self._validated else "unknown"

    async def _explain(self, record: Record, domain: str) -> str | None:
        exp = record.modifier("exp")
        if exp is None:
            return self.default_explanation
        target = await self._target(exp.tokens, domain)
        if target is None:
            return self.default_explanation
        answer = await self.resolver.txt(target)
        if answer.status is not Status.OK or len(answer.records) != 1:
            return self.default_explanation
        raw = join_txt(answer.records[0])
        try:
            text = raw.decode("ascii")
            tokens = parse_macro_string(text, explanation=True)
        except (UnicodeDecodeError, MacroError):
            return self.default_explanation
        return await self._expand(tokens, domain)


async def check_host(
    resolver: Resolver,
    ip: str,
    domain: str,
    sender: str,
    *,
    helo: str = "",
    receiver: str = "unknown",
    default_explanation: str | None = None,
    max_lookups: int = 10,
    max_void_lookups: int = 2,
) -> SpfResult:
    """Evaluate the SPF policy of `domain` for a client, as a receiver does (RFC 7208 4).

    Args:
        resolver: where DNS questions go.
        ip: the client's IP address (IPv4, IPv6 or IPv4-mapped IPv6).
        domain: the domain whose policy is checked.
        sender: the identity, "local@domain" (local part "postmaster" when missing).
        helo: the HELO/EHLO name, for the `%{h}` macro.
        receiver: the receiving host's name, for `%{r}` in explanations.
        default_explanation: the explanation of a fail when the record gives none.
        max_lookups: limit of DNS-querying terms (RFC: 10).
        max_void_lookups: limit of void lookups (RFC: 2).

    Returns:
        The result with its reason, explanation, the record and the counters.
    """
    address = parse_ip(ip)
    if address is None:
        return SpfResult("none", domain, "invalid_ip")
    evaluation = Evaluation(
        resolver,
        address,
        ip,
        sender,
        helo,
        receiver=receiver,
        default_explanation=default_explanation,
        max_lookups=max_lookups,
        max_void_lookups=max_void_lookups,
    )
    return await evaluation.run(domain)


async def check_sender(
    resolver: Resolver,
    ip: str,
    mail_from: str,
    helo: str,
    *,
    receiver: str = "unknown",
    default_explanation: str | None = None,
) -> SpfResult:
    """Check the MAIL FROM identity, or the HELO one for a null sender (RFC 7208 2.4, 4.3).

    Args:
        resolver: where DNS questions go.
        ip: the client's IP address.
        mail_from: the MAIL FROM address; "" for the null reverse-path.
        helo: the HELO/EHLO name.
        receiver: the receiving host's name.
        default_explanation: the explanation of a fail when the record gives none.

    Returns:
        The check_host() result for the identity's domain.
    """
    if mail_from:
        local, at, domain = mail_from.rpartition("@")
        if not at:
            local, domain = "", mail_from
        sender = f"{local or 'postmaster'}@{domain}"
    else:
        domain = helo
        sender = f"postmaster@{helo}"
    return await check_host(
        resolver,
        ip,
        domain,
        sender,
        helo=helo,
        receiver=receiver,
        default_explanation=default_explanation,
    )
