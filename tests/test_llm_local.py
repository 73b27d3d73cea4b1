"""Finding an LLM server already running here: real local HTTP servers that answer as Ollama and llama.cpp do."""

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from os1.llm import local
from tests.fakehub import closed_port

OLLAMA_TAGS = {"models": [{"name": "qwen2.5:3b", "model": "qwen2.5:3b"}, {"name": "llama3.2:latest"}]}
LLAMACPP_MODELS = {"object": "list", "data": [{"id": "qwen2.5-3b-instruct-q4_k_m.gguf", "object": "model"}]}


@contextmanager
def json_server(routes: dict[str, object]) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 answering GET ``path`` with ``routes[path]`` as JSON; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = json.dumps(routes[self.path]).encode() if self.path in routes else b"{}"
            self.send_response(200 if self.path in routes else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def silent_server() -> Iterator[str]:
    """A port that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


async def test_ollama_and_llamacpp_are_found_with_their_models() -> None:
    with json_server({"/api/tags": OLLAMA_TAGS}) as ollama, json_server({"/v1/models": LLAMACPP_MODELS}) as server:
        found = await local.find([local.Probe("Ollama", ollama, "/api/tags"),
                                  local.Probe("llama.cpp server", server, "/v1/models")])  # fmt: skip
    assert found == [
        local.Found("Ollama", f"{ollama}/v1", ("qwen2.5:3b", "llama3.2:latest")),
        local.Found("llama.cpp server", f"{server}/v1", ("qwen2.5-3b-instruct-q4_k_m.gguf",)),
    ]


async def test_nothing_listening_a_silent_port_and_a_stranger_are_not_servers() -> None:
    with silent_server() as silent, json_server({"/v1/models": {"hello": "world"}}) as stranger:
        where = [
            local.Probe("Ollama", f"http://127.0.0.1:{closed_port()}", "/api/tags"),
            local.Probe("llama.cpp server", silent, "/v1/models"),
            local.Probe("llama.cpp server", stranger, "/v1/models"),
            local.Probe("Ollama", stranger, "/api/tags"),  # a 404
        ]
        assert await local.find(where, within=0.2) == []


@pytest.mark.parametrize(
    ("host", "url"),
    [
        (None, "http://127.0.0.1:11434"),
        ("", "http://127.0.0.1:11434"),
        ("0.0.0.0", "http://127.0.0.1:11434"),
        ("127.0.0.1:4000", "http://127.0.0.1:4000"),
        ("https://ollama.lan", "https://ollama.lan:11434"),
        ("[::1]:11500", "http://[::1]:11500"),
    ],
)
def test_ollama_is_looked_for_where_ollama_host_says(host: str | None, url: str) -> None:
    assert local.ollama_url(host) == url
