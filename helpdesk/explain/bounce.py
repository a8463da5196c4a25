"""Explain a bounce diagnosis in French or English, with the provider's own facts.

The wording lives in ``templates/bounce/{fr,en}.toml``: one table per reason with a
summary, an explanation and next steps, each a Jinja2 template fed with the provider
profile and the recipient's facts. This module only loads and renders them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from diagnostics.bounce import BounceReport, FailedRecipient
from helpdesk import tomlcache
from helpdesk.resources import TEMPLATES_DIR as SHIPPED_TEMPLATES

if TYPE_CHECKING:
    from jinja2 import Environment, Template

    from helpdesk.config import ProviderProfile

TEMPLATES_DIR = SHIPPED_TEMPLATES / "bounce"
LANGS = ("fr", "en")


@dataclass(frozen=True)
class Explanation:
    """What to tell the customer about one failed recipient (plain text, not escaped)."""

    lang: str
    reason: str
    recipient: str
    summary: str
    explanation: str
    steps: tuple[str, ...]
    actor: str
    retry: str

    def as_text(self) -> str:
        """Summary, explanation, who acts, retry, then the numbered steps."""
        lines = [self.summary, self.explanation, self.actor, self.retry]
        lines += [f"{n}. {step}" for n, step in enumerate(self.steps, 1)]
        return "\n".join(line for line in lines if line)


@lru_cache(maxsize=8)
def _wording(directory: Path, lang: str) -> dict[str, Any]:
    return tomlcache.load(directory / f"{lang}.toml")


# Template sources by name, filled as reasons are first needed (see `_template`).
_SOURCES: dict[str, str] = {}


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # Imported here so that commands which never render (and the diagnostics) do not pay
    # for Jinja2 at start-up.
    from jinja2 import Environment, FileSystemBytecodeCache, FunctionLoader, StrictUndefined

    # These are plain-text explanations (CLI, e-mail replies, chat "text" fields that the
    # client shows as text). HTML-escaping here would put "&amp;" into e-mails; the web
    # layer escapes when it builds HTML, so autoescape stays off for this environment.
    # The bytecode cache (Jinja2's private per-user temp directory, keyed by a checksum of
    # the source) spares `helpdesk bounce` the template compilation on every run.
    return Environment(
        loader=FunctionLoader(lambda name: _SOURCES.get(name)),
        bytecode_cache=FileSystemBytecodeCache(),
        autoescape=False,  # noqa: S701 - plain text, see above
        undefined=StrictUndefined,
        auto_reload=False,
    )


class _Renderer(Protocol):
    def render(self, context: dict[str, Any], /) -> str: ...


@lru_cache(maxsize=1024)
def _template(source: str) -> _Renderer:
    simple = _simple_template(source)
    if simple is not None:
        return simple
    import hashlib  # only for the wording that needs Jinja2 (see `_simple_template`)

    name = "bounce-" + hashlib.sha256(source.encode("utf-8")).hexdigest()
    _SOURCES[name] = source
    return _jinja_template(name)


def _jinja_template(name: str) -> Template:
    return _environment().get_template(name)


# The wording uses a small part of Jinja2: {{ a.b[0] or 'text' }}, {{ a.b|upper }} and
# {% if name %}...{% else %}...{% endif %}. Templates within that part are rendered here,
# without loading Jinja2 (which costs `helpdesk bounce` a good part of its start-up);
# anything else goes to Jinja2, so the wording may use more when it needs to.
_TAG = re.compile(r"(\{\{.*?\}\}|\{%.*?%\})", re.S)
_EXPR = re.compile(
    r"^\s*([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*|\[\d+\])*)"
    r"(?:\s+or\s+'([^'\\{}]*)')?\s*(\|\s*upper\s*)?$"
)
_STEP = re.compile(r"\.([A-Za-z_]\w*)|\[(\d+)\]")
_IF = re.compile(r"^\s*if\s+([A-Za-z_]\w*)\s*$")


class _Node(Protocol):
    def __call__(self, context: dict[str, Any], out: list[str], /) -> None: ...


def _text_node(text: str) -> _Node:
    def node(context: dict[str, Any], out: list[str]) -> None:
        out.append(text)

    return node


def _expr_node(name: str, steps: list[tuple[str, str]], default: str | None, upper: bool) -> _Node:
    def node(context: dict[str, Any], out: list[str]) -> None:
        value = context[name]  # a missing name is an error, as with StrictUndefined
        for attr, index in steps:
            value = getattr(value, attr) if attr else value[int(index)]
        if default is not None and not value:
            value = default
        text = str(value)
        out.append(text.upper() if upper else text)

    return node


def _if_node(name: str, then: list[_Node], other: list[_Node]) -> _Node:
    def node(context: dict[str, Any], out: list[str]) -> None:
        for child in then if context[name] else other:
            child(context, out)

    return node


class _Simple:
    def __init__(self, nodes: list[_Node]) -> None:
        self._nodes = nodes

    def render(self, context: dict[str, Any], /) -> str:
        out: list[str] = []
        for node in self._nodes:
            node(context, out)
        return "".join(out)


def _simple_template(source: str) -> _Simple | None:
    """Compile `source` if it stays within the small part of Jinja2 above, else None."""
    # (name of the open if, nodes of its "then" branch or None, current node list)
    stack: list[tuple[str, list[_Node] | None, list[_Node]]] = [("", None, [])]
    for piece in _TAG.split(source):
        if not piece:
            continue
        nodes = stack[-1][2]
        if piece.startswith("{{") and piece.endswith("}}"):
            match = _EXPR.match(piece[2:-2])
            if match is None:
                return None
            steps = [(m.group(1) or "", m.group(2) or "") for m in _STEP.finditer(match.group(2))]
            nodes.append(_expr_node(match.group(1), steps, match.group(3), bool(match.group(4))))
        elif piece.startswith("{%") and piece.endswith("%}"):
            word = piece[2:-2].strip()
            opened = _IF.match(piece[2:-2])
            if opened:
                stack.append((opened.group(1), None, []))
            elif word == "else" and len(stack) > 1 and stack[-1][1] is None:
                name, _, branch = stack.pop()
                stack.append((name, branch, []))
            elif word == "endif" and len(stack) > 1:
                name, then, current = stack.pop()
                branches = (current, []) if then is None else (then, current)
                stack[-1][2].append(_if_node(name, *branches))
            else:
                return None
        elif "{{" in piece or "{%" in piece or "{#" in piece:
            return None
        else:
            nodes.append(_text_node(piece))
    return _Simple(stack[0][2]) if len(stack) == 1 else None


# Sections of one reason (or of the labels) are joined into a single template so that each
# reason costs one compilation and one render; the separator cannot occur in the wording.
_SEP = "\x1e"


@lru_cache(maxsize=256)
def _joined(directory: Path, lang: str, reason: str) -> tuple[str, int]:
    table = _wording(directory, lang)["reasons"].get(reason)
    if table is None:
        table = _wording(directory, lang)["reasons"]["undefined"]
    parts = [table["summary"], table["explanation"], *table["steps"]]
    return _SEP.join(parts), len(parts)


@lru_cache(maxsize=8)
def _label_sources(directory: Path, lang: str) -> dict[str, str]:
    return dict(_wording(directory, lang)["labels"])


def _label(directory: Path, lang: str, name: str, context: dict[str, Any]) -> str:
    """The label `name` rendered with `context`, whitespace collapsed."""
    return " ".join(_template(_label_sources(directory, lang)[name]).render(context).split())


def _ours(remote_mta: str, profile: ProviderProfile) -> bool:
    if not remote_mta:
        return True
    hosts = tuple(profile.servers) + tuple(profile.mx_hosts)
    return any(remote_mta == h or remote_mta.endswith("." + h) for h in hosts)


def explain_recipient(
    rec: FailedRecipient,
    profile: ProviderProfile,
    lang: str = "fr",
    directory: Path = TEMPLATES_DIR,
) -> Explanation:
    """Word the diagnosis of one recipient in `lang` ("fr" or "en")."""
    lang = lang if lang in LANGS else LANGS[0]
    context: dict[str, Any] = {
        "provider": profile,
        "recipient": rec.recipient,
        "domain": rec.recipient.rpartition("@")[2],
        "status": rec.status,
        "replycode": rec.replycode,
        "diagnostic": rec.diagnostic,
        "remote_mta": rec.remote_mta,
        "ours": _ours(rec.remote_mta, profile),
    }
    source, _ = _joined(directory, lang, rec.reason)
    parts = [" ".join(part.split()) for part in _template(source).render(context).split(_SEP)]
    retry = ""
    if rec.reason not in ("delivered", "vacation", "feedback"):
        retry = _label(directory, lang, "retry_yes" if rec.retryable else "retry_no", context)
    actor = f"actor_{rec.actor}"
    if actor not in _label_sources(directory, lang):
        actor = "actor_our_provider"
    return Explanation(
        lang=lang,
        reason=rec.reason,
        recipient=rec.recipient,
        summary=parts[0],
        explanation=parts[1],
        steps=tuple(parts[2:]),
        actor=_label(directory, lang, actor, context),
        retry=retry,
    )


def explain_report(
    report: BounceReport,
    profile: ProviderProfile,
    lang: str = "fr",
    directory: Path = TEMPLATES_DIR,
) -> list[Explanation]:
    """Word every failed recipient of `report`, in order."""
    return [explain_recipient(rec, profile, lang, directory) for rec in report.recipients]


def render_text(
    report: BounceReport,
    profile: ProviderProfile,
    lang: str = "fr",
    directory: Path = TEMPLATES_DIR,
) -> str:
    """A readable report: per recipient, codes, the server's words and what to do."""
    lang = lang if lang in LANGS else LANGS[0]
    blocks = []
    for rec, text in zip(
        report.recipients, explain_report(report, profile, lang, directory), strict=True
    ):
        context = {
            "provider": profile,
            "recipient": rec.recipient,
            "status": rec.status,
            "replycode": rec.replycode,
            "remote_mta": rec.remote_mta,
            "diagnostic": rec.diagnostic[:300],
        }
        lines = [_label(directory, lang, "heading", context), text.summary, text.explanation]
        if rec.status or rec.replycode:
            lines.append(_label(directory, lang, "codes", context))
        if rec.remote_mta:
            lines.append(_label(directory, lang, "server", context))
        if rec.diagnostic:
            lines.append(_label(directory, lang, "said", context))
        lines += [text.actor, text.retry, _label(directory, lang, "steps", context)]
        lines += [f"  {n}. {step}" for n, step in enumerate(text.steps, 1)]
        blocks.append("\n".join(line for line in lines if line))
    return "\n\n".join(blocks)
