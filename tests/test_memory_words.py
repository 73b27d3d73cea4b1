import pytest

from os1.memory.words import asks, errand, requests


@pytest.mark.parametrize(
    ("sentence", "asked"),
    [
        ("whats my dogs name", True),
        ("What was my wife's name.", True),
        ("quick what's my rabbit's name", True),
        ("How old is Mateo", True),
        ("ok so do you remember my sister", True),
        ("When I was a kid I lived in Lyon.", False),
        ("What I love is baking.", False),
        ("Whatsapp is down again.", False),
    ],
)
def test_a_question_is_known_without_its_mark_and_a_statement_that_begins_like_one_is_not(
    sentence: str, asked: bool
) -> None:
    assert asks(sentence) is asked


@pytest.mark.parametrize(
    ("message", "verb"),
    [
        ("Can you set a timer for ten minutes?", "set"),
        ("ok please call Mike", "call"),
        ("cud u play some tame impala", "play"),
        ("E-mail my boss that I'm sick", "email"),
        ("My schedule is packed this week", ""),
        ("I got an email from my boss", ""),
    ],
)
def test_the_errand_a_message_begins_by_asking_for(message: str, verb: str) -> None:
    assert errand(message) == verb


def test_a_request_may_ask_anywhere_but_telling_of_a_thing_asks_nothing() -> None:
    assert requests("I was wondering if you could book us a table")
    assert requests("Put on some Clifford Brown for me")
    assert not requests("My schedule is packed this week")
    assert not requests("I play the veena when I cannot sleep")
