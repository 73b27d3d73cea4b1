"""Honest fakes shipped with the package, for tests of code that sits above a real backend.

``ScriptedLLM`` plays back replies queued with ``enqueue`` and records every request, like simonw/llm's
MockModel. It streams word by word and yields to the event loop between words, so cancellation behaves as
it does with a real model. It is not a language model: tests that need real generation use the embedded
runtime with a small real model.

``Upstream`` is a benchmark fixture: an OpenAI-compatible server that streams a fixed reply at a realistic pace
(``python -m os1.testing`` runs it), so bench/load.py can measure what an os1 server adds to an upstream's own
time to first token. It generates nothing.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
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
    avoid: Mapping[str, float] | None = None


class ScriptedLLM:
    """Says the replies it is given, in order; a reply to messages that end with an assistant message is what goes
    on from it (as llama.cpp continues one), unless it ``continues`` not (as a server that cannot)."""

    model_id = "scripted"

    def __init__(self, *replies: Reply, delay: float = 0.0, continues: bool = True):
        self.continues = continues
        self.replies: deque[Reply] = deque(replies)
        self.requests: list[Request] = []
        self.read_ahead: list[list[Message]] = []  # the prompts it was asked to read without answering
        self.kept: list[list[Message]] = []  # those of them it was asked to keep
        self.delay = delay

    def enqueue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    @property
    def prompts(self) -> list[list[Message]]:
        """The messages of each request for words (memory's JSON requests, which may come between, left out)."""
        return [request.messages for request in self.requests if request.schema is None]

    async def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 512,
        schema: dict[str, Any] | None = None,
        temperature: float = 0.7,
        avoid: Mapping[str, float] | None = None,
    ) -> AsyncIterator[str]:
        self.requests.append(Request(list(messages), schema, max_tokens, avoid))
        if not self.replies:
            raise LLMUnavailable("ScriptedLLM has no reply queued: call enqueue() first")
        reply = self.replies.popleft()
        text = reply(messages, schema) if callable(reply) else reply
        for word in re.findall(r"\S+\s*|\s+", text):
            await asyncio.sleep(self.delay)
            yield word

    async def read(self, messages: Sequence[Message], *, keep: bool = False) -> None:
        self.read_ahead.append(list(messages))
        if keep:
            self.kept.append(list(messages))

    def warm_up(self) -> None:
        pass  # nothing to load

    async def aclose(self) -> None:
        self.replies.clear()


# --- A simulated upstream, for benchmarks -------------------------------------------------------------------------

UPSTREAM_REPLY = (
    "That sounds like a lot to carry in one day. I'm glad you told me. What was the hardest part of it, "
    "the work itself or the way it landed on you without warning? Take your time; I'm not going anywhere."
)
UPSTREAM_MODEL = "simulated-upstream"


def plainest(schema: Mapping[str, Any]) -> Any:
    """The plainest value a JSON schema accepts: the first value of each choice, the fewest items, the first
    type of a list of types (``{"memories": []}`` for os1's memory extraction: nothing to remember)."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = kind[0] if kind else None
    if kind == "object":
        return {key: plainest(value) for key, value in schema.get("properties", {}).items()}
    if kind == "array":
        first: list[Mapping[str, Any]] = list(schema.get("prefixItems", []))
        items: Mapping[str, Any] = schema.get("items") or {}
        count = int(schema.get("minItems", 0))
        return [plainest(first[i] if i < len(first) else items) for i in range(count)]
    if kind in ("integer", "number"):
        low = schema.get("minimum", 1)
        return int(low) if kind == "integer" else float(low)
    return {"string": "", "boolean": False, "null": None}.get(str(kind))


@dataclass
class UpstreamRecord:
    """One request the simulated upstream answered, on the machine's monotonic clock (``time.monotonic()``,
    CLOCK_MONOTONIC, which every process on the machine shares)."""

    n: int
    kind: str  # "text", or "json" when the request carried a JSON schema
    last: str  # the last message's words (the first 300 characters), to tell the requests apart
    received: float  # the request's body was read
    first: float | None = None  # its first token was handed to the connection
    done: float | None = None  # its last chunk was
    tokens: int = 0


class Upstream:
    """A benchmark fixture, not a language model: an OpenAI-compatible server (``POST /v1/chat/completions``,
    streamed as server-sent events or as one JSON answer, and ``GET /v1/models``) that answers every request
    with the same fixed reply at a steady pace: its first token ``first_token`` seconds after the request
    arrives, then ``tokens_per_second`` (a token here is a word). A request with a JSON schema
    (``response_format``) gets the plainest JSON the schema accepts, at the same pace. It reads nothing it is
    sent but the last message, the schema and ``max_tokens``, and it costs almost no CPU: what it stands for
    is a model server's wait, not its work.

    Every request is recorded (``UpstreamRecord``); ``GET /upstream/requests`` returns them, so a benchmark
    can take the upstream's own time to first token out of what its client measured. It is an ASGI app: run
    it in a process of its own (``python -m os1.testing``), so that its CPU is not counted as the measured
    server's; on a small machine it still shares the same cores."""

    def __init__(self, *, first_token: float = 0.3, tokens_per_second: float = 30.0, reply: str = UPSTREAM_REPLY):
        if first_token < 0:
            raise ValueError(f"first_token is a number of seconds, at least 0 (not {first_token!r})")
        if tokens_per_second <= 0:
            raise ValueError(f"tokens_per_second must be more than 0 (not {tokens_per_second!r})")
        if not reply.strip():
            raise ValueError("reply must hold at least one word")
        self.first_token, self.tokens_per_second, self.reply = first_token, tokens_per_second, reply
        self.records: list[UpstreamRecord] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":  # nothing to start or stop
            while True:
                kind = (await receive())["type"]
                await send({"type": f"{kind}.complete"})
                if kind == "lifespan.shutdown":
                    return
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        route = (scope["method"], scope["path"].rstrip("/"))
        if route == ("GET", "/v1/models"):
            models = [{"id": UPSTREAM_MODEL, "object": "model", "created": 0, "owned_by": "os1.testing"}]
            await _answer(send, 200, {"object": "list", "data": models})
        elif route == ("GET", "/upstream/requests"):
            await _answer(send, 200, {"requests": [vars(record) for record in self.records]})
        elif route == ("POST", "/v1/chat/completions"):
            await self._complete(bytes(body), send)
        else:
            await _answer(send, 404, _failure(f"no route {scope['method']} {scope['path']}", "not_found_error"))

    async def _complete(self, body: bytes, send: Any) -> None:
        received = time.monotonic()
        try:
            request = json.loads(body)
            messages = request["messages"]
            last = str(messages[-1]["content"])
            max_tokens = int(request.get("max_tokens") or 1_000_000)
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            await _answer(send, 400, _failure(f"not a chat completion request ({exc!r})", "invalid_request_error"))
            return
        schema = ((request.get("response_format") or {}).get("json_schema") or {}).get("schema")
        text = json.dumps(plainest(schema)) if isinstance(schema, dict) else self.reply
        tokens = re.findall(r"\S+\s*|\s+", text) if schema is None else re.findall(r"\s*(?:\w+|\W)", text)
        finish = "length" if schema is None and len(tokens) > max_tokens else "stop"
        tokens = tokens if schema is not None else tokens[:max_tokens]
        record = UpstreamRecord(len(self.records), "json" if schema is not None else "text", last[:300], received)
        self.records.append(record)
        reply_id, created = f"chatcmpl-sim-{record.n}", int(time.time())
        if not request.get("stream"):
            await _until(received + self.first_token + (len(tokens) - 1) / self.tokens_per_second)
            record.first = record.done = time.monotonic()
            record.tokens = len(tokens)
            choice = {"index": 0, "message": {"role": "assistant", "content": "".join(tokens)}, "finish_reason": finish}
            await _answer(send, 200, {"id": reply_id, "object": "chat.completion", "created": created,
                                      "model": UPSTREAM_MODEL, "choices": [choice]})  # fmt: skip
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]})  # fmt: skip

        def event(delta: dict[str, str], reason: str | None = None) -> bytes:
            chunk = {"id": reply_id, "object": "chat.completion.chunk", "created": created, "model": UPSTREAM_MODEL,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": reason}]}  # fmt: skip
            return f"data: {json.dumps(chunk)}\n\n".encode()

        start = received + self.first_token  # each token at its own moment: a late one does not delay the rest
        for index, token in enumerate(tokens):
            await _until(start + index / self.tokens_per_second)
            data = event({"role": "assistant", "content": token} if index == 0 else {"content": token})
            await send({"type": "http.response.body", "body": data, "more_body": True})
            if index == 0:
                record.first = time.monotonic()
            record.tokens = index + 1
        await send({"type": "http.response.body", "body": event({}, finish) + b"data: [DONE]\n\n"})
        record.done = time.monotonic()


async def _until(moment: float) -> None:
    """Sleep until ``moment`` on the monotonic clock, never less (uvloop's timers count whole milliseconds and
    may wake a fraction of one early)."""
    await asyncio.sleep(max(0.0, moment - time.monotonic()))
    if (early := moment - time.monotonic()) > 0:
        await asyncio.sleep(early + 0.001)


async def _answer(send: Any, status: int, body: object) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def _failure(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind}}


def serve_upstream(
    port: int, *, host: str = "127.0.0.1", first_token: float = 0.3, tokens_per_second: float = 30.0
) -> None:
    """Run the simulated upstream until interrupted (in a process of its own: ``python -m os1.testing``)."""
    import uvicorn

    app = Upstream(first_token=first_token, tokens_per_second=tokens_per_second)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, backlog=4096)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="A simulated OpenAI-compatible upstream, for benchmarks")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--first-token", type=float, default=0.3, help="seconds before the first token")
    parser.add_argument("--tokens-per-second", type=float, default=30.0)
    options = parser.parse_args()
    serve_upstream(options.port, host=options.host, first_token=options.first_token,
                   tokens_per_second=options.tokens_per_second)  # fmt: skip
