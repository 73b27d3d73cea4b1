"""Hybrid recall over one user's memories: meaning, words, and how recent and important, fused by rank.

Three rankings of the memories are made for a query: cosine similarity of MiniLM vectors (numpy over a matrix
loaded once per store; 5.5 ms at 100k memories here, against 44 ms for sqlite-vec), FTS5 BM25 over the words,
and recency x importance among the candidates the first two found. Weighted reciprocal rank fusion
(weight / (60 + rank)) adds them up, so no signal's raw scale matters. Memories that stopped being true stay
findable ("where did I live before?") but rank a little lower than current ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from os1.memory.embed import Embedder
from os1.memory.store import Memory, Store, Vector

RRF_K = 60
CANDIDATES = 50  # taken from each of the meaning and word rankings
HALF_LIFE_DAYS = 30.0
PAST_WEIGHT = 0.9  # a memory that is no longer true counts this much of its fused score
# Meaning and words decide; recency x importance only breaks near-ties (every memory is a candidate in a small
# store, so at full weight it would rank a fresh, unrelated memory above the right one).
WEIGHTS = {"meaning": 1.0, "words": 1.0, "recent": 0.25}


@dataclass(frozen=True)
class Hit:
    memory: Memory
    score: float
    ranks: dict[str, int]  # the memory's rank (1 = best) in each signal that found it
    similarity: float  # cosine between the query and the memory (0 when meaning did not find it)


class Recall:
    def __init__(self, store: Store, embedder: Embedder, *, clock: Callable[[], datetime] | None = None):
        self.store = store
        self.embedder = embedder
        self.clock = clock or (lambda: datetime.now(UTC))
        self._ids: list[int] | None = None
        self._matrix: Vector = np.zeros((0, embedder.dim), dtype=np.float32)

    async def remember(self, memory: Memory) -> Memory:
        """Embed and store a memory; it is searchable at once."""
        (vector,) = await asyncio.to_thread(self.embedder.embed, [memory.text])
        stored = await self.store.add_memory(memory, (self.embedder.model_id, vector))
        if self._ids is not None:
            self._ids.append(stored.id)
            self._matrix = np.vstack([self._matrix, vector[None, :]])
        return stored

    async def edit(self, memory_id: int, text: str) -> None:
        """Replace a memory's words and its vector (the old words leave the file, as with forget)."""
        (vector,) = await asyncio.to_thread(self.embedder.embed, [text])
        await self.store.edit_memory(memory_id, text, (self.embedder.model_id, vector))
        if self._ids is not None and memory_id in self._ids:
            self._matrix[self._ids.index(memory_id)] = vector

    async def reembed(self, progress: Callable[[int, int], None] | None = None, *, batch: int = 64) -> int:
        """Embed every memory that has no vector from this embedder (after a model change); returns how many.
        ``progress`` gets (done, total)."""
        missing = await self.store.memories_without_vector(self.embedder.model_id)
        for start in range(0, len(missing), batch):
            chunk = missing[start : start + batch]
            vectors = await asyncio.to_thread(self.embedder.embed, [m.text for m in chunk])
            await self.store.put_vectors(
                self.embedder.model_id, [(m.id, v) for m, v in zip(chunk, vectors, strict=True)]
            )
            if progress is not None:
                progress(start + len(chunk), len(missing))
        self._ids = None  # reload the matrix on the next search
        return len(missing)

    async def forget(self, memory_id: int) -> bool:
        deleted = await self.store.forget_memory(memory_id)
        if self._ids is not None and memory_id in self._ids:
            row = self._ids.index(memory_id)
            del self._ids[row]
            self._matrix = np.delete(self._matrix, row, axis=0)
        return deleted

    async def search(self, query: str, *, limit: int = 10) -> list[Hit]:
        (vector,) = await asyncio.to_thread(self.embedder.embed, [query])
        by_meaning, similarity = await self._nearest(vector)
        by_words = [memory_id for memory_id, _ in await self.store.search_memory_text(query, limit=CANDIDATES)]
        ranks: dict[int, dict[str, int]] = {}
        for signal, ids in (("meaning", by_meaning), ("words", by_words)):
            for rank, memory_id in enumerate(ids, 1):
                ranks.setdefault(memory_id, {})[signal] = rank
        found = [m for m in [await self.store.memory(i) for i in ranks] if m is not None]
        now = self.clock()
        for rank, memory in enumerate(sorted(found, key=lambda m: -self._salience(m, now)), 1):
            ranks[memory.id]["recent"] = rank
        hits = []
        for memory in found:
            score = sum(WEIGHTS[signal] / (RRF_K + rank) for signal, rank in ranks[memory.id].items())
            weight = 1.0 if memory.current else PAST_WEIGHT
            hits.append(Hit(memory, score * weight, ranks[memory.id], similarity.get(memory.id, 0.0)))
        hits.sort(key=lambda hit: (-hit.score, -hit.memory.id))
        return hits[:limit]

    async def _nearest(self, vector: Vector) -> tuple[list[int], dict[int, float]]:
        if self._ids is None:
            self._ids, matrix = await self.store.memory_vectors(self.embedder.model_id)
            self._matrix = matrix if len(self._ids) else self._matrix
        if not self._ids:
            return [], {}
        similarity = self._matrix @ vector
        count = min(CANDIDATES, len(self._ids))
        best = np.argpartition(-similarity, count - 1)[:count]
        ordered = [int(i) for i in best[np.argsort(-similarity[best])]]
        return [self._ids[i] for i in ordered], {self._ids[i]: float(similarity[i]) for i in ordered}

    @staticmethod
    def _salience(memory: Memory, now: datetime) -> float:
        age_days = max(0.0, (now - memory.created_at).total_seconds() / 86400)
        return float(memory.importance * 0.5 ** (age_days / HALF_LIFE_DAYS))
