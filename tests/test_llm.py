from os1.llm import Characters


def test_the_halves_of_a_character_are_joined_across_deltas() -> None:
    characters = Characters()

    parts = [characters.add("a \ud83e"), characters.add("\udd2b b"), characters.end()]

    assert parts == ["a ", "\U0001f92b b", ""]


def test_a_half_without_its_partner_becomes_a_replacement_character() -> None:
    characters = Characters()

    parts = [characters.add("x\udd2b"), characters.add("y \ud83e"), characters.add("z"), characters.add("\ud83e")]

    assert parts == ["x\ufffd", "y ", "\ufffdz", ""]
    assert characters.end() == "\ufffd"


def test_plain_text_passes_through_unchanged() -> None:
    characters = Characters()

    assert characters.add("Hello, Theo. \u00e9\u4e2d") == "Hello, Theo. \u00e9\u4e2d"
    assert characters.end() == ""
