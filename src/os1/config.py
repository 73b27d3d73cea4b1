"""Settings: environment variables ``OS1_*`` over one TOML file, ``$OS1_HOME/config.toml``.

| setting      | env                | meaning                                                             |
|--------------|--------------------|---------------------------------------------------------------------|
| home         | OS1_HOME           | where os1 keeps models, databases and logs                          |
| model        | OS1_MODEL          | embedded model: a catalogue name (``os1 models list``) or a .gguf path |
| llm_url      | OS1_LLM_URL        | base URL of an OpenAI-compatible server; when set, it is used       |
| llm_model    | OS1_LLM_MODEL      | model name to ask that server for                                   |
| llm_api_key  | OS1_LLM_API_KEY    | bearer key for that server, if it needs one                         |
| threads      | OS1_THREADS        | CPU threads for the embedded model                                  |
| context      | OS1_CONTEXT        | context window of the embedded model, in tokens                     |
| database_url | OS1_DATABASE_URL   | ``os1 serve``: one PostgreSQL database (with pgvector) for every user |
| redis_url    | OS1_REDIS_URL      | ``os1 serve --workers N``: what the workers share goes through Redis  |
| hub_url      | OS1_HUB_URL        | the model hub ``os1 models install`` downloads GGUF files from      |
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from os1.errors import ConfigError

DEFAULT_MODEL = "qwen2.5-1.5b"
DEFAULT_HUB_URL = "https://huggingface.co"
_KEYS = (
    "model", "llm_url", "llm_model", "llm_api_key", "threads", "context", "database_url", "redis_url", "hub_url",
)  # fmt: skip


@dataclass(frozen=True)
class Settings:
    home: Path
    model: str = DEFAULT_MODEL
    llm_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    threads: int = 2
    context: int = 8192
    database_url: str | None = None  # the server's users in PostgreSQL instead of a SQLite file each
    redis_url: str | None = None  # several server workers share their state through Redis
    hub_url: str = DEFAULT_HUB_URL  # where `os1 models install` finds models that are not packaged

    @property
    def backend(self) -> str:
        """Name of the LLM backend these settings select."""
        return "openai" if self.llm_url else "llamacpp"

    @property
    def config_file(self) -> Path:
        return self.home / "config.toml"

    @property
    def kept(self) -> Path:
        """Where the model keeps the stable beginning of the terminal user's prompt (derived from what they told
        it: ``os1 reset`` deletes it with the rest)."""
        return self.home / "kept"

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        home = Path(env.get("OS1_HOME") or platformdirs.user_data_dir("os1")).expanduser()
        values: dict[str, object] = _read_toml(home / "config.toml")
        for key in _KEYS:
            if env.get(f"OS1_{key.upper()}"):
                values[key] = env[f"OS1_{key.upper()}"]
        return cls(
            home=home,
            model=str(values.get("model", DEFAULT_MODEL)),
            llm_url=_optional(values.get("llm_url")),
            llm_model=_optional(values.get("llm_model")),
            llm_api_key=_optional(values.get("llm_api_key")),
            threads=_positive_int("threads", values.get("threads", min(4, os.cpu_count() or 2))),
            context=_positive_int("context", values.get("context", 8192)),
            database_url=_optional(values.get("database_url")),
            redis_url=_optional(values.get("redis_url")),
            hub_url=_url("hub_url", values.get("hub_url", DEFAULT_HUB_URL)),
        )


def _read_toml(path: Path) -> dict[str, object]:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}): fix or remove it") from exc
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown setting {unknown[0]!r}; known settings are {', '.join(_KEYS)}")
    return data


def _optional(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def _url(name: str, value: object) -> str:
    url = str(value).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must be a URL starting with https:// or http:// (not {value!r})")
    return url


def _positive_int(name: str, value: object) -> int:
    try:
        number = int(str(value))
    except ValueError:
        number = 0
    if number < 1:
        raise ConfigError(f"{name} must be a whole number of at least 1 (not {value!r})")
    return number
