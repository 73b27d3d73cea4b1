from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from os1.config import Settings
from os1.llm import models
from os1.memory.embed import ASSETS, MiniLM
from os1.memory.sqlite import SQLiteStore
from os1.memory.store import Persona, Profile


@pytest.fixture(scope="session")
def small_model_path(request: pytest.FixtureRequest) -> Path:
    """SmolLM2-135M, installed once per checkout through os1's own installer (download, assemble, sha256)."""
    cache = Path(request.config.cache.mkdir("os1-models"))
    return models.install(Settings(home=cache), "smollm2-135m")


@pytest.fixture(scope="session")
def model_cache(request: pytest.FixtureRequest) -> Settings:
    """Settings whose home holds the models tests use, installed once per checkout through os1's installer."""
    settings = Settings(home=Path(request.config.cache.mkdir("os1-models")))
    for name in ASSETS:
        models.install(settings, name)
    return settings


@pytest.fixture
def home(tmp_path: Path, model_cache: Settings) -> Path:
    """A fresh os1 home, with the memory model already installed (linked from the test cache)."""
    home = tmp_path / "os1-home"
    (home / "models").mkdir(parents=True)
    for name in ASSETS:
        installed = models.installed_path(model_cache, name)
        (home / "models" / installed.name).symlink_to(installed)
    return home


@pytest.fixture
def persona() -> Persona:
    return Persona(
        name="Samantha",
        why="It sounds like someone who listens, and you said your mother never does.",
        traits=("warm", "curious", "witty"),
        voice="feminine",
        created_at=datetime(2026, 11, 20, 20, 0, tzinfo=UTC),
        names_considered=727_556,
    )


@pytest.fixture
def profile() -> Profile:
    return Profile(
        name="Theo",
        answers={"name": "Theo", "social": "social, but people tire me", "mother": "complicated", "voice": "a woman"},
        created_at=datetime(2026, 11, 20, 20, 0, tzinfo=UTC),
    )


@pytest.fixture
def set_up_home(home: Path, persona: Persona, profile: Profile) -> Path:
    """An os1 home whose setup interview is done: a companion, a profile, no conversation yet."""
    store = SQLiteStore.open(home)
    asyncio.run(store.save_persona(persona))
    asyncio.run(store.save_profile(profile))
    store.close()
    return home


@pytest.fixture(scope="session")
def embedder(model_cache: Settings) -> MiniLM:
    """The real MiniLM int8 embedding model."""
    return MiniLM.from_settings(model_cache)
