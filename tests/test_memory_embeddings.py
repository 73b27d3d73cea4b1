"""Recall's embedding lanes: the query thread, the background thread at a lower priority, the kept queries."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np

from os1.memory.embed import BACKGROUND_NICENESS, Embeddings, MiniLM
from os1.memory.store import Vector


class Watched:
    """MiniLM, and for each call: the texts and the calling thread's name and niceness."""

    def __init__(self, embedder: MiniLM):
        self.inner, self.model_id, self.dim = embedder, embedder.model_id, embedder.dim
        self.calls: list[tuple[list[str], str, int]] = []

    def embed(self, texts: Sequence[str]) -> Vector:
        niceness = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        self.calls.append((list(texts), threading.current_thread().name, niceness))
        return self.inner.embed(texts)


async def test_a_query_runs_on_its_own_thread_and_the_rest_at_a_lower_priority(embedder: MiniLM) -> None:
    watched = Watched(embedder)
    lanes = Embeddings.of(watched)
    own = os.getpriority(os.PRIO_PROCESS, 0)

    norm = float(np.linalg.norm(await lanes.query("where do I live?")))
    await lanes.texts(["I moved to Lisbon in May."])

    assert abs(norm - 1.0) < 1e-5
    (_, query_thread, query_niceness), (_, thread, niceness) = watched.calls
    assert query_thread.startswith("os1-query-embedding") and query_niceness == own
    assert thread.startswith("os1-embedding") and niceness == min(19, own + BACKGROUND_NICENESS)


async def test_a_line_embedded_as_a_query_is_not_embedded_again(embedder: MiniLM) -> None:
    watched = Watched(embedder)
    lanes = Embeddings.of(watched)
    await lanes.query("my sister's name is Ana")

    vectors = await lanes.texts(["That's a lovely name.", "my sister's name is Ana"])

    assert [texts for texts, _, _ in watched.calls] == [["my sister's name is Ana"], ["That's a lovely name."]]
    assert np.allclose(vectors, embedder.embed(["That's a lovely name.", "my sister's name is Ana"]), atol=1e-5)


def test_one_embedder_has_one_set_of_lanes(embedder: MiniLM) -> None:
    assert Embeddings.of(embedder) is Embeddings.of(embedder)
    assert Embeddings.of(Watched(embedder)) is not Embeddings.of(embedder)
