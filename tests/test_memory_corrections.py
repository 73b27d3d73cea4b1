import pytest

from os1.memory.corrections import Correction, correction


@pytest.mark.parametrize(
    ("said", "found"),
    [
        ("actually, it's Anna", Correction("Anna", None)),
        ("Sorry, it's Dallas, not Denver.", Correction("Dallas", "Denver")),
        ("Actually, it's Bickie. idk why i typed that, he'd be so offended", Correction("Bickie", None)),
        ("no, it's Perdizes, not Pinheiros. is the next neighborhood haha", Correction("Perdizes", "Pinheiros")),
        ("No, it's New York, not New Jersey. Jersey was years ago", Correction("New York", "New Jersey")),
        ("Sorry, it's Sutton Coldfield, not Solihull.", Correction("Sutton Coldfield", "Solihull")),
        ("it's raining", None),
        ("Actually it's fine, don't worry", Correction("fine", None)),
    ],
)
def test_a_correction_is_read_from_the_users_words(said: str, found: Correction | None) -> None:
    assert correction(said) == found


def test_a_correction_replaces_the_word_it_names_or_the_one_it_mends() -> None:
    assert Correction("Dallas", "Denver").applied("Dale drives to Denver.") == "Dale drives to Dallas."
    assert Correction("Dallas", "Denver").applied("Dale's dog is Rusty.") is None  # not the word it named
    assert (
        Correction("Meera", None).applied("Dale's daughter Mira studies law.") == "Dale's daughter Meera studies law."
    )
    assert Correction("Meera", None).applied("mira") == "meera"  # a subject, kept in lowercase
    assert Correction("fine", None).applied("Dale drinks wine.") is None  # only a name is matched by spelling


def test_a_short_name_mends_only_a_word_a_letter_off_it() -> None:
    assert Correction("Jaz", None).applied("Zara's mate jas is at uni.") == "Zara's mate jaz is at uni."
    assert Correction("Jaz", None).applied('Zara said: "a crap job at a chip shop"') is None  # "a" is no "Jaz"
    assert Correction("Rohan", None).applied("Her brother Rohit.") == "Her brother Rohan."  # two off, five long
