"""Hybrid recall over one user's memories and raw transcript: meaning, words, and how recent and important, fused
by rank.

For each corpus (the memories, and the turns as they were said) two rankings are made for a query: cosine similarity
of MiniLM vectors (``vectors.py``: read once per store, in a worker thread, and held in float16; an int8 scan, then
float16 scores, 2.6 ms at 100k records here, against 44 ms for sqlite-vec) and FTS5 BM25 over the words; a third
ranks every candidate by recency x importance. Weighted reciprocal rank fusion (weight / (60 + rank)) adds them up,
so no signal's raw scale matters. A memory also counts for the turns it came from (a small model's memory may be
clumsy, but it points at the right words), and a memory and its own turn are listed once, as the memory.

Time: memories that stopped being true stay findable ("where did I live before?") but rank lower than current
ones, and what replaced a memory is listed above it. A question about the present ("where do I live now?", "am
I still vegetarian?") gives the newest words more weight; one about the past ("before", "used to") counts the
past fully. A question that names a stretch of time ("what did I say about my sister last month?") is searched
within it, by when things were said or when they happened (a turn's words may name a day: "we're going to
Lisbon in May"), and the diary entries of that stretch weigh like its turns; what it finds comes first, and the
rest of the list comes from the whole store.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np

from os1.memory.dates import Window, about_before, about_now, window
from os1.memory.embed import Embedder, Embeddings
from os1.memory.store import Corpus, Memory, Store, Turn, Vector
from os1.memory.vectors import VectorIndex

RRF_K = 60
# How much memory the vectors held at once take, in a process (a server holds thousands of users; ten months of
# conversation take ~0.4 MB, so this holds ~15,000 such users): past it, the least recently searched are let go,
# and read again (~1 ms) when next needed.
HELD_BYTES = 6 * 2**30
CANDIDATES = 50  # taken from each of the meaning and word rankings of each corpus
SCANNED_IN_PLACE = 20_000  # vectors a search scans on the event loop (~0.5 ms); over this, in a worker thread
HALF_LIFE_DAYS = 30.0
PAST_WEIGHT = 0.75  # a memory that is no longer true (and a turn only such memories came from) counts this much
TURN_IMPORTANCE = 0.5  # a raw turn's importance, for the recency signal
# Meaning and words decide; recency x importance only breaks near-ties (every memory is a candidate in a small
# store, so at full weight it would rank a fresh, unrelated memory above the right one).
# Chosen on the odd-numbered questions of bench/data's conversation set (the even ones are the check): the
# meaning of what was said is the strongest single signal, and a memory helps most by pointing at its turn.
WEIGHTS = {
    "meaning": 1.0, "words": 1.0, "turn meaning": 4.0, "turn words": 1.0, "memory meaning": 1.0, "memory words": 1.0,
    "episode meaning": 4.0, "episode words": 1.0, "recent": 0.25,
}  # fmt: skip
SPEAKER_WEIGHTS = {"assistant": 0.6}  # the companion's own lines seldom hold what the user told it
NOW_RECENT_WEIGHT = 1.0  # "where do I live now?": the newest word counts more
CORPORA: tuple[Corpus, ...] = ("memories", "transcript")


@dataclass(frozen=True)
class Hit:
    """A memory, or a turn of the transcript, that recall found."""

    score: float
    ranks: dict[str, int]  # its rank (1 = best) in each signal that found it
    similarity: float  # cosine between the query and its text (0 when meaning did not find it)
    memory: Memory | None = None
    turn: Turn | None = None

    @property
    def text(self) -> str:
        return self.memory.text if self.memory is not None else self.turn.text if self.turn is not None else ""

    @property
    def key(self) -> tuple[Corpus, int]:
        return (
            ("memories", self.memory.id)
            if self.memory is not None
            else ("transcript", self.turn.id if self.turn else 0)
        )

    @property
    def source_turn_ids(self) -> tuple[int, ...]:
        if self.memory is not None:
            return self.memory.source_turn_ids
        return (self.turn.id,) if self.turn is not None else ()


class Held:
    """The recalls that keep their vectors in memory, least recently searched first, taking at most ``limit``
    bytes together (the one searched last stays, whatever its size)."""

    def __init__(self, limit: int = HELD_BYTES):
        self.limit = limit
        self.bytes = 0
        self._recalls: OrderedDict[Recall, int] = OrderedDict()  # -> the bytes it held when last searched

    def __contains__(self, recall: Recall) -> bool:
        return recall in self._recalls

    def used(self, recall: Recall) -> None:
        self.drop(recall)
        self._recalls[recall] = size = recall.held_bytes
        self.bytes += size
        while self.bytes > self.limit and len(self._recalls) > 1:
            next(iter(self._recalls)).release()

    def drop(self, recall: Recall) -> None:
        self.bytes -= self._recalls.pop(recall, 0)


HELD = Held()


class Recall:
    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        *,
        clock: Callable[[], datetime] | None = None,
        held: Held | None = None,  # the process's own by default
    ):
        self.held = held or HELD
        self.store = store
        self.embeddings = Embeddings.of(embedder)  # shared with every Recall of the same embedder
        self.clock = clock or (lambda: datetime.now(UTC))
        self._indexes: dict[Corpus, VectorIndex] = {}
        self._loading: dict[Corpus, asyncio.Future[VectorIndex]] = {}
        self._changes: dict[Corpus, int] = dict.fromkeys(CORPORA, 0)  # a load that saw fewer is not kept

    @property
    def held_bytes(self) -> int:
        return sum(index.nbytes for index in self._indexes.values())

    async def remember(self, memory: Memory) -> Memory:
        """Embed and store a memory; it is searchable at once."""
        (vector,) = await self.embeddings.texts([memory.text])
        stored = await self.store.add_memory(memory, (self.model, vector))
        self._changes["memories"] += 1
        if (index := self._indexes.get("memories")) is not None:
            said = stored.created_at.timestamp()
            index.add([stored.id], vector[None, :], [said], [(stored.valid_from or stored.created_at).timestamp()])
        return stored

    async def edit(self, memory_id: int, text: str) -> None:
        """Replace a memory's words and its vector (the old words leave the file, as with forget)."""
        (vector,) = await self.embeddings.texts([text], waiting=True)
        await self.store.edit_memory(memory_id, text, (self.model, vector))
        self._changes["memories"] += 1
        if (index := self._indexes.get("memories")) is not None:
            index.replace(memory_id, vector)

    async def forget(self, memory_id: int) -> bool:
        """Delete a memory and the words of the turns it came from (``Store.forget_memory``)."""
        deleted = await self.store.forget_memory(memory_id)
        self._indexes.clear()  # both corpora changed; read again at the next search
        for corpus in CORPORA:
            self._changes[corpus] += 1
        return deleted

    async def reembed(self, progress: Callable[[int, int], None] | None = None, *, batch: int = 64) -> int:
        """Embed every memory and turn that has no vector from this embedder (new turns, or all of them after a
        change of model); returns how many. ``progress`` gets (done, total)."""
        missing = [(corpus, record) for corpus in CORPORA for record in await self.store.unembedded(corpus, self.model)]
        for start in range(0, len(missing), batch):
            chunk = missing[start : start + batch]
            vectors = await self.embeddings.texts([record.text for _, record in chunk])
            for corpus in CORPORA:
                rows = [(record, v) for (c, record), v in zip(chunk, vectors, strict=True) if c == corpus]
                if not rows:
                    continue
                await self.store.put_vectors(corpus, self.model, [(record.id, v) for record, v in rows])
                self._changes[corpus] += 1
                if (index := self._indexes.get(corpus)) is not None:
                    index.add(
                        [record.id for record, _ in rows],
                        np.stack([v for _, v in rows]),
                        [record.said for record, _ in rows],
                        [record.happened for record, _ in rows],
                    )
            if progress is not None:
                progress(start + len(chunk), len(missing))
        return len(missing)

    @property
    def model(self) -> str:
        return self.embeddings.model_id

    async def search(
        self, query: str, *, limit: int = 10, transcript: bool = True, skip_turns: Collection[int] = ()
    ) -> list[Hit]:
        """The best memories (and, with ``transcript``, turns) for ``query``, best first; turns in ``skip_turns``
        (already in view) are not listed, so the memories made from them are."""
        corpora = CORPORA if transcript else CORPORA[:1]
        when = window(query, self.clock().astimezone().date())
        hits: list[Hit] = []
        if when is not None and any([(await self._index(corpus)).inside(when).any() for corpus in corpora]):
            hits = await self._search(when.rest(query), corpora, limit, when, skip_turns)
            if len(hits) >= limit:
                return hits
        found = {hit.key for hit in hits}
        covered = {turn_id for hit in hits for turn_id in hit.source_turn_ids}
        rest = [
            hit
            for hit in await self._search(query, corpora, limit, None, skip_turns)
            if hit.key not in found and not (hit.source_turn_ids and set(hit.source_turn_ids) <= covered)
        ]
        return (hits + rest)[:limit]

    async def _search(
        self, query: str, corpora: tuple[Corpus, ...], limit: int, when: Window | None, skip_turns: Collection[int]
    ) -> list[Hit]:
        weights = WEIGHTS | ({"recent": NOW_RECENT_WEIGHT} if about_now(query) else {})
        past_weight = 1.0 if about_before(query) else PAST_WEIGHT
        wanted = CANDIDATES if when is None else CANDIDATES * 10

        async def words_found() -> dict[Corpus, list[int]]:
            return {corpus: [i for i, _ in await self.store.search_text(corpus, query, limit=wanted)]
                    for corpus in corpora}  # fmt: skip

        async def indexes_read() -> dict[Corpus, VectorIndex]:
            return dict(zip(corpora, await asyncio.gather(*map(self._index, corpora)), strict=True))

        # The query's embedding (on the query thread), the reading of the vectors not held (in worker threads) and
        # the search for the words run at once: a reply waits for the slowest of them, not for their sum.
        vector, words, indexes = await asyncio.gather(self.embeddings.query(query), words_found(), indexes_read())
        insides = {corpus: None if when is None else index.inside(when) for corpus, index in indexes.items()}

        def by_meaning(vector: Vector) -> dict[Corpus, list[tuple[int, float]]]:
            return {corpus: index.nearest(vector, CANDIDATES, insides[corpus]) for corpus, index in indexes.items()}

        # a scan of a few thousand vectors takes microseconds; a large store's (2.6 ms at 100k) leaves the loop
        if sum(len(index) for index in indexes.values()) <= SCANNED_IN_PLACE:
            nearest = by_meaning(vector)
        else:
            nearest = await asyncio.to_thread(by_meaning, vector)
        ranks: dict[tuple[Corpus, int], dict[str, int]] = {}
        similarity: dict[tuple[Corpus, int], float] = {}
        for corpus, index in indexes.items():
            inside = insides[corpus]
            prefix = "" if corpus == "memories" else "turn "
            closest = [record_id for record_id, _ in nearest[corpus]]
            by_words = words[corpus]
            if inside is not None:
                allowed = {index.ids[row] for row in np.flatnonzero(inside)}
                by_words = [i for i in by_words if i in allowed][:CANDIDATES]
            for signal, ids in ((prefix + "meaning", closest), (prefix + "words", by_words)):
                for rank, record_id in enumerate(ids, 1):
                    ranks.setdefault((corpus, record_id), {})[signal] = rank
            similarity.update({(corpus, record_id): cosine for record_id, cosine in nearest[corpus]})
        found = await self._records(list(ranks))
        current_turns: set[int] = set()  # turns that a memory still true came from
        past_turns: set[int] = set()  # turns that only memories no longer true came from
        for key, record in list(found.items()):  # a memory also speaks for the words it was made from
            if isinstance(record, Memory) and record.kind != "episode" and "transcript" in corpora:
                (current_turns if record.current else past_turns).update(record.source_turn_ids)
                for turn_id in record.source_turn_ids:
                    via = ranks.setdefault(("transcript", turn_id), {})
                    for signal in ("meaning", "words"):
                        if signal in ranks[key]:
                            via[f"memory {signal}"] = min(
                                via.get(f"memory {signal}", ranks[key][signal]), ranks[key][signal]
                            )
        found.update(await self._records([key for key in ranks if key not in found]))
        for key, record in found.items():  # asked about a stretch of time, the diary of it is weighed like its turns
            if isinstance(record, Memory) and record.kind == "episode" and when is not None:
                ranks[key] = {f"episode {signal}" if signal in ("meaning", "words") else signal: rank
                              for signal, rank in ranks[key].items()}  # fmt: skip
        ranks = {key: signals for key, signals in ranks.items() if key in found}
        now = self.clock()
        for rank, key in enumerate(sorted(found, key=lambda k: -_salience(found[k], now)), 1):
            ranks[key]["recent"] = rank
        hits = []
        for key, record in found.items():
            score = sum(weights[signal] / (RRF_K + rank) for signal, rank in ranks[key].items())
            if isinstance(record, Memory):
                weight = 1.0 if record.current else past_weight
                hits.append(Hit(score * weight, ranks[key], similarity.get(key, 0.0), memory=record))
            else:
                weight = SPEAKER_WEIGHTS.get(record.speaker, 1.0)
                if record.id in past_turns - current_turns:
                    weight *= past_weight
                hits.append(Hit(score * weight, ranks[key], similarity.get(key, 0.0), turn=record))
        hits.sort(key=lambda hit: -hit.score)
        if past_weight < 1.0:
            hits = _newest_first(hits)
        return _without_repeats([hit for hit in hits if hit.turn is None or hit.turn.id not in skip_turns])[:limit]

    async def _records(self, keys: list[tuple[Corpus, int]]) -> dict[tuple[Corpus, int], Memory | Turn]:
        found: dict[tuple[Corpus, int], Memory | Turn] = {}
        memory_ids = [i for corpus, i in keys if corpus == "memories"]
        for memory in await self.store.memories_by_id(memory_ids) if memory_ids else []:
            found["memories", memory.id] = memory
        turn_ids = [i for corpus, i in keys if corpus == "transcript"]
        for turn in await self.store.turns_by_id(turn_ids) if turn_ids else []:
            found["transcript", turn.id] = turn
        return found

    def release(self) -> None:
        """Let go of the vectors held in memory (read again at the next search, if there is one)."""
        self.held.drop(self)
        self._indexes.clear()

    async def _index(self, corpus: Corpus) -> VectorIndex:
        index = self._indexes.get(corpus)
        if index is None:  # one load at a time, shared by every search that waits for it
            if (loading := self._loading.get(corpus)) is None:
                loading = self._loading[corpus] = asyncio.ensure_future(self._load(corpus))
                loading.add_done_callback(lambda _: self._loading.pop(corpus, None))
            index = await asyncio.shield(loading)
        self.held.used(self)
        return index

    async def _load(self, corpus: Corpus) -> VectorIndex:
        """The corpus's vectors, read and indexed in a worker thread; kept unless records changed meanwhile (an
        index read before a change would miss it: it is read again)."""
        while True:
            seen = self._changes[corpus]
            indexed = await self.store.vectors(corpus, self.model)
            index = await asyncio.to_thread(VectorIndex, indexed)
            if self._changes[corpus] == seen:
                self._indexes[corpus] = index
                return index


def _newest_first(hits: list[Hit]) -> list[Hit]:
    """What replaced a memory goes right above it, and above the turns it came from: "where do I live?" answers
    Berlin first, however much closer the words about Lisbon are."""
    ordered = list(hits)
    for stale in hits:
        memory = stale.memory
        if memory is None or memory.current or memory.predicate is None:
            continue
        key = (memory.subject, memory.predicate)
        first = min(
            (
                i
                for i, hit in enumerate(ordered)
                if hit is stale or set(hit.source_turn_ids) & set(memory.source_turn_ids)
            ),
        )
        newer = next(
            (i for i, hit in enumerate(ordered) if hit.memory is not None and hit.memory.current
             and (hit.memory.subject, hit.memory.predicate) == key),
            None,
        )  # fmt: skip
        if newer is not None and newer > first:
            ordered.insert(first, ordered.pop(newer))
    return ordered


def _without_repeats(hits: list[Hit]) -> list[Hit]:
    """A memory and the turn it came from say the same thing: it is listed once, at the better of their places,
    as the memory (its words are distilled, and may be the user's own correction), with that place's score;
    but as the turn when the turn has words of the question that the memory lost ("Got a dog rides with me.
    Rusty." kept as "Dale knows Rusty is a blue heeler", asked "What's my dog's name?")."""
    memory_of: dict[int, Hit] = {}
    for hit in hits:
        if hit.memory is not None and hit.memory.kind != "episode":
            for turn_id in hit.source_turn_ids:
                memory_of.setdefault(turn_id, hit)  # the best memory made from each turn
    covered: set[int] = set()
    listed: set[int] = set()  # memory ids
    kept: list[Hit] = []
    for hit in hits:
        shown = memory_of.get(hit.turn.id, hit) if hit.turn is not None else hit
        if hit.turn is not None and "turn words" in hit.ranks and "words" not in shown.ranks:
            shown = hit  # the turn has the words asked about, and the memory made from it lost them
        if (shown.memory is not None and shown.memory.id in listed) or (
            shown.source_turn_ids and set(shown.source_turn_ids) <= covered
        ):
            continue
        covered.update(shown.source_turn_ids)
        if shown.memory is not None:
            listed.add(shown.memory.id)
        kept.append(replace(shown, score=hit.score))
    return kept


def _salience(record: Memory | Turn, now: datetime) -> float:
    said, importance = (
        (record.created_at, record.importance) if isinstance(record, Memory) else (record.at, TURN_IMPORTANCE)
    )
    age_days = max(0.0, (now - said).total_seconds() / 86400)
    return float(importance * 0.5 ** (age_days / HALF_LIFE_DAYS))
