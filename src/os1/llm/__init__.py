"""The language-model protocol, and how a backend is found.

A backend is one class with ``stream(messages, ...)`` yielding text deltas and ``aclose()``. Backends register
under the ``os1.llm`` entry-point group, the built-in ones exactly as a third-party package would::

    [project.entry-points."os1.llm"]
    llamacpp = "os1.llm.llamacpp:LlamaCppLLM"

and are built with ``cls.from_settings(settings)``. A backend whose ``continues`` attribute is true goes on from an
assistant message given as the last one (llama.cpp's prefill) instead of answering after it.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from importlib.metadata import entry_points
from typing import Any, Protocol, TypedDict

from os1.config import Settings
from os1.errors import ConfigError, LLMBadResponse


class Message(TypedDict):
    role: str  # "system", "user" or "assistant"
    content: str


class LLM(Protocol):
    """A chat model that streams its reply and can be cancelled by closing the stream."""

    model_id: str

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 512,
        schema: dict[str, Any] | None = None,
        temperature: float = 0.7,
        avoid: Mapping[str, float] | None = None,
    ) -> AsyncIterator[str]:
        """Yield the reply as text deltas. With ``schema``, the reply is JSON that the schema accepts.
        ``avoid`` makes words less likely by a penalty (best effort: a backend that cannot, ignores it).

        Closing the iterator (or cancelling the task that reads it) stops generation promptly."""
        ...

    async def read(self, messages: Sequence[Message], *, keep: bool = False) -> None:
        """Read ``messages`` into the model's cache without answering, so a reply that begins with them only
        computes what follows (a backend without such a cache of its own returns at once). With ``keep``, a
        backend that can keeps what it read on disk and loads it from there the next time (the embedded one)."""
        ...

    def warm_up(self) -> None:
        """Start getting ready (loading weights) in the background; requests wait for it. Returns at once."""
        ...

    async def aclose(self) -> None: ...


async def complete(llm: LLM, messages: Sequence[Message], **options: Any) -> str:
    """The whole reply as one string."""
    return "".join([delta async for delta in llm.stream(messages, **options)])


async def complete_json(llm: LLM, messages: Sequence[Message], schema: dict[str, Any], **options: Any) -> Any:
    """A reply constrained by ``schema``, parsed."""
    options.setdefault("temperature", 0.2)
    text = await complete(llm, messages, schema=schema, **options)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LLMBadResponse(f"{llm.model_id} did not return the JSON asked for ({exc}): {text[:200]!r}") from exc


class Characters:
    """Joins deltas into whole characters. A backend may cut a character outside the basic plane between two
    deltas as two halves of a UTF-16 surrogate pair (a JSON ``\\ud83e`` in one chunk, ``\\udd2b`` in the next),
    and no such half can be stored or printed; a half with no partner becomes U+FFFD."""

    def __init__(self) -> None:
        self._high = ""  # a first half waiting for its second

    def add(self, delta: str) -> str:
        text, self._high = self._high + delta, ""
        if text and "\ud800" <= text[-1] <= "\udbff":
            text, self._high = text[:-1], text[-1]
        return _paired(text)

    def end(self) -> str:
        text, self._high = self._high, ""
        return _paired(text)


_HALF = re.compile("[\ud800-\udfff]")


def _paired(text: str) -> str:
    if not _HALF.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def backends() -> dict[str, Any]:
    """Every registered backend class by name."""
    return {ep.name: ep for ep in entry_points(group="os1.llm")}


def open_llm(settings: Settings) -> LLM:
    """The backend the settings select, ready to stream (models load on first use)."""
    found = backends()
    if settings.backend not in found:
        raise ConfigError(
            f"no LLM backend named {settings.backend!r} is installed (found: {', '.join(sorted(found))}); "
            "reinstall os1: pip install -e ."
        )
    llm: LLM = found[settings.backend].load().from_settings(settings)
    return llm
