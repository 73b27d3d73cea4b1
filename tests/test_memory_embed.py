from pathlib import Path

import numpy as np
import pytest

from os1.config import Settings
from os1.errors import ModelError
from os1.memory.embed import MiniLM


def test_vectors_are_unit_length_and_batch_equals_single(embedder: MiniLM) -> None:
    texts = ["I moved to Berlin last spring.", "My sister Anna is a nurse.", ""]
    batch = embedder.embed(texts)
    assert batch.shape == (3, 384) and batch.dtype == np.float32
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-4)
    for i, text in enumerate(texts):
        assert np.allclose(embedder.embed([text])[0], batch[i], atol=1e-4)  # padding does not change a vector


def test_meaning_decides_nearness(embedder: MiniLM) -> None:
    query, near, far = embedder.embed(
        ["Where do I live now?", "I moved to Berlin and rent a flat there.", "My favourite food is pancakes."]
    )
    assert float(query @ near) > float(query @ far) + 0.1
    sister, nurse, weather = embedder.embed(
        ["What does my sister do for work?", "Anna, my sister, works night shifts at the hospital.", "It rained."]
    )
    assert float(sister @ nurse) > float(sister @ weather) + 0.1


def test_missing_model_says_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="os1 models install minilm-l6-int8 minilm-l6-tokenizer"):
        MiniLM.from_settings(Settings(home=tmp_path))


def test_empty_input_gives_no_rows(embedder: MiniLM) -> None:
    assert embedder.embed([]).shape == (0, 384)
