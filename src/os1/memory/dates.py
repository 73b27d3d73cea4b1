"""Relative dates ("last Tuesday", "next month", "3 days ago") resolved against the moment a turn was said.

The extractor copies the user's own phrase for *when*; this module turns it into a date. A small model is bad at
calendar arithmetic and good at copying, so the arithmetic is done here, where it can be tested.
"""

from __future__ import annotations

import re
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
    if m := re.search(r"\b(last|next|this) (week|month|year)\b", text):
        return _shift(said_on, {"last": -1, "next": 1, "this": 0}[m[1]], m[2])
    if m := re.search(rf"\b(last|next|this|on)? ?({'|'.join(WEEKDAYS)})\b", text):
        return _weekday(said_on, WEEKDAYS.index(m[2]), m[1] or "")
    if m := re.search(rf"\b(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?({_MONTH})\b(?: (\d{{4}}))?", text):
        return _month_day(said_on, int(m[1]), _month(m[2]), m[3])
    if m := re.search(rf"\b({_MONTH}) (\d{{1,2}})(?:st|nd|rd|th)?\b(?: (\d{{4}}))?", text):
        return _month_day(said_on, int(m[2]), _month(m[1]), m[3])
    return None


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
