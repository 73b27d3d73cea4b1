import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from os1.errors import LLMUnavailable
from os1.llm import Message
from os1.memory.embed import MiniLM
from os1.memory.observe import Observer
from os1.memory.recall import Recall
from os1.memory.sqlite import SQLiteStore
from os1.testing import ScriptedLLM

NOW = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)


def remember_each_turn(messages: Sequence[Message], schema: dict[str, Any] | None) -> str:
    """An extractor stand-in that keeps every numbered line it is shown, as a fact about its speaker ("I" and "my"
    become the speaker, as the extraction prompt asks)."""
    lines = [line for line in messages[-1]["content"].splitlines() if line.startswith("[")]
    items = []
    for line in lines:
        number, rest = line[1:].split("] ", 1)
        speaker, text = rest.split(" (", 1)[0], rest.split("): ", 1)[1]
        fact = re.sub(r"\bI\b", speaker, re.sub(r"\b[Mm]y\b", f"{speaker}'s", text))
        items.append([int(number), fact, speaker, "other", text, "", 3])
    return json.dumps({"memories": items})


@pytest.fixture
def recall(home: Path, embedder: MiniLM) -> Iterator[Recall]:
    store = SQLiteStore.open(home)
    yield Recall(store, embedder, clock=lambda: NOW)
    store.close()


async def test_what_people_say_is_queued_with_the_turn_and_drained_into_memories(recall: Recall) -> None:
    session = await recall.store.start_session()
    for speaker, text in [("user", "I adopted a cat called Miso."), ("assistant", "Miso! Tell me everything."),
                          ("event", "Theo is back."), ("user", "She is grey and bites.")]:  # fmt: skip
        await recall.store.add_turn(session, speaker, text, at=NOW)
    assert [t.text for t in await recall.store.queued_turns()] == [
        "I adopted a cat called Miso.",
        "She is grey and bites.",
    ]

    llm = ScriptedLLM(remember_each_turn)
    assert await Observer(llm, recall, {"user": "Theo"}, batch=4).drain() == 2
    assert await recall.store.queued_turns() == []
    assert [m.text for m in await recall.store.memories()] == [
        "Theo adopted a cat called Miso.",
        "She is grey and bites.",
    ]
    assert len(llm.requests) == 1  # both turns in one call


async def test_a_failed_batch_stays_queued_and_the_next_drain_finishes_it(recall: Recall) -> None:
    session = await recall.store.start_session()
    for i in range(5):
        await recall.store.add_turn(session, "user", f"Fact number {i} about my life.", at=NOW)

    def unavailable(messages: Sequence[Message], schema: dict[str, Any] | None) -> str:
        raise LLMUnavailable("the model went away")

    observer = Observer(ScriptedLLM(remember_each_turn, unavailable), recall, {"user": "Theo"}, batch=3)
    with pytest.raises(LLMUnavailable):
        await observer.drain()
    assert len(await recall.store.queued_turns()) == 2  # the first batch is done, the second is kept
    observer.llm = ScriptedLLM(remember_each_turn)
    assert await observer.drain() == 2
    assert len(await recall.store.memories()) == 5


async def test_a_batch_applied_twice_stores_nothing_twice(recall: Recall) -> None:
    session = await recall.store.start_session()
    turn = await recall.store.add_turn(session, "user", "I work at the library.", at=NOW)
    fact = [1, "Theo works at the library.", "Theo", "works at", "library", "", 4]
    reply = json.dumps({"memories": [fact]})
    observer = Observer(ScriptedLLM(reply, reply), recall, {"user": "Theo"})
    await observer.drain()
    await recall.store.add_turn(session, "user", "I work at the library.", at=NOW)  # said again: same fact
    await observer.drain()
    assert [m.source_turn_ids for m in await recall.store.memories()] == [(turn.id,)]


async def test_an_unreadable_answer_is_retried_turn_by_turn_and_never_blocks_the_queue(recall: Recall) -> None:
    session = await recall.store.start_session()
    for text in ("I run on Sundays.", "I cannot stand olives.", "My brother is called Leo."):
        await recall.store.add_turn(session, "user", text, at=NOW)

    def garbled_when_olives(messages: Sequence[Message], schema: dict[str, Any] | None) -> str:
        return '{"memories": [' if "olives" in messages[-1]["content"] else remember_each_turn(messages, schema)

    observer = Observer(ScriptedLLM(*[garbled_when_olives] * 4), recall, {"user": "Theo"}, batch=3)
    assert await observer.drain() == 2
    assert observer.unreadable == 1
    assert await recall.store.queued_turns() == []
    assert [m.text for m in await recall.store.memories()] == [
        "Theo run on Sundays.",
        "Theo's brother is called Leo.",
    ]
