"""Hybrid recall over one user's memories and raw transcript: meaning, words, and how recent and important, fused
by rank.

For each corpus (the memories, and the turns as they were said) two rankings are made for a query: cosine
similarity of MiniLM vectors (numpy over a matrix loaded once per store; 5.5 ms at 100k records here, against
44 ms for sqlite-vec) and FTS5 BM25 over the words; a third ranks every candidate by recency x importance.
Weighted reciprocal rank fusion (weight / (60 + rank)) adds them up, so no signal's raw scale matters. Memories
that stopped being true stay findable ("where did I live before?") but rank a little lower than current ones; a
turn that a memory above it already came from is not listed again.

A question that names a stretch of time ("what did I say about my sister last month?") is searched within it:
what was said then, or what happened then. If nothing was, the whole store is searched instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time

import numpy as np

from os1.memory.dates import Window, window
from os1.memory.embed import Embedder
from os1.memory.store import Corpus, Indexed, Memory, Store, Turn, Vector

RRF_K = 60
CANDIDATES = 50  # taken from each of the meaning and word rankings of each corpus
HALF_LIFE_DAYS = 30.0
PAST_WEIGHT = 0.9  # a memory that is no longer true counts this much of its fused score
TURN_IMPORTANCE = 0.5  # a raw turn's importance, for the recency signal
# Meaning and words decide; recency x importance only breaks near-ties (every memory is a candidate in a small
# store, so at full weight it would rank a fresh, unrelated memory above the right one).
WEIGHTS = {"meaning": 1.0, "words": 1.0, "turn meaning": 1.0, "turn words": 1.0, "recent": 0.25}
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
    def source_turn_ids(self) -> tuple[int, ...]:
        if self.memory is not None:
            return self.memory.source_turn_ids
        return (self.turn.id,) if self.turn is not None else ()


class Recall:
    def __init__(self, store: Store, embedder: Embedder, *, clock: Callable[[], datetime] | None = None):
        self.store = store
        self.embedder = embedder
        self.clock = clock or (lambda: datetime.now(UTC))
        self._indexes: dict[Corpus, Indexed] = {}

    async def remember(self, memory: Memory) -> Memory:
        """Embed and store a memory; it is searchable at once."""
        (vector,) = await asyncio.to_thread(self.embedder.embed, [memory.text])
        stored = await self.store.add_memory(memory, (self.embedder.model_id, vector))
        if (index := self._indexes.get("memories")) is not None:
            said = stored.created_at.timestamp()
            happened = (stored.valid_from or stored.created_at).timestamp()
            self._indexes["memories"] = _appended(index, [stored.id], vector[None, :], [said], [happened])
        return stored

    async def edit(self, memory_id: int, text: str) -> None:
        """Replace a memory's words and its vector (the old words leave the file, as with forget)."""
        (vector,) = await asyncio.to_thread(self.embedder.embed, [text])
        await self.store.edit_memory(memory_id, text, (self.embedder.model_id, vector))
        if (index := self._indexes.get("memories")) is not None and memory_id in index.ids:
            index.matrix[index.ids.index(memory_id)] = vector

    async def forget(self, memory_id: int) -> bool:
        """Delete a memory and the words of the turns it came from (``Store.forget_memory``)."""
        deleted = await self.store.forget_memory(memory_id)
        self._indexes.clear()  # both corpora changed; read again at the next search
        return deleted

    async def reembed(self, progress: Callable[[int, int], None] | None = None, *, batch: int = 64) -> int:
        """Embed every memory and turn that has no vector from this embedder (new turns, or all of them after a
        change of model); returns how many. ``progress`` gets (done, total)."""
        missing = [(corpus, record) for corpus in CORPORA for record in await self.store.unembedded(corpus, self.model)]
        for start in range(0, len(missing), batch):
            chunk = missing[start : start + batch]
            vectors = await asyncio.to_thread(self.embedder.embed, [record.text for _, record in chunk])
            for corpus in CORPORA:
                rows = [(record, v) for (c, record), v in zip(chunk, vectors, strict=True) if c == corpus]
                if not rows:
                    continue
                await self.store.put_vectors(corpus, self.model, [(record.id, v) for record, v in rows])
                if (index := self._indexes.get(corpus)) is not None:
                    self._indexes[corpus] = _appended(
                        index,
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
        return self.embedder.model_id

    async def search(self, query: str, *, limit: int = 10, transcript: bool = True) -> list[Hit]:
        """The best memories (and, with ``transcript``, turns) for ``query``, best first."""
        corpora = CORPORA if transcript else CORPORA[:1]
        when = window(query, self.clock().astimezone().date())
        said_then = when is not None and any([_inside(await self._index(c), when).any() for c in corpora])
        if said_then and when is not None and (hits := await self._search(when.rest(query), corpora, limit, when)):
            return hits
        return await self._search(query, corpora, limit, None)

    async def _search(self, query: str, corpora: tuple[Corpus, ...], limit: int, when: Window | None) -> list[Hit]:
        embedding = asyncio.ensure_future(asyncio.to_thread(self.embedder.embed, [query]))
        wanted = CANDIDATES if when is None else CANDIDATES * 10
        words = {
            corpus: [i for i, _ in await self.store.search_text(corpus, query, limit=wanted)] for corpus in corpora
        }
        (vector,) = await embedding  # the query was embedded on another core while the words were looked up
        ranks: dict[tuple[Corpus, int], dict[str, int]] = {}
        similarity: dict[tuple[Corpus, int], float] = {}
        for corpus in corpora:
            index = await self._index(corpus)
            inside = None if when is None else _inside(index, when)
            prefix = "" if corpus == "memories" else "turn "
            by_meaning, cosines = _nearest(index, vector, inside)
            by_words = words[corpus]
            if inside is not None:
                allowed = {index.ids[row] for row in np.flatnonzero(inside)}
                by_words = [i for i in by_words if i in allowed][:CANDIDATES]
            for signal, ids in ((prefix + "meaning", by_meaning), (prefix + "words", by_words)):
                for rank, record_id in enumerate(ids, 1):
                    ranks.setdefault((corpus, record_id), {})[signal] = rank
            similarity.update({(corpus, i): c for i, c in cosines.items()})
        found = await self._records(list(ranks))
        now = self.clock()
        for rank, key in enumerate(sorted(found, key=lambda k: -_salience(found[k], now)), 1):
            ranks[key]["recent"] = rank
        hits = []
        for key, record in found.items():
            score = sum(WEIGHTS[signal] / (RRF_K + rank) for signal, rank in ranks[key].items())
            if isinstance(record, Memory):
                weight = 1.0 if record.current else PAST_WEIGHT
                hits.append(Hit(score * weight, ranks[key], similarity.get(key, 0.0), memory=record))
            else:
                hits.append(Hit(score, ranks[key], similarity.get(key, 0.0), turn=record))
        hits.sort(key=lambda hit: -hit.score)
        return _without_repeats(hits)[:limit]

    async def _records(self, keys: list[tuple[Corpus, int]]) -> dict[tuple[Corpus, int], Memory | Turn]:
        found: dict[tuple[Corpus, int], Memory | Turn] = {}
        for key in keys:
            if key[0] == "memories" and (memory := await self.store.memory(key[1])) is not None:
                found[key] = memory
        turn_ids = [i for corpus, i in keys if corpus == "transcript"]
        for turn in await self.store.turns_by_id(turn_ids) if turn_ids else []:
            found["transcript", turn.id] = turn
        return found

    async def _index(self, corpus: Corpus) -> Indexed:
        if corpus not in self._indexes:
            self._indexes[corpus] = await self.store.vectors(corpus, self.model)
        return self._indexes[corpus]


def _inside(index: Indexed, when: Window) -> np.ndarray:
    """Which rows of the index were said, or tell of something that happened, within ``when``."""
    start, end = (datetime.combine(day, time()).astimezone().timestamp() for day in (when.start, when.end))
    said = (index.said >= start) & (index.said < end)
    happened = (index.happened >= start) & (index.happened < end)
    return np.asarray(said | happened)


def _nearest(index: Indexed, vector: Vector, inside: np.ndarray | None) -> tuple[list[int], dict[int, float]]:
    if not index.ids:
        return [], {}
    similarity = index.matrix @ vector
    if inside is not None:
        similarity = np.where(inside, similarity, -np.inf)
    count = min(CANDIDATES, len(index.ids) if inside is None else int(inside.sum()))
    if count == 0:
        return [], {}
    best = np.argpartition(-similarity, count - 1)[:count]
    ordered = [int(i) for i in best[np.argsort(-similarity[best])]]
    return [index.ids[i] for i in ordered], {index.ids[i]: float(similarity[i]) for i in ordered}


def _appended(index: Indexed, ids: list[int], rows: Vector, said: list[float], happened: list[float]) -> Indexed:
    matrix = rows if not index.ids else np.vstack([index.matrix, rows])
    return Indexed([*index.ids, *ids], matrix, np.append(index.said, said), np.append(index.happened, happened))


def _without_repeats(hits: list[Hit]) -> list[Hit]:
    """Drop a turn when a memory ranked above it came from it: the memory already says it."""
    covered: set[int] = set()
    kept = []
    for hit in hits:
        if hit.turn is not None and hit.turn.id in covered:
            continue
        covered.update(hit.source_turn_ids)
        kept.append(hit)
    return kept


def _salience(record: Memory | Turn, now: datetime) -> float:
    said, importance = (
        (record.created_at, record.importance) if isinstance(record, Memory) else (record.at, TURN_IMPORTANCE)
    )
    age_days = max(0.0, (now - said).total_seconds() / 86400)
    return float(importance * 0.5 ** (age_days / HALF_LIFE_DAYS))
