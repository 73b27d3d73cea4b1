"""Relative dates ("last Tuesday", "next month", "3 days ago") resolved against the moment a turn was said, and
the stretch of time a question is about ("what did I say about my sister last month?").

The extractor copies the user's own phrase for *when*; ``resolve`` turns it into a date. A small model is bad at
calendar arithmetic and good at copying, so the arithmetic is done here, where it can be tested. ``window`` finds
the time phrase in a question and the days it covers, so recall can look there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")  # fmt: skip
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10, "couple of": 2, "few": 3}  # fmt: skip
_COUNT = r"(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|couple of|few)"
_MONTH = "|".join(m[:3] + f"(?:{m[3:]})?" for m in MONTHS)


def resolve(phrase: str | None, said_on: date) -> date | None:
    """The date ``phrase`` means when said on ``said_on``; None when it names no date os1 can pin down."""
    if not phrase:
        return None
    text = " ".join(phrase.lower().replace(",", " ").split())
    if m := re.search(r"\b(\d{4})-(\d{2})-(\d{2})\b", text):
        return _date(int(m[1]), int(m[2]), int(m[3]))
    if "day before yesterday" in text:
        return said_on - timedelta(days=2)
    if "day after tomorrow" in text:
        return said_on + timedelta(days=2)
    for word, days in (("today", 0), ("tonight", 0), ("this morning", 0), ("yesterday", -1), ("tomorrow", 1)):
        if re.search(rf"\b{word}\b", text):
            return said_on + timedelta(days=days)
    if m := re.search(rf"\b{_COUNT} (day|week|month|year)s? (ago|from now|later)\b", text):
        return _shift(said_on, _number(m[1]) * (-1 if m[3] == "ago" else 1), m[2])
    if m := re.search(rf"\bin {_COUNT} (day|week|month|year)s?\b", text):
        return _shift(said_on, _number(m[1]), m[2])
    if m := re.search(r"\b(last|next|this) weekend\b", text):
        return _week(said_on, {"last": -1, "next": 1, "this": 0}[m[1]])[0] + timedelta(days=5)  # its Saturday
    if m := re.search(r"\b(last|next|this) (week|month|year)\b", text):
        return _shift(said_on, {"last": -1, "next": 1, "this": 0}[m[1]], m[2])
    if m := re.search(rf"\b(last|next|this|on)? ?({'|'.join(WEEKDAYS)})\b", text):
        return _weekday(said_on, WEEKDAYS.index(m[2]), m[1] or "")
    if m := re.search(rf"\b(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?({_MONTH})\b(?: (\d{{4}}))?", text):
        return _month_day(said_on, int(m[1]), _month(m[2]), m[3])
    if m := re.search(rf"\b({_MONTH}) (\d{{1,2}})(?:st|nd|rd|th)?\b(?: (\d{{4}}))?", text):
        return _month_day(said_on, int(m[2]), _month(m[1]), m[3])
    return None


def told_of(text: str, said_on: date) -> date | None:
    """The day the words of a turn tell of, if they name one: "Priya and I are going to Lisbon in May, the 21st
    to the 25th", said on 12 March, tells of 21 May; "in May" alone of 1 May, in the year that puts it nearest."""
    if (day := resolve(text, said_on)) is not None:
        return day
    months = rf"\b(?:in|during|since|until|early|late|mid|end of|start of)[ -]({_MONTH})\b(?:,? the (\d{{1,2}}))?"
    if m := re.search(months, text.lower()):
        month = _month(m[1])
        ahead = (month - said_on.month) % 12  # months from said_on to the next such month
        year = said_on.year + (said_on.month + ahead > 12) - (ahead > 6)
        return _date(year, month, int(m[2] or 1))
    return None


SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}  # first month (northern hemisphere)


@dataclass(frozen=True)
class Window:
    """The days ``start`` (inclusive) to ``end`` (exclusive) that ``phrase`` in a question means."""

    start: date
    end: date
    phrase: str

    def rest(self, question: str) -> str:
        """The question without its time phrase: what it is about."""
        return " ".join(re.sub(re.escape(self.phrase), " ", question, count=1, flags=re.I).split())


PRESENT = re.compile(
    r"\b(now|nowadays|these days|at the moment|currently|at present|still|any ?more|yet|so far|these days)\b", re.I
)


def about_now(question: str) -> bool:
    """Whether a question asks what is true now ("where do I live now?", "am I still vegetarian?"): the newest
    word on it counts most."""
    return PRESENT.search(question) is not None


PAST = re.compile(r"\b(before|used to|previously|formerly|former|originally|at first|back then|old|ex)\b", re.I)


def about_before(question: str) -> bool:
    """Whether a question asks about how things were ("where did I live before?"): what is no longer true counts
    as much as what is."""
    return PAST.search(question) is not None


def window(question: str, today: date) -> Window | None:
    """The stretch of days a question asked on ``today`` is about, if it names one."""
    text = question.lower()
    for pattern, days in _WINDOWS:
        if m := re.search(pattern, text):
            span = days(m, today)
            if span is not None:
                return Window(span[0], span[1], question[m.start() : m.end()])
    return None


def _day(day: date | None) -> tuple[date, date] | None:
    return None if day is None else (day, day + timedelta(days=1))


def _week(day: date, weeks: int) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday()) + timedelta(weeks=weeks)
    return monday, monday + timedelta(weeks=1)


def _calendar_month(day: date, months: int) -> tuple[date, date]:
    start = _shift(day.replace(day=1), months, "month")
    return start, _shift(start, 1, "month")


def _named_month(m: re.Match[str], today: date) -> tuple[date, date]:
    month = _month(m["month"])
    year = int(m["year"]) if m["year"] else today.year - (month > today.month)
    start = date(year, month, 1)
    return start, _shift(start, 1, "month")


def _season(m: re.Match[str], today: date) -> tuple[date, date]:
    """ "this summer" is this year's; "last summer" the latest that is over; "in the summer" the latest begun."""
    first = SEASONS[m["season"]]
    start = date(today.year - (first == 12 and today.month < 3), first, 1)
    if (m["which"] == "last" and _shift(start, 3, "month") > today) or (m["which"] is None and start > today):
        start = date(start.year - 1, first, 1)
    return start, _shift(start, 3, "month")


def _day_of_month(m: re.Match[str], today: date) -> tuple[date, date] | None:
    return _day(_month_day(today, int(m["day"]), _month(m["month"]), None))


def _ago(m: re.Match[str], today: date) -> tuple[date, date] | None:
    count, unit = _number(m[1]) * (-1 if m[3] == "ago" else 1), m[2]
    target = _shift(today, count, unit)
    if unit == "day":
        return _day(target)
    if unit == "week":
        return _week(target, 0)
    if unit == "month":
        return _calendar_month(target, 0)
    return date(target.year, 1, 1), date(target.year + 1, 1, 1)


_RELATIVE = {"last": -1, "this": 0, "next": 1}
_WINDOWS: list[tuple[str, Callable[[re.Match[str], date], tuple[date, date] | None]]] = [
    (r"\bthe day before yesterday\b", lambda m, d: _day(d - timedelta(days=2))),
    (r"\byesterday\b", lambda m, d: _day(d - timedelta(days=1))),
    (r"\b(today|tonight|this morning|this evening)\b", lambda m, d: _day(d)),
    (r"\btomorrow\b", lambda m, d: _day(d + timedelta(days=1))),
    (r"\blast weekend\b", lambda m, d: (_week(d, -1)[0] + timedelta(days=5), _week(d, -1)[1])),
    (r"\b(last|this|next) week\b", lambda m, d: _week(d, _RELATIVE[m[1]])),
    (r"\b(last|this|next) month\b", lambda m, d: _calendar_month(d, _RELATIVE[m[1]])),
    (r"\b(last|this|next) year\b", lambda m, d: (date(d.year + _RELATIVE[m[1]], 1, 1),
                                                  date(d.year + _RELATIVE[m[1]] + 1, 1, 1))),
    (rf"\b{_COUNT} (day|week|month|year)s? (ago|from now)\b", _ago),
    (r"\b(?:(?P<which>last|this) |(?:in|during|over) the )(?P<season>spring|summer|autumn|fall|winter)\b", _season),
    (rf"\b(?:in|during|back in|since|early|late|mid)[ -](?P<month>{_MONTH})\b(?: (?P<year>\d{{4}}))?", _named_month),
    (rf"\b(?:last|on) ({'|'.join(WEEKDAYS)})\b", lambda m, d: _day(_weekday(d, WEEKDAYS.index(m[1]), "last"))),
    (rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?(?P<month>{_MONTH})\b", _day_of_month),
    (rf"\b(?P<month>{_MONTH}) (?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b", _day_of_month),
    (r"\b(?P<month>jan(?:uary)?|feb(?:ruary)?|march|april|june|july|august|sept?(?:ember)?|oct(?:ober)?|"
     r"nov(?:ember)?|dec(?:ember)?)\b(?! \d{1,2}\b)(?: (?P<year>\d{4}))?", _named_month),
    (r"\b(recently|lately)\b", lambda m, d: (d - timedelta(days=30), d + timedelta(days=1))),
]  # fmt: skip


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS[word]


def _shift(day: date, count: int, unit: str) -> date:
    if unit == "day":
        return day + timedelta(days=count)
    if unit == "week":
        return day + timedelta(weeks=count)
    months = day.month - 1 + count * (12 if unit == "year" else 1)
    year, month = day.year + months // 12, months % 12 + 1
    return date(year, month, min(day.day, _days_in(year, month)))


def _weekday(day: date, weekday: int, which: str) -> date:
    ahead = (weekday - day.weekday()) % 7
    if which == "last":
        return day - timedelta(days=(day.weekday() - weekday) % 7 or 7)
    if which == "next":
        return day + timedelta(days=ahead or 7)
    if which == "this":
        return day + timedelta(days=ahead)
    return day - timedelta(days=(day.weekday() - weekday) % 7)  # a bare weekday in a story is the last one


def _month(name: str) -> int:
    return next(i for i, month in enumerate(MONTHS, 1) if month.startswith(name[:3]))


def _month_day(said_on: date, day: int, month: int, year: str | None) -> date | None:
    if year:
        return _date(int(year), month, day)
    return _date(said_on.year, month, day)


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _days_in(year: int, month: int) -> int:
    return ((date(year + month // 12, month % 12 + 1, 1)) - date(year, month, 1)).days
