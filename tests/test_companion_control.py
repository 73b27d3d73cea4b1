from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from os1.companion.companion import Companion
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


async def test_what_do_you_know_about_me_lists_every_memory(companion: Companion) -> None:
    await remember(companion)
    note = await say(companion, "So... what do you know about me?")
    assert note.startswith("[Theo asks what you know about them")
    assert all(f"- {text}" in note for text in KNOWN)


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
