"""A real os1 server for tests: uvicorn in a thread of the test process, on a free port, with the model the
test gives it (most often ScriptedLLM: the tests are about what sits above the model) and the real MiniLM."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from os1.config import Settings
from os1.llm import LLM, Message
from os1.memory.embed import MiniLM
from os1.memory.sqlite import SQLiteStore
from os1.memory.store import Persona, Profile
from os1.server.app import create_app
from os1.server.voice import Voices
from os1.server.ws import SOCKET_OPTIONS


def talk(messages: Sequence[Message], schema: dict[str, Any] | None) -> str:
    """ScriptedLLM's answer for a server test: a short reply, or the plainest JSON the schema allows (the first
    value of each choice, the fewest items, nothing to remember)."""
    return json.dumps(plainest(schema)) if schema else "I'm here, listening."


def plainest(schema: dict[str, Any]) -> Any:
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {key: plainest(value) for key, value in schema.get("properties", {}).items()}
    if kind == "array":
        items = schema.get("items", {})
        return [plainest({"enum": items["enum"][i:]}) if "enum" in items else plainest(items)
                for i in range(schema.get("minItems", 0))]  # fmt: skip
    return {"string": "It fits.", "integer": 1, "number": 1.0, "boolean": False}.get(str(kind))


@dataclass
class Server:
    url: str
    home: Path
    clients: list[httpx.Client] = field(default_factory=list)  # closed when the server stops

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/ws"

    def client(self) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=30)
        self.clients.append(client)
        return client

    def sign_up(self, email: str, password: str = "correct horse battery") -> tuple[httpx.Client, dict[str, Any]]:
        """A signed-in client (cookie and CSRF header set) and the sign-up's answer."""
        client = self.client()
        answer = client.post("/api/signup", json={"email": email, "password": password})
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        client.headers["X-CSRF-Token"] = body["csrf"]
        return client, body

    def meet(self, user_id: str, persona: Persona, profile: Profile) -> None:
        """Save a finished interview in the user's own database, as onboarding does."""
        store = SQLiteStore.open(self.home, user_id)
        asyncio.run(store.save_persona(persona))
        asyncio.run(store.save_profile(profile))
        store.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(
    home: Path,
    llm: LLM,
    embedder: MiniLM,
    *,
    voices: Voices | None = None,
    database_url: str | None = None,
    redis_url: str | None = None,
) -> Iterator[Server]:
    settings = Settings(home=home, database_url=database_url, redis_url=redis_url)
    app = create_app(settings, llm=llm, embedder=embedder, voices=voices)
    with in_thread(app, **SOCKET_OPTIONS) as url:
        running = Server(url, home)
        try:
            yield running
        finally:
            for client in running.clients:
                client.close()


@contextmanager
def in_thread(app: Any, **options: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free port, in a thread of this process, until the block ends: its URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning", **options))
    thread = threading.Thread(target=server.run, name="test-server")
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            threading.Event().wait(0.05)
        assert server.started, "the test server did not start"
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(30)
