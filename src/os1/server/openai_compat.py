"""``/v1/chat/completions`` and ``/v1/models``: the user's companion behind the API that OpenAI's clients speak,
so Open WebUI, SillyTavern or the ``openai`` package can talk with it, signed in with the user's API key.

The companion keeps its own transcript and memory, so of the messages a client sends (the whole chat, each
time) only the last user message is new: that is what it answers, as itself. A client's system prompt and
sampling settings are not used: the persona is the companion's own. Streaming is server-sent events, chunk by
chunk as the model writes, ending with ``data: [DONE]``.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from os1.errors import InputError
from os1.server.auth import Found, Signed
from os1.server.ws import MESSAGES

MODEL = "os1"

router = APIRouter(prefix="/v1")


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str = Field(max_length=32)
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, top_p, ...: accepted, not used
    model: str = Field(default=MODEL, max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=10_000)
    stream: bool = False


@router.get("/models")
async def models(_: Signed) -> dict[str, Any]:
    return {"object": "list", "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "os1"}]}


@router.post("/chat/completions", response_model=None)
async def chat_completions(body: ChatRequest, who: Signed, found: Found) -> dict[str, Any] | StreamingResponse:
    text = _newest_words(body.messages)
    found.limits.take(MESSAGES, who.user.id)
    space = await found.spaces.open(who.user.id)
    if space.companion is None:
        raise InputError("your companion is not set up yet: open the web app and answer its questions first")
    reply_id, created = f"chatcmpl-{secrets.token_hex(12)}", int(time.time())
    deltas = found.spaces.reply(space, text)
    found.metrics.messages.labels("openai").inc()
    if body.stream:
        return StreamingResponse(_events(deltas, reply_id, created), media_type="text/event-stream")
    async with aclosing(deltas) as reply:  # type: ignore[type-var]
        content = "".join([delta async for delta in reply])
    return {
        "id": reply_id, "object": "chat.completion", "created": created, "model": MODEL,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
    }  # fmt: skip


def _newest_words(messages: list[ChatMessage]) -> str:
    last = messages[-1]
    if last.role != "user":
        raise InputError(f'the last message must be the user\'s (role "user"), not "{last.role}"')
    if isinstance(last.content, str):
        return last.content
    parts = [part.get("text") for part in last.content or [] if part.get("type") == "text"]
    text = "\n".join(part for part in parts if isinstance(part, str))
    if not text.strip():
        raise InputError("the last message has no text (only text is understood)")
    return text


async def _events(deltas: AsyncIterator[str], reply_id: str, created: int) -> AsyncIterator[str]:
    def chunk(delta: dict[str, str], finish: Literal["stop"] | None = None) -> str:
        body = {
            "id": reply_id, "object": "chat.completion.chunk", "created": created, "model": MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }  # fmt: skip
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    async with aclosing(deltas) as reply:  # type: ignore[type-var]
        async for delta in reply:
            yield chunk({"content": delta})
    yield chunk({}, "stop")
    yield "data: [DONE]\n\n"
