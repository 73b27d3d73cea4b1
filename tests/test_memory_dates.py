from datetime import date

import pytest

from os1.memory.dates import resolve

MONDAY = date(2026, 11, 23)  # a Monday


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("today", date(2026, 11, 23)),
        ("yesterday", date(2026, 11, 22)),
        ("the day before yesterday", date(2026, 11, 21)),
        ("tomorrow evening", date(2026, 11, 24)),
        ("last Tuesday", date(2026, 11, 17)),
        ("last Monday", date(2026, 11, 16)),
        ("next Monday", date(2026, 11, 30)),
        ("on Friday", date(2026, 11, 20)),
        ("this Friday", date(2026, 11, 27)),
        ("3 days ago", date(2026, 11, 20)),
        ("two weeks ago", date(2026, 11, 9)),
        ("a couple of days ago", date(2026, 11, 21)),
        ("in 10 days", date(2026, 12, 3)),
        ("next month", date(2026, 12, 23)),
        ("last month", date(2026, 10, 23)),
        ("last year", date(2025, 11, 23)),
        ("on 4 December", date(2026, 12, 4)),
        ("December 4th", date(2026, 12, 4)),
        ("12 March 2024", date(2024, 3, 12)),
        ("2026-01-05", date(2026, 1, 5)),
    ],
)
def test_relative_dates_resolve_against_when_they_were_said(phrase: str, expected: date) -> None:
    assert resolve(phrase, MONDAY) == expected


def test_month_arithmetic_keeps_to_real_days() -> None:
    assert resolve("next month", date(2026, 1, 31)) == date(2026, 2, 28)
    assert resolve("a year ago", date(2024, 2, 29)) == date(2023, 2, 28)


@pytest.mark.parametrize("phrase", [None, "", "someday", "when I was young", "31 February"])
def test_phrases_without_a_date_give_none(phrase: str | None) -> None:
    assert resolve(phrase, MONDAY) is None
