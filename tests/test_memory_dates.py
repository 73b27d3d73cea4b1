from datetime import date

import pytest

from os1.memory.dates import resolve, told_of, window

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
        ("next weekend", date(2026, 12, 5)),
        ("last weekend", date(2026, 11, 21)),
    ],
)
def test_relative_dates_resolve_against_when_they_were_said(phrase: str, expected: date) -> None:
    assert resolve(phrase, MONDAY) == expected


def test_month_arithmetic_keeps_to_real_days() -> None:
    assert resolve("next month", date(2026, 1, 31)) == date(2026, 2, 28)
    assert resolve("a year ago", date(2024, 2, 29)) == date(2023, 2, 28)


@pytest.mark.parametrize(
    ("said", "said_on", "expected"),
    [
        ("Priya and I are going to Lisbon for a long weekend in May, the 21st to the 25th", date(2026, 3, 12),
         date(2026, 5, 21)),
        ("we're going in May", date(2026, 3, 12), date(2026, 5, 1)),
        ("I started running in March", date(2026, 6, 10), date(2026, 3, 1)),  # the nearer March: past
        ("the wedding is in early January", date(2026, 11, 23), date(2027, 1, 1)),  # the nearer January: next
        ("saw Fontaines D.C. at the Marble Factory on Saturday", date(2026, 9, 17), date(2026, 9, 12)),
        ("he's meeting my mum next weekend", date(2026, 10, 1), date(2026, 10, 10)),
        ("you may be right, maybe in a bit", date(2026, 3, 12), None),  # "may" the verb is not a month
        ("I got the job", date(2026, 3, 12), None),
    ],
)  # fmt: skip
def test_the_day_a_turn_tells_of(said: str, said_on: date, expected: date | None) -> None:
    assert told_of(said, said_on) == expected


@pytest.mark.parametrize("phrase", [None, "", "someday", "when I was young", "31 February"])
def test_phrases_without_a_date_give_none(phrase: str | None) -> None:
    assert resolve(phrase, MONDAY) is None


@pytest.mark.parametrize(
    ("question", "start", "end", "rest"),
    [
        (
            "what did I say about my sister last month?",
            date(2026, 10, 1),
            date(2026, 11, 1),
            "what did I say about my sister ?",
        ),
        ("what did I do in March?", date(2026, 3, 1), date(2026, 4, 1), "what did I do ?"),
        ("what happened in May 2025", date(2025, 5, 1), date(2025, 6, 1), "what happened"),
        ("what was I stressed about in the spring?", date(2026, 3, 1), date(2026, 6, 1), "what was I stressed about ?"),
        ("what happened last summer", date(2026, 6, 1), date(2026, 9, 1), "what happened"),
        ("and this winter?", date(2026, 12, 1), date(2027, 3, 1), "and ?"),
        ("what did I do yesterday", date(2026, 11, 22), date(2026, 11, 23), "what did I do"),
        ("what did we talk about two weeks ago", date(2026, 11, 9), date(2026, 11, 16), "what did we talk about"),
        ("what's on next week", date(2026, 11, 30), date(2026, 12, 7), "what's on"),
        ("how was last weekend", date(2026, 11, 21), date(2026, 11, 23), "how was"),
        ("what did I do on 4 June?", date(2026, 6, 4), date(2026, 6, 5), "what did I do on ?"),
        ("what did I tell you last Tuesday", date(2026, 11, 17), date(2026, 11, 18), "what did I tell you"),
        ("how have I been feeling lately", date(2026, 10, 24), date(2026, 11, 24), "how have I been feeling"),
    ],
)
def test_the_time_a_question_is_about(question: str, start: date, end: date, rest: str) -> None:
    found = window(question, MONDAY)
    assert found is not None and (found.start, found.end, found.rest(question)) == (start, end, rest)


@pytest.mark.parametrize("question", ["where do I live?", "I may go out", "what's my sister called?", "who is Mark"])
def test_a_question_without_a_time_has_no_window(question: str) -> None:
    assert window(question, MONDAY) is None
