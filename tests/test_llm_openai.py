"""The OpenAI-compatible backend against real servers: llama.cpp's own server on a small model, and a tiny
stdlib HTTP server that answers the ways broken or misconfigured servers do."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from os1.errors import LLMBadResponse, LLMUnavailable
from os1.llm import Message, complete, complete_json
from os1.llm.openai import OpenAILLM

HELLO: list[Message] = [{"role": "user", "content": "Say hello in one short sentence."}]
STORY: list[Message] = [{"role": "user", "content": "Tell me a long story about a lighthouse."}]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def backend() -> AsyncIterator[Callable[..., OpenAILLM]]:
    """Makes backends and closes every one of them at the end of the test."""
    made: list[OpenAILLM] = []

    def make(url: str, model: str | None = None, api_key: str | None = None) -> OpenAILLM:
        made.append(OpenAILLM(url, model, api_key, timeout=60.0))
        return made[-1]

    yield make
    for llm in made:
        await llm.aclose()


# --- llama.cpp's server ------------------------------------------------------------------------------------


SERVE = """
import sys, xllamacpp as x
params = x.CommonParams()
params.model.path = sys.argv[1]
params.n_ctx = 2048
params.n_batch = params.n_ubatch = 128
params.cpuparams.n_threads = params.cpuparams_batch.n_threads = 2
params.port = int(sys.argv[2])
params.hostnames = ["127.0.0.1"]
server = x.Server(params)
sys.stdin.read()  # serve until the test closes our stdin
"""


@pytest.fixture(scope="module")
def llama_server(small_model_path: Path) -> Iterator[str]:
    """Base URL (without /v1) of llama.cpp's HTTP server running the small model, in a process of its own."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(small_model_path), str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "llama.cpp's server exited while starting"
            assert time.monotonic() < deadline, "llama.cpp's server did not start within 60 s"
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        assert proc.stdin is not None
        proc.stdin.close()


@pytest.mark.model
async def test_llama_server_streams_a_reply_in_several_deltas(llama_server, backend) -> None:
    llm = backend(f"{llama_server}/v1/")
    sea: list[Message] = [{"role": "user", "content": "Describe the sea in three sentences."}]
    deltas = [delta async for delta in llm.stream(sea, max_tokens=24)]

    assert len(deltas) > 1
    assert all(deltas)
    assert "".join(deltas).strip()


@pytest.mark.model
async def test_llama_server_answers_json_that_fits_the_schema(llama_server, backend) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "additionalProperties": False,
    }
    llm = backend(f"{llama_server}/v1")
    person = [{"role": "user", "content": "Invent a person: give their name and age."}]

    reply = await complete_json(llm, person, schema, max_tokens=100)

    assert set(reply) == {"name", "age"}
    assert isinstance(reply["name"], str)
    assert isinstance(reply["age"], int)


@pytest.mark.model
async def test_closing_a_stream_early_leaves_the_backend_usable(llama_server, backend) -> None:
    llm = backend(f"{llama_server}/v1")
    stream = llm.stream(STORY, max_tokens=400)
    heard = []
    async for delta in stream:
        heard.append(delta)
        break
    await stream.aclose()

    assert heard
    assert heard[0]
    assert (await complete(llm, HELLO, max_tokens=16)).strip()


@pytest.mark.model
async def test_cancelling_the_reader_leaves_the_backend_usable(llama_server, backend) -> None:
    llm = backend(f"{llama_server}/v1")
    heard = asyncio.Event()

    async def listen() -> None:
        async for _ in llm.stream(STORY, max_tokens=400):
            heard.set()

    task = asyncio.create_task(listen())
    await heard.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert (await complete(llm, HELLO, max_tokens=16)).strip()


@pytest.mark.model
async def test_a_url_without_v1_names_the_fix(llama_server, backend) -> None:
    llm = backend(f"{llama_server}/v2", model="smollm2")

    with pytest.raises(LLMUnavailable, match="OS1_LLM_MODEL") as caught:
        await complete(llm, HELLO)

    assert "/v1" in str(caught.value)
    assert "404" in str(caught.value)


# --- nothing listening -------------------------------------------------------------------------------------


async def test_a_server_that_is_down_says_to_start_it_or_set_the_url(backend) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    llm = backend(url)

    with pytest.raises(LLMUnavailable, match="OS1_LLM_URL") as caught:
        await complete(llm, HELLO)

    assert url in str(caught.value)


# --- a small server that misbehaves on purpose -------------------------------------------------------------


def _chunk(content: str | None, finish_reason: str | None = None) -> bytes:
    choice = {"index": 0, "delta": {} if content is None else {"content": content}, "finish_reason": finish_reason}
    return f"data: {json.dumps({'choices': [choice]})}\n\n".encode()


DONE = b"data: [DONE]\n\n"


class Misbehaving(BaseHTTPRequestHandler):
    """Answers POST /<scenario>/v1/chat/completions the way the scenario says."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        scenario = self.path.strip("/").split("/")[0]
        if scenario == "auth" and self.headers.get("Authorization") != "Bearer sesame":
            return self.reply(401, b'{"error": {"message": "Invalid API key"}}', "application/json")
        if scenario == "crash":
            body = b'{"error": {"message": "model failed to load: out of memory"}}'
            return self.reply(500, body, "application/json")
        streams = {
            "auth": _chunk("Hello") + _chunk(None, "stop") + DONE,
            "no-done": b": keep-alive\n\nevent: message\n" + _chunk("Hel") + _chunk("lo", "stop"),
            "not-json": _chunk("Hello") + b"data: {not json\n\n",
            "error-event": _chunk("Hel") + b'data: {"error": {"message": "context overflow"}}\n\n',
            "truncated": _chunk("Hello"),
            # JSON escapes a character outside the basic plane as two halves, and a server may split them
            "split": _chunk("Shh \ud83e") + _chunk("\udd2b, a secret") + _chunk(" \udd2b", "stop") + DONE,
        }
        self.reply(200, streams[scenario], "text/event-stream")

    def reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.end_headers()  # no Content-Length: the body ends when the connection closes
        self.wfile.write(body)


@pytest.fixture(scope="module")
def misbehaving() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Misbehaving)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


async def test_a_data_line_that_is_not_json_is_a_malformed_stream(misbehaving, backend) -> None:
    llm = backend(f"{misbehaving}/not-json/v1")

    with pytest.raises(LLMBadResponse, match="malformed") as caught:
        await complete(llm, HELLO)

    assert "{not json" in str(caught.value)


async def test_an_error_inside_the_stream_is_reported_with_its_message(misbehaving, backend) -> None:
    llm = backend(f"{misbehaving}/error-event/v1")

    with pytest.raises(LLMBadResponse, match="malformed") as caught:
        await complete(llm, HELLO)

    assert "context overflow" in str(caught.value)


async def test_a_stream_cut_short_is_not_taken_for_a_whole_reply(misbehaving, backend) -> None:
    llm = backend(f"{misbehaving}/truncated/v1")

    with pytest.raises(LLMBadResponse, match="cut short"):
        await complete(llm, HELLO)


async def test_a_finish_reason_ends_the_reply_even_without_done(misbehaving, backend) -> None:
    llm = backend(f"{misbehaving}/no-done/v1")

    assert await complete(llm, HELLO) == "Hello"


async def test_a_rejected_key_says_to_set_os1_llm_api_key(misbehaving, backend) -> None:
    llm = backend(f"{misbehaving}/auth/v1", api_key="wrong")

    with pytest.raises(LLMUnavailable, match="OS1_LLM_API_KEY") as caught:
        await complete(llm, HELLO)

    assert "401" in str(caught.value)
    assert "Invalid API key" in str(caught.value)


async def test_the_api_key_is_sent_as_a_bearer_token(misbehaving, backend) -> None:
    llm = backend(f"{misbehaving}/auth/v1", api_key="sesame")

    assert await complete(llm, HELLO) == "Hello"


async def test_a_server_error_passes_on_the_servers_message(misbehaving, backend) -> None:
    llm = backend(f"{misbehaving}/crash/v1")

    with pytest.raises(LLMUnavailable, match="model failed to load: out of memory") as caught:
        await complete(llm, HELLO)

    assert "500" in str(caught.value)


async def test_a_character_split_between_chunks_arrives_whole(misbehaving, backend) -> None:
    llm = backend(f"{misbehaving}/split/v1")

    reply = await complete(llm, HELLO)

    assert reply == "Shh \U0001f92b, a secret \ufffd"
    reply.encode()  # storable and printable: no half of a pair is left
