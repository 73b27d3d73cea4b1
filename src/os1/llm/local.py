"""OpenAI-compatible LLM servers already running on this machine, which os1 can use instead of its embedded model.

Two are looked for on their usual ports: Ollama (``GET /api/tags`` on 11434, or where ``OLLAMA_HOST`` says, as
the ``ollama`` command itself finds it) and llama.cpp's server (``GET /v1/models`` on 8080). The probes run at once
under one short timeout, so looking costs at most that long; an answer that is not the server's own shape is not
counted as one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:  # imported when the probes run, so that loading this module costs nothing
    import aiohttp

OLLAMA_PORT = 11434
LLAMACPP_URL = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class Probe:
    kind: str  # what is looked for, as a person would name it
    url: str  # the server's address, without /v1
    path: str  # what to ask it


@dataclass(frozen=True)
class Found:
    kind: str
    url: str  # base URL of its OpenAI-compatible API, for OS1_LLM_URL
    models: tuple[str, ...]


def probes(env: Mapping[str, str]) -> tuple[Probe, ...]:
    """Where to look: Ollama where ``OLLAMA_HOST`` in ``env`` says (or its default), llama.cpp's server on 8080."""
    ollama = Probe("Ollama", ollama_url(env.get("OLLAMA_HOST")), "/api/tags")
    return ollama, Probe("llama.cpp server", LLAMACPP_URL, "/v1/models")


def ollama_url(host: str | None) -> str:
    """Ollama's address from an ``OLLAMA_HOST`` value (``127.0.0.1:11434``, ``http://host``, ``0.0.0.0``...)."""
    text = (host or "").strip() or f"127.0.0.1:{OLLAMA_PORT}"
    parts = urlsplit(text if "://" in text else f"http://{text}")
    name = parts.hostname or "127.0.0.1"
    name = "127.0.0.1" if name in ("0.0.0.0", "::") else name  # a server listening everywhere answers here
    try:
        port = parts.port or OLLAMA_PORT
    except ValueError:
        port = OLLAMA_PORT
    return f"{parts.scheme}://{f'[{name}]' if ':' in name else name}:{port}"


async def find(where: Sequence[Probe], within: float = 0.4) -> list[Found]:
    """The servers that answer, in the order asked; none is waited for longer than ``within`` seconds."""
    import aiohttp

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=within)) as session:
        answers = await asyncio.gather(*(_ask(session, probe) for probe in where))
    return [found for found in answers if found is not None]


async def _ask(session: aiohttp.ClientSession, probe: Probe) -> Found | None:
    import aiohttp

    try:
        async with session.get(probe.url + probe.path) as response:
            if response.status != 200:
                return None
            body = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None
    models = _model_names(body)
    return None if models is None else Found(probe.kind, f"{probe.url}/v1", models)


def _model_names(body: Any) -> tuple[str, ...] | None:
    """The model names in Ollama's ``{"models": [{"name": ...}]}`` or an OpenAI ``{"data": [{"id": ...}]}``
    list; None for anything else."""
    if not isinstance(body, dict):
        return None
    for key, field in (("models", "name"), ("data", "id")):
        items = body.get(key)
        if isinstance(items, list) and all(isinstance(item, dict) for item in items):
            return tuple(str(item[field]) for item in items if item.get(field))
    return None
