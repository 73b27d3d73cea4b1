"""Episodes and reflection: a diary entry per finished conversation, notes on the user in the stable prefix,
and both rewritten without what the user had os1 forget."""

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from os1.companion.companion import Companion
from os1.llm import Message
from os1.memory.diary import REFLECTION_SCHEMA, Diary
from os1.memory.embed import MiniLM
from os1.memory.observe import Observer
from os1.memory.recall import Recall
from os1.memory.sqlite import SQLiteStore
from os1.memory.store import Persona, Profile
from os1.testing import ScriptedLLM

NOW = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)
NAMES = {"user": "Theo", "assistant": "Samantha"}


def model(messages: Sequence[Message], schema: dict[str, Any] | None) -> str:
    """Extraction keeps 'my sister is X'; the diary retells the user's lines; reflection sums up memories."""
    text = messages[-1]["content"]
    if schema == REFLECTION_SCHEMA:
        facts = [line[2:] for line in text.splitlines() if line.startswith("- ") and ":" not in line]
        return json.dumps({"about": " ".join(facts), "open_threads": ["the move"], "follow_ups": ["ask about Ana"]})
    if schema is not None:
        items = [
            [int(line[1 : line.index("]")]), f"Theo's sister is {name}.", "Theo", "is related to", name, "", 4]
            for line in text.splitlines()
            if "my sister is " in line and (name := line.split("my sister is ", 1)[1].strip(". "))
        ]  # fmt: skip
        return json.dumps({"memories": items})
    if messages[0]["content"].startswith("You keep the diary"):
        return "Theo talked: " + " / ".join(line.split(": ", 1)[1] for line in text.splitlines() if line[:5] == "Theo:")
    return "Mm."


@pytest.fixture
def parts(home: Path, embedder: MiniLM) -> Iterator[tuple[SQLiteStore, Recall, ScriptedLLM]]:
    store = SQLiteStore.open(home)
    yield store, Recall(store, embedder, clock=lambda: NOW), ScriptedLLM(*[model] * 40)
    store.close()


async def conversation(store: SQLiteStore, lines: list[str], at: datetime) -> int:
    session = await store.start_session(at)
    for i, line in enumerate(lines):
        await store.add_turn(session, "user", line, at=at + timedelta(minutes=i))
        await store.add_turn(session, "assistant", "Mm.", at=at + timedelta(minutes=i, seconds=5))
    return session


async def test_a_finished_conversation_gets_a_diary_entry_naming_its_turns(
    parts: tuple[SQLiteStore, Recall, ScriptedLLM],
) -> None:
    store, recall, llm = parts
    long = await conversation(store, ["my sister is Ana.", "we fought about mum", "I feel awful"], NOW)
    await conversation(store, ["hi", "bye"], NOW + timedelta(hours=2))  # too short for an entry
    live = await conversation(store, ["one", "two", "three"], NOW + timedelta(hours=4))
    await Observer(llm, recall, NAMES).settle(live_session=live, reflect=False)
    (entry,) = [m for m in await store.memories() if m.kind == "episode"]
    assert entry.text == "23 November 2026: Theo talked: my sister is Ana. / we fought about mum / I feel awful"
    assert entry.source_turn_ids == tuple(t.id for t in await store.session_turns(long))
    assert entry.valid_from == NOW
    assert await store.sessions_without_episode(min_said=3) == [live]  # the live one waits until it ends
    hits = await recall.search("what did we talk about on 23 November?", limit=3)
    assert any(hit.memory == entry for hit in hits)


async def test_reflection_opens_the_next_conversation(
    parts: tuple[SQLiteStore, Recall, ScriptedLLM], persona: Persona, profile: Profile
) -> None:
    store, recall, llm = parts
    await conversation(store, ["my sister is Ana.", "she is moving to Porto", "I'll miss her"], NOW)
    await Observer(llm, recall, NAMES).settle()
    reflection = await store.reflection()
    assert reflection is not None and "Theo's sister is Ana." in reflection.about
    assert reflection.follow_ups == ("ask about Ana",) and reflection.memories_seen > 0
    assert not await Diary(llm, recall, NAMES).reflection_due()  # nothing new since
    await store.save_persona(persona)
    await store.save_profile(profile)
    companion = await Companion.load(llm, store, clock=lambda: NOW + timedelta(days=3))
    assert companion is not None
    opening = companion.opening(await store.turns())
    assert "Your own notes on Theo: Theo's sister is Ana." in opening
    assert "Things you meant to ask about: ask about Ana." in opening
    assert (
        "You have known Theo since 23 November 2026 (3 days, 2 conversations)." in opening
    )  # the one before, and this one
    [_ async for _ in companion.respond("I'm back")]
    assert llm.requests[-1].messages[-2]["content"] == f"[{opening}]"  # it opens the conversation


async def test_forget_rewrites_the_diary_and_the_reflection_without_it(
    parts: tuple[SQLiteStore, Recall, ScriptedLLM],
) -> None:
    store, recall, llm = parts
    await conversation(store, ["my sister is Zuzanna.", "work was long", "I cooked pasta", "night"], NOW)
    observer = Observer(llm, recall, NAMES)
    await observer.settle()
    (fact,) = [m for m in await store.memories() if m.kind == "relationship"]
    assert "Zuzanna" in (await store.reflection() or pytest.fail("no reflection")).about
    assert await recall.forget(fact.id)
    assert await store.reflection() is None
    assert [m for m in await store.memories() if m.kind == "episode"] == []  # it held the forgotten turn
    await observer.settle()
    (entry,) = [m for m in await store.memories() if m.kind == "episode"]
    assert entry.text.endswith("Theo talked: work was long / I cooked pasta / night")
    assert all("zuzanna" not in json.dumps(r.messages).lower() for r in llm.requests[-2:])
    everything = json.dumps([m.text for m in await store.memories(include_past=True)]).lower()
    assert "zuzanna" not in everything


async def test_a_forgotten_diary_entry_is_not_written_again(parts: tuple[SQLiteStore, Recall, ScriptedLLM]) -> None:
    store, recall, llm = parts
    await conversation(store, ["work was long", "I cooked pasta", "goodnight"], NOW)
    observer = Observer(llm, recall, NAMES)
    await observer.settle(reflect=False)
    (entry,) = await store.memories()
    assert await recall.forget(entry.id)
    await observer.settle(reflect=False)
    assert await store.memories() == []
    assert await recall.reembed() == 0  # an emptied entry is not embedded again
    assert [t.text for t in await store.turns() if t.speaker == "user"] == [
        "work was long",
        "I cooked pasta",
        "goodnight",
    ]


async def test_an_unreadable_reflection_keeps_the_old_notes_and_is_tried_again(
    parts: tuple[SQLiteStore, Recall, ScriptedLLM],
) -> None:
    store, recall, llm = parts
    await conversation(store, ["my sister is Ana.", "she is moving to Porto", "I'll miss her"], NOW)
    observer = Observer(llm, recall, NAMES)
    await observer.settle()
    before = await store.reflection()
    assert before is not None
    await conversation(store, [f"my sister is Ana{i}." for i in range(12)], NOW + timedelta(hours=3))
    looping = "{\n  \"about\" : \"Theo's brother, Theo's sister, Theo's mother, Theo's"  # out of tokens
    llm.replies.clear()
    llm.enqueue(*[lambda m, s: looping if s == REFLECTION_SCHEMA else model(m, s)] * 40)
    await observer.settle()  # the diary and the memories are written; the reflection is not
    assert await store.reflection() == before
    assert len([m for m in await store.memories() if m.kind == "relationship"]) == 13
    assert await Diary(llm, recall, NAMES).reflection_due()  # so the next settle tries again
