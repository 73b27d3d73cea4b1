"""Cutting a streamed reply into speakable pieces, as the model writes it."""

from collections.abc import AsyncIterator

import pytest

from os1.voice.sentences import pieces, speakable


async def streamed(text: str, size: int = 3) -> AsyncIterator[str]:
    for start in range(0, len(text), size):
        yield text[start : start + size]


async def cut(text: str, size: int = 3) -> list[str]:
    return [piece async for piece in pieces(streamed(text, size))]


async def test_sentences_come_out_as_soon_as_they_end() -> None:
    text = "Oh, Theo! That sounds hard. Did Dr. Patel say when? It was 3.5 hours, wasn't it?"
    assert await cut(text) == [
        "Oh, Theo!",
        "That sounds hard.",
        "Did Dr. Patel say when?",
        "It was 3.5 hours, wasn't it?",
    ]
    seen: list[str] = []

    async def written() -> AsyncIterator[str]:
        for part in ["That sounds ", "hard. ", "Did it ", "hurt?"]:
            seen.append(part)
            yield part

    async for piece in pieces(written()):
        if piece == "That sounds hard.":
            assert seen == ["That sounds ", "hard. "]  # spoken before the rest is written


async def test_a_long_first_sentence_starts_at_its_first_clause() -> None:
    text = "I remember you telling me about your sister last spring, and I wondered how she is now. Tell me."
    assert await cut(text) == [
        "I remember you telling me about your sister last spring,",
        "and I wondered how she is now.",
        "Tell me.",
    ]
    assert await cut("Well, I think so. Yes, maybe, if you like.") == ["Well, I think so.", "Yes, maybe, if you like."]


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("*smiles* That's **so** good to hear 😊", "That's so good to hear"),
        ("# Plan\n- walk\n- call Anna", "Plan - walk - call Anna"),
        ("   ", ""),
    ],
)
def test_what_a_voice_should_not_read_is_taken_out(written: str, said: str) -> None:
    assert speakable(written) == said
