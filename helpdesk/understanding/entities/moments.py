"""Dates and times the customer gives ("hier à 14h", "yesterday at 2pm", "le 12/03 à 9h15").

Resolved against a reference moment passed in, never the clock: the same text
written at the same moment always gives the same result, and tests need no patching.
A customer describes something that already happened, so a date without a year is
the latest such date not after the reference, and a weekday is the latest such day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final

from helpdesk.understanding._text import fold


@dataclass(frozen=True, slots=True)
class Moment:
    """A time window the customer named: `start` == `end` when they gave a time."""

    text: str
    start: datetime
    end: datetime

    @property
    def exact(self) -> bool:
        """Whether the customer gave a time of day, not only a day or a part of it."""
        return self.start == self.end

    def __str__(self) -> str:
        if self.exact:
            return self.start.isoformat(timespec="minutes")
        return (
            f"{self.start.isoformat(timespec='minutes')}/{self.end.isoformat(timespec='minutes')}"
        )


_MONTHS: Final = {
    **dict.fromkeys(("janvier", "janv", "jan", "january"), 1),
    **dict.fromkeys(("fevrier", "fevr", "fev", "feb", "february"), 2),
    **dict.fromkeys(("mars", "mar", "march"), 3),
    **dict.fromkeys(("avril", "avr", "apr", "april"), 4),
    **dict.fromkeys(("mai", "may"), 5),
    **dict.fromkeys(("juin", "june", "jun"), 6),
    **dict.fromkeys(("juillet", "juil", "july", "jul"), 7),
    **dict.fromkeys(("aout", "aug", "august"), 8),
    **dict.fromkeys(("septembre", "sept", "sep", "september"), 9),
    **dict.fromkeys(("octobre", "oct", "october"), 10),
    **dict.fromkeys(("novembre", "nov", "november"), 11),
    **dict.fromkeys(("decembre", "dec", "december"), 12),
}
_WEEKDAYS: Final = {
    **dict.fromkeys(("lundi", "monday"), 0),
    **dict.fromkeys(("mardi", "tuesday"), 1),
    **dict.fromkeys(("mercredi", "wednesday"), 2),
    **dict.fromkeys(("jeudi", "thursday"), 3),
    **dict.fromkeys(("vendredi", "friday"), 4),
    **dict.fromkeys(("samedi", "saturday"), 5),
    **dict.fromkeys(("dimanche", "sunday"), 6),
}
# Parts of a day, as hour windows [start, end).
_PARTS: Final = {
    **dict.fromkeys(("matin", "morning"), (6, 12)),
    **dict.fromkeys(("apres-midi", "apres midi", "afternoon"), (12, 18)),
    **dict.fromkeys(("soir", "evening", "night", "tonight"), (18, 24)),
}
_MONTH_NAMES: Final = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY_NAMES: Final = "|".join(_WEEKDAYS)
_PART_NAMES: Final = r"matin|apres[- ]midi|soir|morning|afternoon|evening|night"

_DAY: Final = re.compile(
    r"\b(?:(?P<rel>aujourd'?hui|today|avant[- ]hier|the day before yesterday|hier|yesterday)"
    rf"(?:\s+(?:au\s+|dans\s+l'|en\s+)?(?P<relpart>{_PART_NAMES}))?"
    rf"|(?P<this>ce|cet|this)\s+(?P<thispart>{_PART_NAMES})"
    r"|(?P<tonight>tonight|last night)"
    rf"|(?P<last>last\s+)?(?P<weekday>{_WEEKDAY_NAMES})(?P<dernier>\s+(?:dernier|passe))?"
    rf"(?:\s+(?P<wdpart>{_PART_NAMES}))?"
    # Not a piece of "5.1.1", an IP address or a version number.
    r"|(?<![\d.:/])(?P<d>\d{1,2})(?P<sep>[/.-])(?P<m>\d{1,2})(?:(?P=sep)(?P<y>\d{2,4}))?"
    r"(?!\d|\.\d)"
    r"|(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})"
    rf"|(?P<nd>\d{{1,2}})(?:er|st|nd|rd|th)?\s+(?:of\s+)?(?P<nm>{_MONTH_NAMES})\.?(?:\s+(?P<ny>\d{{4}}))?"
    rf"|(?P<mn>{_MONTH_NAMES})\.?\s+(?P<md>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<my>\d{{4}}))?"
    r")\b"
)
_TIME: Final = re.compile(
    r"(?<![\d.:/])(?:"
    r"(?P<h12>\d{1,2})(?::(?P<m12>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)"
    r"|(?P<hfr>\d{1,2})\s*h\s*(?P<mfr>[0-5]\d)?(?![\w])"
    r"|(?P<hc>\d{1,2}):(?P<mc>[0-5]\d)(?![\d:])"
    r"|(?P<noon>midi|noon)|(?P<midnight>minuit|midnight)"
    r")"
)
_COUNTS: Final = {
    **dict.fromkeys(("un", "une", "a", "an", "one"), 1),
    **dict.fromkeys(("deux", "two", "couple of", "a couple of"), 2),
    **dict.fromkeys(("trois", "three", "quelques", "few", "a few"), 3),
}
_UNITS: Final = {
    **dict.fromkeys(("minute", "minutes", "min", "mn"), timedelta(minutes=1)),
    **dict.fromkeys(("heure", "heures", "h", "hour", "hours", "hr", "hrs"), timedelta(hours=1)),
    **dict.fromkeys(("jour", "jours", "day", "days"), timedelta(days=1)),
    **dict.fromkeys(("semaine", "semaines", "week", "weeks"), timedelta(weeks=1)),
}
_COUNT: Final = r"(?P<n>\d{1,3}|une?|deux|trois|quelques|a couple of|a few|an?|one|two|three)"
_UNIT: Final = r"(?P<unit>minutes?|mn|min|heures?|hours?|hrs?|h|jours?|days?|semaines?|weeks?)"
# "il y a 2 heures", "depuis 3 jours" is a duration (not a moment), "2 hours ago".
_AGO: Final = re.compile(rf"\b(?P<ilya>il y a\s+)?{_COUNT}\s*{_UNIT}\b(?P<ago>\s+ago\b)?")
# A time belongs to a day mentioned within this many characters of it.
_NEAR: Final = 25


def moments(text: str, now: datetime) -> tuple[Moment, ...]:
    """Every date or time in `text`, resolved against `now` (same time zone as `now`)."""
    folded = fold(text)
    if len(folded) != len(text):
        text = folded  # a ligature changed the length: report spans from the folded text
    days = [(m, d) for m in _DAY.finditer(folded) if (d := _day(m, now)) is not None]
    times = [(m, t) for m in _TIME.finditer(folded) if (t := _clock(m)) is not None]
    out: list[tuple[int, Moment]] = []
    used: set[int] = set()
    for dmatch, (day, hours) in days:
        best = None
        for index, (tmatch, _) in enumerate(times):
            gap = max(tmatch.start() - dmatch.end(), dmatch.start() - tmatch.end())
            if index not in used and gap <= _NEAR and (best is None or gap < best[0]):
                best = (gap, index)
        if best is not None:
            used.add(best[1])
            tmatch, clock = times[best[1]]
            at = datetime.combine(day, clock, tzinfo=now.tzinfo)
            lo, hi = min(dmatch.start(), tmatch.start()), max(dmatch.end(), tmatch.end())
            out.append((lo, Moment(text[lo:hi], at, at)))
        else:
            start = datetime.combine(day, time(hours[0]), tzinfo=now.tzinfo)
            end = datetime.combine(day, time(0), tzinfo=now.tzinfo) + timedelta(hours=hours[1])
            out.append((dmatch.start(), Moment(text[dmatch.start() : dmatch.end()], start, end)))
    for index, (tmatch, clock) in enumerate(times):
        if index not in used:
            at = datetime.combine(now.date(), clock, tzinfo=now.tzinfo)
            if at > now:
                at -= timedelta(days=1)  # "à 14h" said at 10:00 is about yesterday
            out.append((tmatch.start(), Moment(text[tmatch.start() : tmatch.end()], at, at)))
    ago = [m for m in _AGO.finditer(folded) if m.group("ilya") or m.group("ago")]
    # A clock match inside "il y a 2 h" is part of the duration, not a time of day.
    out = [p for p in out if not any(m.start() <= p[0] < m.end() for m in ago)]
    out.extend((m.start(), _ago(m, text, now)) for m in ago)
    return tuple(moment for _, moment in sorted(out, key=lambda pair: pair[0]))


def _ago(match: re.Match[str], text: str, now: datetime) -> Moment:
    count_text = match.group("n")
    count = int(count_text) if count_text.isdigit() else _COUNTS.get(count_text, 1)
    unit = _UNITS[match.group("unit")]
    at = now - count * unit
    span = text[match.start() : match.end()]
    if unit >= timedelta(days=1):
        day = datetime.combine(at.date(), time(0), tzinfo=now.tzinfo)
        return Moment(span, day, day + timedelta(days=1))
    at = at.replace(second=0, microsecond=0)
    return Moment(span, at, at)


def _clock(match: re.Match[str]) -> time | None:
    if match.group("noon"):
        return time(12)
    if match.group("midnight"):
        return time(0)
    if match.group("h12"):
        hour, minute = int(match.group("h12")), int(match.group("m12") or 0)
        if not 1 <= hour <= 12:
            return None
        pm = match.group("ampm").startswith("p")
        return time(hour % 12 + (12 if pm else 0), minute)
    hour_text = match.group("hfr") or match.group("hc")
    minute_text = match.group("mfr") or match.group("mc")
    hour, minute = int(hour_text), int(minute_text or 0)
    # "72h" or "48h" are durations (a suspension), not a time of day.
    return time(hour, minute) if hour <= 23 else None


def _day(match: re.Match[str], now: datetime) -> tuple[date, tuple[int, int]] | None:
    today = now.date()
    whole = (0, 24)
    if rel := match.group("rel"):
        offset = 0 if rel.startswith(("aujourd", "today")) else 1
        if rel.startswith(("avant", "the day before")):
            offset = 2
        return today - timedelta(days=offset), _part(match.group("relpart"))
    if part := match.group("thispart"):
        return today, _part(part)
    if tonight := match.group("tonight"):
        night = today - timedelta(days=1) if tonight.startswith("last") else today
        return night, _PARTS["night"]
    if weekday := match.group("weekday"):
        back = (today.weekday() - _WEEKDAYS[weekday]) % 7
        if back == 0 and (match.group("last") or match.group("dernier")):
            back = 7  # "lundi dernier" said on a Monday is a week ago; "lundi" is today
        return today - timedelta(days=back), _part(match.group("wdpart"))
    if match.group("iy"):
        return _date(int(match.group("iy")), int(match.group("im")), int(match.group("id")), whole)
    if match.group("d"):
        first, second = int(match.group("d")), int(match.group("m"))
        # Day first as in French and British usage; month first only when it must be.
        day, month = (second, first) if second > 12 >= first else (first, second)
        return _dated(today, day, month, match.group("y"))
    if match.group("nd"):
        return _dated(today, int(match.group("nd")), _MONTHS[match.group("nm")], match.group("ny"))
    if match.group("mn"):
        return _dated(today, int(match.group("md")), _MONTHS[match.group("mn")], match.group("my"))
    return None


def _part(name: str | None) -> tuple[int, int]:
    return _PARTS[name] if name else (0, 24)


def _dated(
    today: date, day: int, month: int, year_text: str | None
) -> tuple[date, tuple[int, int]] | None:
    if year_text:
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        return _date(year, month, day, (0, 24))
    found = _date(today.year, month, day, (0, 24))
    if found is not None and found[0] > today:
        return _date(today.year - 1, month, day, (0, 24))
    return found


def _date(
    year: int, month: int, day: int, hours: tuple[int, int]
) -> tuple[date, tuple[int, int]] | None:
    try:
        return date(year, month, day), hours
    except ValueError:
        return None
