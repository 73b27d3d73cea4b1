"""The companion with memory: it writes memories in the background and brings them back when they matter."""

import asyncio
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from os1.companion.companion import Companion
from os1.companion.onboarding import keep_interview
from os1.companion.recalled import NOTE_CHARS
from os1.llm import Message
from os1.memory.embed import MiniLM
from os1.memory.observe import Observer
from os1.memory.recall import Recall
from os1.memory.sqlite import SQLiteStore
from os1.memory.store import Memory, Persona, Profile
from os1.testing import ScriptedLLM
from tests.conftest import homes_remembered

NOW = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)


def chat_or_extract(messages: Sequence[Message], schema: dict[str, Any] | None) -> str:
    """Chat gets a short reply; extraction keeps 'I live in X' as a fact."""
    if schema is None:
        return "Mm, tell me more."
    return homes_remembered(messages)


@pytest.fixture
def companion(home: Path, embedder: MiniLM, persona: Persona, profile: Profile) -> Iterator[Companion]:
    store = SQLiteStore.open(home)
    llm = ScriptedLLM(*[chat_or_extract] * 20)
    recall = Recall(store, embedder, clock=lambda: NOW)
    observer = Observer(llm, recall, {"user": "Theo"})
    yield Companion(llm, store, persona, profile, clock=lambda: NOW, recall=recall, observer=observer)
    store.close()


async def say(companion: Companion, text: str) -> str:
    return "".join([d async for d in companion.respond(text)])


async def test_what_was_said_becomes_a_memory_after_the_reply(companion: Companion) -> None:
    assert await say(companion, "I live in Porto.") == "Mm, tell me more."
    await companion.settle()
    memories = await companion.store.memories()
    assert [m.text for m in memories] == ["Theo lives in Porto."]
    assert await companion.store.queued_turns() == []


async def test_a_later_message_brings_the_memory_into_the_conversation_once(companion: Companion) -> None:
    await say(companion, "I live in Porto.")
    await companion.settle()
    await say(companion, "Where do I live again?")
    prompt = companion.llm.requests[-1].messages  # type: ignore[attr-defined]
    notes = [m["content"] for m in prompt if m["content"].startswith("[What you remember")]
    assert len(notes) == 1 and "Theo lives in Porto. (since November 2026)" in notes[0]
    await say(companion, "Do you remember where I live?")
    prompt = companion.llm.requests[-1].messages  # type: ignore[attr-defined]
    assert len([m for m in prompt if m["content"].startswith("[What you remember")]) == 1  # not repeated


async def test_an_interview_answer_is_not_recalled_into_a_note_as_the_system_message_has_it(
    companion: Companion,
) -> None:
    await keep_interview(companion.store, companion.profile.answers, "Theo", NOW)
    assert companion.recall and await companion.recall.search("it's complicated with my mother")  # it is found
    await say(companion, "it's complicated with my mother")
    prompt = companion.llm.requests[-1].messages  # type: ignore[attr-defined]
    assert 'They said: "complicated"' in prompt[0]["content"]  # the interview, in the system message
    assert not [m for m in prompt if m["content"].startswith("[What you remember")]


async def test_a_reply_read_ahead_begins_with_exactly_the_prompt_that_was_read(companion: Companion) -> None:
    """What ``foresee`` has the model read (memory's note, then the words) is the prompt the reply is asked
    with, so the model's cache holds all of it; nothing is kept, and a request to forget is not read ahead."""
    await say(companion, "I live in Porto.")
    await companion.settle()
    llm: ScriptedLLM = companion.llm  # type: ignore[assignment]
    await companion.foresee("  Where do I live again? ")
    assert [t.text for t in await companion.store.turns()][-1] == "Mm, tell me more."  # nothing was kept
    await say(companion, "Where do I live again?")
    assert llm.read_ahead[-1] == llm.requests[-1].messages
    assert any("Theo lives in Porto." in m["content"] for m in llm.read_ahead[-1])  # the note was read too
    await companion.foresee("Please forget that I live in Porto.")
    assert len(llm.read_ahead) == 1 and len(await companion.store.memories()) == 1


async def test_what_was_recalled_while_the_user_typed_is_the_replys_unless_it_changed(companion: Companion) -> None:
    """A draft read ahead (``foresee`` without the model) gives the reply its recall when the same words are
    sent; other words, or a memory forgotten in between, are searched again, so nothing forgotten comes back."""
    await say(companion, "I live in Porto.")
    await companion.settle()
    llm: ScriptedLLM = companion.llm  # type: ignore[assignment]

    def note() -> str:
        return next(m["content"] for m in llm.prompts[-1] if m["content"].startswith("[What you remember"))

    await companion.foresee("Where do I live again?", read=False)
    assert llm.read_ahead == []  # the model was not asked to read
    await say(companion, "Where do I live again?")
    assert companion.recalled_ahead and "Theo lives in Porto." in note()

    await companion.foresee("What was my address?", read=False)
    await say(companion, "What was my old address, again?")  # sent after more typing: searched again
    assert not companion.recalled_ahead

    await say(companion, "Now I live in Lisbon.")
    await companion.settle()
    await companion.foresee("Is Lisbon home now?", read=False)
    assert companion.recall is not None
    lisbon = next(m for m in await companion.store.memories() if "Lisbon" in m.text)
    await companion.recall.forget(lisbon.id)  # forgotten from the memory page while the user typed
    await say(companion, "Is Lisbon home now?")
    assert not companion.recalled_ahead
    assert not any("Theo lives in Lisbon" in m["content"] for m in llm.prompts[-1])


async def test_the_user_speaking_pauses_memory_work_and_nothing_is_lost(companion: Companion) -> None:
    companion.llm.delay = 0.05  # type: ignore[attr-defined]
    await say(companion, "I live in Porto.")
    await asyncio.sleep(0.01)  # the background extraction has started...
    reply = await say(companion, "hello again")  # ...and is cancelled by this turn
    assert reply == "Mm, tell me more."
    await companion.settle()
    assert [m.text for m in await companion.store.memories()] == ["Theo lives in Porto."]


async def test_a_long_diary_entry_is_recalled_as_its_first_lines_and_the_same_words_once(companion: Companion) -> None:
    assert companion.recall is not None
    long_entry = "Theo talked about the lake house and his father. " * 12  # ~600 characters
    for text in (long_entry, "Theo's father sold the lake house.", "Theo's father sold the lake house."):
        await companion.recall.remember(Memory(id=0, kind="episode" if text == long_entry else "fact", text=text,
                                               source_turn_ids=(), created_at=NOW))  # fmt: skip
    await say(companion, "My father called about the lake house today.")
    note = next(t.text for t in await companion.store.turns() if t.speaker == "event" and not t.opens_conversation)
    lines = note.splitlines()[1:]
    assert len(lines) == len(set(lines)) == 2  # the fact said twice is noted once
    assert all(len(line) <= 2 + NOTE_CHARS for line in lines) and any("lake house and his father" in x for x in lines)


async def test_a_line_of_an_earlier_conversation_no_longer_replayed_is_recalled(
    home: Path, embedder: MiniLM, persona: Persona, profile: Profile
) -> None:
    store = SQLiteStore.open(home)
    recall = Recall(store, embedder, clock=lambda: NOW)
    yesterday = Companion(ScriptedLLM(*["Mm."] * 20), store, persona, profile, clock=lambda: NOW, recall=recall)
    for line in ["My kids are Lily and Owen, nine and six.", *(f"small talk {i}" for i in range(8))]:
        await say(yesterday, line)
    today = Companion(ScriptedLLM("Lily and Owen."), store, persona, profile, clock=lambda: NOW, recall=recall)
    await say(today, "What are my kids called?")
    prompt = today.llm.requests[-1].messages  # type: ignore[attr-defined]
    assert not any(m["content"] == "My kids are Lily and Owen, nine and six." for m in prompt)  # not replayed
    (note,) = [m["content"] for m in prompt if m["content"].startswith("[What you remember")]
    assert 'Theo said: "My kids are Lily and Owen, nine and six."' in note  # so recall brings it back
    store.close()
