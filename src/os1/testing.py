"""Honest fakes shipped with the package, for tests of code that sits above a real backend.

``ScriptedLLM`` plays back replies queued with ``enqueue`` and records every request, like simonw/llm's
MockModel. It streams word by word and yields to the event loop between words, so cancellation behaves as
it does with a real model. It is not a language model: tests that need real generation use the embedded
runtime with a small real model.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from os1.errors import LLMUnavailable
from os1.llm import Message

Reply = str | Callable[[Sequence[Message], dict[str, Any] | None], str]


@dataclass(frozen=True)
class Request:
    messages: list[Message]
    schema: dict[str, Any] | None
    max_tokens: int


class ScriptedLLM:
    model_id = "scripted"

    def __init__(self, *replies: Reply, delay: float = 0.0):
        self.replies: deque[Reply] = deque(replies)
        self.requests: list[Request] = []
        self.read_ahead: list[list[Message]] = []  # the prompts it was asked to read without answering
        self.delay = delay

    def enqueue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    async def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 512,
        schema: dict[str, Any] | None = None,
        temperature: float = 0.7,
        avoid: Mapping[str, float] | None = None,
    ) -> AsyncIterator[str]:
        self.requests.append(Request(list(messages), schema, max_tokens))
        if not self.replies:
            raise LLMUnavailable("ScriptedLLM has no reply queued: call enqueue() first")
        reply = self.replies.popleft()
        text = reply(messages, schema) if callable(reply) else reply
        for word in re.findall(r"\S+\s*|\s+", text):
            await asyncio.sleep(self.delay)
            yield word

    async def read(self, messages: Sequence[Message]) -> None:
        self.read_ahead.append(list(messages))

    def warm_up(self) -> None:
        pass  # nothing to load

    async def aclose(self) -> None:
        self.replies.clear()
