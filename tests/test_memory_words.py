import pytest

from os1.memory.words import asks


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
