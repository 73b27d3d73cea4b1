import asyncio
import sys
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from os1.memory.embed import MiniLM
from os1.memory.recall import SCANNED_IN_PLACE, Held, Recall
from os1.memory.sqlite import SQLiteStore, user_db_path
from os1.memory.store import Corpus, Indexed, Memory, Turn, Vector

NOW = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)

FACTS = [
    ("fact", "Theo lives in Lisbon.", "Theo", "lives in", 0.7, 200),
    ("fact", "Theo moved to Berlin and lives there now.", "Theo", "lives in", 0.8, 5),
    ("relationship", "Anna is Theo's sister; she works night shifts as a nurse.", "Anna", "is", 0.8, 40),
    ("preference", "Theo loves pancakes with too much maple syrup.", "Theo", "likes", 0.4, 30),
    ("event", "Theo's mother Linda has her 60th birthday on 4 December.", "Linda", "birthday", 0.9, 3),
    ("mood", "Theo felt lonely after a long week of writing other people's letters.", None, None, 0.5, 1),
    ("fact", "Theo writes letters for other people at a small company.", "Theo", "works as", 0.7, 60),
    ("preference", "Theo hates crowded parties but likes small dinners.", "Theo", "likes", 0.5, 20),
]


@pytest.fixture
def store(home: Path) -> Iterator[SQLiteStore]:
    store = SQLiteStore.open(home)
    yield store
    store.close()


async def remember_all(recall: Recall) -> dict[str, Memory]:
    kept = {}
    for kind, text, subject, predicate, importance, days_ago in FACTS:
        memory = Memory(
            id=0, kind=kind, text=text, source_turn_ids=(900 + len(kept),), created_at=NOW - timedelta(days=days_ago),
            subject=subject, predicate=predicate, importance=importance,
        )  # fmt: skip
        kept[text] = await recall.remember(memory)
    return kept


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("what does my sister do?", "Anna is Theo's sister; she works night shifts as a nurse."),
        ("when is mom's birthday", "Theo's mother Linda has her 60th birthday on 4 December."),
        ("my favourite food", "Theo loves pancakes with too much maple syrup."),
        ("how was I feeling", "Theo felt lonely after a long week of writing other people's letters."),
        ("what's my job", "Theo writes letters for other people at a small company."),
    ],
)
async def test_the_right_memory_comes_first(store: SQLiteStore, embedder: MiniLM, query: str, expected: str) -> None:
    recall = Recall(store, embedder, clock=lambda: NOW)
    await remember_all(recall)
    hits = await recall.search(query, limit=3)
    assert hits[0].text == expected
    assert hits[0].source_turn_ids  # provenance comes along


async def test_a_closed_memory_stays_findable_but_ranks_after_the_current_one(
    store: SQLiteStore, embedder: MiniLM
) -> None:
    recall = Recall(store, embedder, clock=lambda: NOW)
    kept = await remember_all(recall)
    lisbon = kept["Theo lives in Lisbon."]
    await store.close_memory(lisbon.id, NOW - timedelta(days=5))
    texts = [hit.text for hit in await recall.search("where do I live?", limit=5)]
    assert texts.index("Theo moved to Berlin and lives there now.") < texts.index("Theo lives in Lisbon.")
    past = await store.memory(lisbon.id)
    assert past is not None and not past.current and past.valid_to == NOW - timedelta(days=5)
    assert [m.text for m in await store.current_with_key("Theo", "lives in")] == [
        "Theo moved to Berlin and lives there now."
    ]


async def test_a_new_store_object_finds_what_an_earlier_one_stored(home: Path, embedder: MiniLM) -> None:
    first = SQLiteStore.open(home)
    await remember_all(Recall(first, embedder, clock=lambda: NOW))
    first.close()
    second = SQLiteStore.open(home)
    hits = await Recall(second, embedder, clock=lambda: NOW).search("sister", limit=1)
    assert hits[0].text.startswith("Anna is Theo's sister")
    assert set(hits[0].ranks) == {"meaning", "words", "recent"}
    second.close()


async def test_forget_leaves_no_trace_in_the_database_file(home: Path, embedder: MiniLM) -> None:
    store = SQLiteStore.open(home)
    recall = Recall(store, embedder, clock=lambda: NOW)
    await remember_all(recall)
    session = await store.start_session(NOW)
    said = await store.add_turn(session, "user", "my PIN is zanzibarquux4417, don't tell", at=NOW, queue=False)
    kept = await store.add_turn(session, "user", "I like my bank though", at=NOW, queue=False)
    await recall.reembed()
    secret = await recall.remember(
        Memory(id=0, kind="fact", text="Theo's bank PIN is Zanzibarquux4417.", source_turn_ids=(said.id,),
               created_at=NOW)
    )  # fmt: skip
    assert (await recall.search("Zanzibarquux4417", limit=1))[0].source_turn_ids == (said.id,)
    assert await recall.forget(secret.id)
    assert await store.memory(secret.id) is None
    assert all(hit.memory != secret for hit in await recall.search("bank PIN Zanzibarquux4417"))
    assert await store.search_text("memories", "Zanzibarquux4417") == []
    assert await store.search_text("transcript", "Zanzibarquux4417") == []
    (turn, other) = await store.turns_by_id([said.id, kept.id])
    assert turn.forgotten and turn.text == "" and other.text == "I like my bank though"  # the rest stays
    assert said.id not in (await store.vectors("transcript", embedder.model_id)).ids
    store.close()
    folder = user_db_path(home).parent
    for path in folder.iterdir():  # the database, its WAL and shared memory: nothing may still hold it
        assert b"zanzibarquux4417" not in path.read_bytes().lower(), path.name


async def test_queries_with_punctuation_are_just_words(store: SQLiteStore, embedder: MiniLM) -> None:
    recall = Recall(store, embedder, clock=lambda: NOW)
    await remember_all(recall)
    for query in ('"unbalanced', "NOT OR AND", "sister*", "(((", "", "?!"):
        await recall.search(query)  # never an FTS5 syntax error
    assert await store.search_text("memories", "NEAR(") == []


async def test_function_words_do_not_decide(store: SQLiteStore, embedder: MiniLM) -> None:
    recall = Recall(store, embedder, clock=lambda: NOW)
    await remember_all(recall)
    hits = await recall.search("what do I eat for breakfast", limit=2)
    assert hits[0].text == "Theo loves pancakes with too much maple syrup."


async def test_a_new_embedding_model_embeds_everything_again_and_never_mixes(
    store: SQLiteStore, embedder: MiniLM
) -> None:
    old = np.ones(embedder.dim, dtype=np.float32) / np.sqrt(embedder.dim)
    for kind, text, *_ in FACTS:
        await store.add_memory(
            Memory(id=0, kind=kind, text=text, source_turn_ids=(), created_at=NOW), ("old-model", old)
        )
    recall = Recall(store, embedder, clock=lambda: NOW)
    assert all("meaning" not in hit.ranks for hit in await recall.search("my sister's work"))  # old vectors unused
    progress: list[tuple[int, int]] = []
    assert await recall.reembed(lambda done, total: progress.append((done, total)), batch=3) == len(FACTS)
    assert progress[-1] == (len(FACTS), len(FACTS))
    assert (await store.vectors("memories", "old-model")).ids == []  # replaced, not kept beside the new ones
    index = await store.vectors("memories", embedder.model_id)
    assert len(index.ids) == len(FACTS) and index.matrix.shape == (len(FACTS), embedder.dim)
    hits = await recall.search("what does my sister do?", limit=1)
    assert hits[0].text.startswith("Anna is Theo's sister") and "meaning" in hits[0].ranks
    assert await recall.reembed() == 0


async def add_conversation(store: SQLiteStore, lines: list[tuple[datetime, str]]) -> list[Turn]:
    turns = []
    for at, text in lines:
        session = await store.start_session(at)
        turns.append(await store.add_turn(session, "user", text, at=at, queue=False))
        await store.add_turn(session, "assistant", "Tell me more.", at=at + timedelta(seconds=5))
    return turns


async def test_the_transcript_is_searched_too(store: SQLiteStore, embedder: MiniLM) -> None:
    recall = Recall(store, embedder, clock=lambda: NOW)
    await remember_all(recall)
    (said,) = await add_conversation(store, [(NOW - timedelta(days=9), "Grandpa taught me to sail on Lake Constance")])
    assert await recall.reembed() == 2  # both turns become searchable by meaning
    hits = await recall.search("who taught me sailing?", limit=3)
    assert hits[0].turn == said and hits[0].source_turn_ids == (said.id,)
    assert {"turn meaning", "turn words"} <= set(hits[0].ranks)
    assert all(hit.turn is None for hit in await recall.search("who taught me sailing?", transcript=False))


async def test_a_memory_and_the_turn_it_came_from_are_listed_once(store: SQLiteStore, embedder: MiniLM) -> None:
    recall = Recall(store, embedder, clock=lambda: NOW)
    (said,) = await add_conversation(store, [(NOW - timedelta(days=2), "my sister Anna is a night nurse")])
    await recall.reembed()
    memory = await recall.remember(
        Memory(id=0, kind="relationship", text="Anna is Theo's sister; she works night shifts as a nurse.",
               source_turn_ids=(said.id,), created_at=said.at)
    )  # fmt: skip
    hits = await recall.search("what does my sister do at night", limit=5)
    assert hits[0].memory == memory or hits[0].turn == said
    assert [hit.source_turn_ids for hit in hits].count((said.id,)) == 1  # the memory or its turn, once


async def test_a_turn_with_the_words_asked_about_is_not_hidden_behind_a_memory_without_them(
    store: SQLiteStore, embedder: MiniLM
) -> None:
    """What the default model kept from "Got a dog rides with me. Rusty. Blue heeler." lost the word "dog", and
    "What's my dog's name?" the next day found neither the turn (shown as its memory) nor the memory (nothing of
    the question's words in it)."""
    recall = Recall(store, embedder, clock=lambda: NOW)
    (said,) = await add_conversation(store, [(NOW - timedelta(days=1), "got a parrot at home. Kiwi. Loud as anything")])
    await recall.reembed()
    await recall.remember(
        Memory(id=0, kind="fact", text="Kiwi is loud as anything.", source_turn_ids=(said.id,), created_at=said.at)
    )
    hits = await recall.search("what's my parrot called?", limit=3)
    assert hits[0].turn == said and "turn words" in hits[0].ranks
    assert [hit.source_turn_ids for hit in hits].count((said.id,)) == 1


async def test_a_question_about_last_month_looks_at_last_month(store: SQLiteStore, embedder: MiniLM) -> None:
    recall = Recall(store, embedder, clock=lambda: NOW)  # NOW is in November 2026
    in_october, in_june = await add_conversation(
        store,
        [
            (datetime(2026, 10, 14, 20, tzinfo=UTC), "my sister finally called me back, we talked for hours"),
            (datetime(2026, 6, 3, 20, tzinfo=UTC), "my sister is angry at me again, she won't answer"),
        ],
    )
    await recall.reembed()
    hits = await recall.search("what did I say about my sister last month?", limit=3)
    turns = [hit.turn for hit in hits]
    assert turns[0] == in_october and turns.index(in_june) > 1  # all that was said then first, then the rest
    hits = await recall.search("what was going on with my sister in June?", limit=3)
    assert hits[0].turn == in_june
    # nothing was said in the window: the whole store is searched instead of answering nothing
    assert (await recall.search("what did I say about my sister last week?", limit=1))[0].turn in (in_october, in_june)


async def test_a_question_about_a_month_finds_what_was_said_of_it_before(store: SQLiteStore, embedder: MiniLM) -> None:
    recall = Recall(store, embedder, clock=lambda: NOW)  # NOW is in November 2026
    planned, _, went = await add_conversation(
        store,
        [
            (datetime(2026, 3, 12, 20, tzinfo=UTC), "Priya and I are going to Lisbon for a long weekend in May"),
            (datetime(2026, 5, 8, 20, tzinfo=UTC), "Priya's birthday drinks were fun, we went to a rooftop bar"),
            (datetime(2026, 6, 2, 20, tzinfo=UTC), "we went to York for the hen do, it was chaotic"),
        ],
    )
    await recall.reembed()
    hits = await recall.search("where were Priya and I supposed to go on holiday in May?", limit=2)
    assert planned in [hit.turn for hit in hits]  # said in March, of May
    assert went not in [hit.turn for hit in hits]  # said in June, of nothing in May


async def test_memories_added_one_by_one_are_found_as_if_read_at_once(store: SQLiteStore, embedder: MiniLM) -> None:
    recall = Recall(store, embedder, clock=lambda: NOW)
    await recall.search("warm up")  # the index is in memory from here on; each memory is added to it
    for i in range(70):  # past the first buffer's room
        await recall.remember(Memory(id=0, kind="fact", text=f"Theo's friend number {i} plays the {i}th violin.",
                                     source_turn_ids=(), created_at=NOW))  # fmt: skip
    await remember_all(recall)
    fresh = Recall(store, embedder, clock=lambda: NOW)
    for query in ("what does my sister do?", "violin", "where do I live?"):
        grown = [(hit.text, round(hit.score, 9)) for hit in await recall.search(query)]
        assert grown == [(hit.text, round(hit.score, 9)) for hit in await fresh.search(query)]


async def test_only_the_most_recently_searched_keep_their_vectors_in_memory(
    store: SQLiteStore, embedder: MiniLM
) -> None:
    await remember_all(Recall(store, embedder, clock=lambda: NOW))
    one = Recall(store, embedder, clock=lambda: NOW, held=Held())
    await one.search("what does my sister do?")
    assert one.held_bytes == one.held.bytes > 0
    held = Held(limit=int(2.5 * one.held_bytes))  # room for two users' vectors
    first, second, third = (Recall(store, embedder, clock=lambda: NOW, held=held) for _ in range(3))
    found = [hit.text for hit in await first.search("what does my sister do?", limit=3)]
    assert first in held and held.bytes == one.held_bytes
    await second.search("my favourite food")
    await third.search("what's my job")
    assert first not in held and second in held and third in held  # the least recently searched let go
    assert [hit.text for hit in await first.search("what does my sister do?", limit=3)] == found  # read again
    assert first in held and second not in held
    third.release()
    assert third not in held and held.bytes == one.held_bytes


class GatedStore(SQLiteStore):
    """A real store whose reads of vectors wait, once read, until the test lets them through."""

    def __init__(self, path: Path):
        super().__init__(path)
        self.read, self.gate = asyncio.Event(), asyncio.Event()

    async def vectors(self, corpus: Corpus, model_id: str) -> Indexed:
        indexed = await super().vectors(corpus, model_id)
        self.read.set()
        await self.gate.wait()
        return indexed


async def test_a_memory_kept_while_the_vectors_are_read_is_found_by_meaning(home: Path, embedder: MiniLM) -> None:
    store = GatedStore(user_db_path(home))
    recall = Recall(store, embedder, clock=lambda: NOW, held=Held())
    await remember_all(Recall(store, embedder, clock=lambda: NOW))
    searching = asyncio.create_task(recall.search("what does my sister do?", limit=5))
    await store.read.wait()  # the memories' vectors are read: the new one is not among them
    sister = await recall.remember(
        Memory(id=0, kind="fact", text="Theo's sister Mara blows glass in Murano.", source_turn_ids=(), created_at=NOW)
    )
    store.gate.set()
    for hits in (await searching, await recall.search("what does my sister do?", limit=5)):
        assert "meaning" in {hit.text: hit for hit in hits}[sister.text].ranks  # read again, not the older index
    store.close()


async def test_a_store_too_large_to_scan_in_place_is_searched_in_a_worker_thread(
    store: SQLiteStore, embedder: MiniLM
) -> None:
    session = await store.start_session(NOW - timedelta(days=300))
    said = "Theo's sister Mara blows glass in Murano."
    turns = [await store.add_turn(session, "user", f"note {i}", at=NOW, queue=False) for i in range(SCANNED_IN_PLACE)]
    turns.append(await store.add_turn(session, "user", said, at=NOW, queue=False))
    recall = Recall(store, embedder, clock=lambda: NOW, held=Held())
    noise = np.random.default_rng(7).standard_normal((SCANNED_IN_PLACE, embedder.dim)).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    vectors = [*zip((t.id for t in turns), noise, strict=False), (turns[-1].id, embedder.embed([said])[0])]
    await store.put_vectors("transcript", recall.model, vectors)
    scans: list[str] = []

    def traced(frame: object, event: str, arg: object) -> None:
        code = getattr(frame, "f_code", None)
        if event == "call" and code is not None and code.co_name == "by_meaning":
            scans.append(threading.current_thread().name)

    threading.setprofile(traced)
    sys.setprofile(traced)
    try:
        (hit,) = await recall.search(said, limit=1)
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
    assert hit.turn is not None and hit.turn.text == said and hit.ranks["turn meaning"] == 1
    assert hit.similarity > 0.99
    assert scans and all(name != threading.main_thread().name for name in scans)


class Counted:
    """MiniLM, counting the texts it embeds."""

    def __init__(self, embedder: MiniLM):
        self.inner, self.model_id, self.dim = embedder, embedder.model_id, embedder.dim
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> Vector:
        self.texts.extend(texts)
        return self.inner.embed(texts)


async def test_the_query_is_embedded_while_the_vectors_are_read(home: Path, embedder: MiniLM) -> None:
    store = GatedStore(user_db_path(home))
    await remember_all(Recall(store, embedder, clock=lambda: NOW))
    counted = Counted(embedder)
    recall = Recall(store, counted, clock=lambda: NOW, held=Held())
    searching = asyncio.create_task(recall.search("what does my sister do?", limit=1))
    await store.read.wait()  # held at the gate: the search cannot end yet
    async with asyncio.timeout(10):
        while counted.texts != ["what does my sister do?"]:
            await asyncio.sleep(0.01)
    store.gate.set()
    (hit,) = await searching
    assert hit.text == "Anna is Theo's sister; she works night shifts as a nurse."
    store.close()
