"""A backend for any OpenAI-compatible chat server: Ollama, vLLM, llama.cpp's server, hosted APIs.

It POSTs to ``{url}/chat/completions`` with ``stream: true`` and reads the Server-Sent Events reply, on aiohttp:
one connection pool per event loop, unbounded (a server streams hundreds of replies at once). aiohttp parses HTTP
in C: a streamed reply of ~40 tokens costs 0.74 ms of CPU here against 3.45 ms with httpx (bench/README.md), and
on a server that is most of what a reply costs besides the model. Every aiohttp error and every reply it cannot
read becomes an ``LLMUnavailable`` or ``LLMBadResponse`` here.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from contextlib import aclosing
from typing import Any

import aiohttp

from os1.config import Settings
from os1.errors import ConfigError, LLMBadResponse, LLMError, LLMUnavailable
from os1.llm import Characters, Message


class OpenAILLM:
    """Streams chat completions from an OpenAI-compatible server at ``url`` (a base URL ending in /v1)."""

    def __init__(self, url: str, model: str | None, api_key: str | None, *, timeout: float = 60.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"OS1_LLM_URL must start with http:// or https:// (not {url!r})")
        if timeout <= 0:
            raise ConfigError(f"timeout must be a positive number of seconds (not {timeout!r})")
        self.url = url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self.model_id = f"openai:{model or 'default'}@{self.url}"
        self._client: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # a session belongs to the loop it was made on

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAILLM:
        if not settings.llm_url:
            raise ConfigError("the openai backend needs a server: set OS1_LLM_URL, e.g. http://localhost:11434/v1")
        return cls(settings.llm_url, settings.llm_model, settings.llm_api_key)

    async def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 512,
        schema: dict[str, Any] | None = None,
        temperature: float = 0.7,
        avoid: Mapping[str, float] | None = None,
    ) -> AsyncIterator[str]:
        body: dict[str, Any] = {
            "messages": list(messages),
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
        }
        if self.model is not None:
            body["model"] = self.model
        if schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": schema, "strict": True},
            }
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            async with self._session().post(f"{self.url}/chat/completions", json=body, headers=headers) as response:
                if response.status >= 400:
                    raise self._status_error(response.status, await response.text(errors="replace"))
                async with aclosing(self._deltas(response)) as deltas:
                    async for delta in deltas:
                        yield delta
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise LLMUnavailable(
                f"the LLM server at {self.url} is not answering: start it, "
                "or set OS1_LLM_URL to a server that is running"
            ) from exc
        except TimeoutError as exc:  # aiohttp's read timeouts are TimeoutErrors too
            raise LLMUnavailable(
                f"the LLM server at {self.url} stopped answering after {self.timeout:g} s: "
                "check that it is not overloaded, or use a smaller model"
            ) from exc
        except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError) as exc:
            raise self._malformed(f"the connection closed before the reply was complete ({exc})") from exc
        except ValueError as exc:  # a line longer than the read buffer
            raise self._malformed(f"a line of it could not be read ({exc})") from exc
        except aiohttp.ClientError as exc:
            raise LLMUnavailable(
                f"the connection to the LLM server at {self.url} failed ({exc}): check that it is still up"
            ) from exc

    async def read(self, messages: Sequence[Message], *, keep: bool = False) -> None:
        pass  # the server keeps (or not) its own cache of what it was sent

    def warm_up(self) -> None:
        pass  # the server is already running; connecting happens on the first request

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            if self._loop is asyncio.get_running_loop():
                await client.close()

    def _session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:  # a session made on another loop cannot be used here
            timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.timeout, sock_read=self.timeout)
            connector = aiohttp.TCPConnector(limit=0)  # no pool limit: each streaming reply holds a connection
            self._client = aiohttp.ClientSession(timeout=timeout, connector=connector, read_bufsize=1 << 20)
            self._loop = loop
        return self._client

    async def _deltas(self, response: aiohttp.ClientResponse) -> AsyncGenerator[str]:
        """The content deltas of an SSE reply; raises unless it ends with [DONE] or a finish_reason."""
        finished = False
        characters = Characters()
        async for raw in response.content:
            line = raw.decode(errors="replace")
            if not line.startswith("data:"):
                continue  # blank separators, ": comments", "event:" and "id:" lines
            data = line[5:].strip()
            if data == "[DONE]":
                return
            try:
                chunk = json.loads(data)
            except json.JSONDecodeError:
                raise self._malformed(f"a data line is not JSON: {data[:200]!r}") from None
            if isinstance(chunk, dict) and "error" in chunk:
                raise self._malformed(f"it reported an error: {_error_text(chunk) or data[:200]}")
            choices = chunk.get("choices") if isinstance(chunk, dict) else None
            if not isinstance(choices, list):
                raise self._malformed(f"a chunk has no choices list: {data[:200]!r}")
            if not choices:
                continue  # e.g. a final usage-only chunk
            choice = choices[0]
            delta = choice.get("delta", {}) if isinstance(choice, dict) else None
            content = delta.get("content") if isinstance(delta, dict) else None
            if not isinstance(delta, dict) or not isinstance(content, str | None):
                raise self._malformed(f"a chunk has no text delta: {data[:200]!r}")
            if content and (text := characters.add(content)):
                yield text
            finished = finished or bool(choice.get("finish_reason"))
        if text := characters.end():
            yield text
        if not finished:
            raise self._malformed("it ended without [DONE] or a finish_reason (the reply was cut short)")

    def _malformed(self, detail: str) -> LLMBadResponse:
        return LLMBadResponse(
            f"the LLM server at {self.url} sent a malformed stream: {detail}; "
            "check that OS1_LLM_URL points to an OpenAI-compatible server"
        )

    def _status_error(self, status: int, text: str) -> LLMError:
        detail = _error_text(_json_or_none(text)) or text[:200].strip() or "no details"
        where = f"the LLM server at {self.url} answered HTTP {status} ({detail})"
        if status in (401, 403):
            return LLMUnavailable(f"{where}: set OS1_LLM_API_KEY to a key this server accepts")
        if status == 404:
            return LLMUnavailable(
                f"{where}: set OS1_LLM_MODEL to a model it serves (now {self.model or 'unset'}), "
                "and check that OS1_LLM_URL ends in /v1"
            )
        if status >= 500 or status == 429:
            return LLMUnavailable(f"{where}: check the server's log, or try again later")
        return LLMBadResponse(f"{where}: the server rejected the request os1 sent")


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _error_text(body: Any) -> str | None:
    """The message of an ``{"error": {"message": ...}}`` or ``{"error": "..."}`` body."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    return error if isinstance(error, str) else None
