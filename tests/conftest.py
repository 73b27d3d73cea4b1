from __future__ import annotations

from pathlib import Path

import pytest

from os1.config import Settings
from os1.llm import models


@pytest.fixture(scope="session")
def small_model_path(request: pytest.FixtureRequest) -> Path:
    """SmolLM2-135M, installed once per checkout through os1's own installer (download, assemble, sha256)."""
    cache = Path(request.config.cache.mkdir("os1-models"))
    return models.install(Settings(home=cache), "smollm2-135m")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "os1-home"
