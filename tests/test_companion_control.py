from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from os1.companion.companion import Companion
from os1.companion.control import second_person
from os1.companion.prompt import NEXT_WORDS
from os1.memory.embed import MiniLM
from os1.memory.recall import Recall
from os1.memory.sqlite import SQLiteStore
from os1.memory.store import Memory, Persona, Profile
from os1.testing import ScriptedLLM

NOW = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)
KNOWN = ["Theo lives in Berlin.", "Theo's sister is called Ana.", "Theo loves pancakes."]


@pytest.fixture
def companion(home: Path, embedder: MiniLM, persona: Persona, profile: Profile) -> Iterator[Companion]:
    store = SQLiteStore.open(home)
    recall = Recall(store, embedder, clock=lambda: NOW)
    yield Companion(ScriptedLLM(*["Okay."] * 10), store, persona, profile, recall=recall)
    store.close()


async def remember(companion: Companion) -> None:
    assert companion.recall is not None
    for text in KNOWN:
        await companion.recall.remember(Memory(id=0, kind="fact", text=text, source_turn_ids=(), created_at=NOW))


async def say(companion: Companion, text: str) -> str:
    """The event note on a request about memory that the companion's model saw right after ``text``, if any."""
    async for _ in companion.respond(text):
        pass
    prompt = companion.llm.requests[-1].messages  # type: ignore[attr-defined]
    assert prompt[-2]["content"] == text.strip() or prompt[-1]["content"] == text.strip()
    return prompt[-1]["content"] if prompt[-1]["content"].startswith("[") else ""


async def reply_to(companion: Companion, text: str) -> str:
    return "".join([delta async for delta in companion.respond(text)])


async def test_what_do_you_know_about_me_is_answered_with_every_memory_at_once(companion: Companion) -> None:
    """Said as memory holds it, turned to "you", without asking the model (which ignored or garbled the list)."""
    await remember(companion)
    said = await reply_to(companion, "So... what do you know about me?")
    assert said == (
        "Here's what I remember about you, Theo:\n- You live in Berlin.\n- Your sister is called Ana.\n"
        "- You love pancakes.\nIf any of it is wrong, tell me, or ask me to forget it."
    )
    assert companion.llm.requests == []  # type: ignore[attr-defined]
    assert (await companion.store.turns())[-1].text == said  # the next reply sees what was said
    await companion.ready()  # the model reads it in the background, while the user reads the list
    read: list[Any] = companion.llm.read_ahead  # type: ignore[attr-defined]
    assert read == [[*companion.messages(await companion.transcript()), NEXT_WORDS]]
    assert read[0][-2] == {"role": "assistant", "content": said}  # the next reply computes only its own words


async def test_what_it_knows_leaves_out_its_diary_and_shows_what_matters_most(companion: Companion) -> None:
    assert companion.recall is not None
    assert await reply_to(companion, "what do you remember about me?") == (
        "Nothing yet, Theo: I haven't kept anything about you so far. Tell me something?"
    )
    await companion.recall.remember(Memory(0, "episode", "23 November 2026: Theo talked about work.", (), NOW))
    for i in range(14):
        important = i in (0, 13)
        text = f"Theo has {'an important' if important else 'a small'} thing number {i}."
        await companion.recall.remember(Memory(0, "fact", text, (), NOW, importance=0.9 if important else 0.3))
    said = await reply_to(companion, "what do you know?")
    assert said.startswith("Here's what I remember about you, Theo (the 12 that matter most of the 14 things I know):")
    lines = [line for line in said.splitlines() if line.startswith("- ")]
    assert (
        lines[0] == "- You have an important thing number 0."
        and lines[-1] == "- You have an important thing number 13."
    )
    assert len(lines) == 12 and "diary" not in said and "talked about work" not in said


@pytest.mark.parametrize(
    ("memory", "said"),
    [
        ("Dale restores old pianos.", "You restore old pianos."),
        ("Dale's dog Rusty rides with Dale.", "Your dog Rusty rides with you."),
        ("Dale quit smoking in March, but Dale still wants one.", "You quit smoking in March, but you still want one."),
        (
            'Asked whether Dale is social or anti-social, Dale said: "Anti."',
            'Asked whether you are social or anti-social, you said: "Anti."',
        ),
        (
            'Asked what Dale wants from a companion, Dale said: "Company."',
            'Asked what you want from a companion, you said: "Company."',
        ),
        (
            "Maria visits Dale on Sundays, and Dale watches films with her.",
            "Maria visits you on Sundays, and you watch films with her.",
        ),
        ("Dale often tries new recipes; Dale has two sons.", "You often try new recipes; you have two sons."),
    ],
)
def test_a_memory_is_told_back_as_you(memory: str, said: str) -> None:
    assert second_person(memory, "Dale") == said


async def test_forget_that_deletes_the_memory_it_means(companion: Companion) -> None:
    await remember(companion)
    note = await say(companion, "please forget that my sister is called Ana")
    assert 'you deleted this memory for good: "Theo\'s sister is called Ana."' in note
    assert [m.text for m in await companion.store.memories()] == ["Theo lives in Berlin.", "Theo loves pancakes."]


async def test_forget_something_it_never_knew_deletes_nothing(companion: Companion) -> None:
    await remember(companion)
    note = await say(companion, "forget about my trip to Mars")
    assert "you have no memory like that" in note
    assert len(await companion.store.memories()) == 3


async def test_actually_its_anna_corrects_the_name(companion: Companion) -> None:
    await remember(companion)
    note = await say(companion, "actually, it's Anna")
    assert 'you changed your memory to: "Theo\'s sister is called Anna."' in note
    texts = [m.text for m in await companion.store.memories()]
    assert "Theo's sister is called Anna." in texts and "Theo's sister is called Ana." not in texts


async def test_ordinary_talk_is_not_taken_for_a_request(companion: Companion) -> None:
    await remember(companion)
    for text in ("I always forget my keys", "what do you think about jazz?", "it's raining"):
        note = await say(companion, text)
        assert not note.startswith(("[Theo asks", "[As Theo asked", "[Theo corrected", "[Theo asked you to forget"))
    assert len(await companion.store.memories()) == 3
