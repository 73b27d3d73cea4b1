"""Two workers of one server sharing through a real Redis: the live count spans both, a user's replies are made
one at a time whichever worker takes them, and a turn said through one worker reaches the other."""

import asyncio
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

from os1.memory.embed import MiniLM
from os1.memory.sqlite import SQLiteStore
from os1.memory.store import Persona, Profile
from os1.server.hub import REPORT_SECONDS
from os1.testing import ScriptedLLM
from tests.serving import free_port, serving, talk
from tests.test_server_conversation import opened, received


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A real redis-server (Debian's), on a free port, saving nothing to disk; stopped at the end."""
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            try:
                if redis.Redis.from_url(url).ping():
                    break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def test_two_workers_share_counts_turns_and_news(
    home: Path, embedder: MiniLM, redis_url: str, persona: Persona, profile: Profile
) -> None:
    first_llm, second_llm = ScriptedLLM(*[talk] * 50, delay=0.02), ScriptedLLM(*[talk] * 50, delay=0.02)
    with ExitStack() as stack:
        first = stack.enter_context(serving(home, first_llm, embedder, redis_url=redis_url))
        second = stack.enter_context(serving(home, second_llm, embedder, redis_url=redis_url))
        theo_client, said = first.sign_up("theo@example.org")
        theo_id = said["user"]["id"]
        first.meet(theo_id, persona, profile)
        theo = {"Cookie": f"os1_session={theo_client.cookies['os1_session']}"}
        other_client, other = second.sign_up("ada@example.org")
        second.meet(other["user"]["id"], persona, profile)
        ada = {"Cookie": f"os1_session={other_client.cookies['os1_session']}"}

        on_first = stack.enter_context(opened(first, theo))
        on_second = stack.enter_context(opened(second, theo))
        received(stack.enter_context(opened(second, ada)))  # someone else, on the other worker
        received(on_first), received(on_second)

        on_first.send(json.dumps({"type": "say", "id": "a", "text": "I live in Porto."}))
        while received(on_first)["type"] != "done":
            pass
        assert received(on_second) == {"type": "changed"}  # news of it reached the other worker's connection
        on_second.send(json.dumps({"type": "say", "id": "b", "text": "Where do I live?"}))
        while received(on_second)["type"] != "done":
            pass
        history = [m["content"] for m in second_llm.prompts[-1]]
        assert "I live in Porto." in history  # the other worker read the transcript again

        both = [threading.Thread(target=say_and_wait, args=(s, i)) for i, s in enumerate([on_first, on_second])]
        for thread in both:
            thread.start()
        for thread in both:
            thread.join()
        store = SQLiteStore.open(home, theo_id)
        speakers = [t.speaker for t in asyncio.run(store.turns()) if t.speaker != "event"]
        store.close()
        assert speakers == ["user", "assistant"] * 4  # one reply at a time, across the workers

        for attempt in range(5):  # each worker reports whose conversations are live every REPORT_SECONDS
            time.sleep(REPORT_SECONDS * 1.5)
            question = {"type": "say", "id": f"q{attempt}", "text": "Are you talking to anyone else right now?"}
            on_first.send(json.dumps(question))
            while received(on_first)["type"] != "done":
                pass
            note = first_llm.prompts[-1][-2]["content"]
            if "1 other conversation" in note:
                break
        assert "1 other conversation" in note  # Ada, on the other worker


def say_and_wait(socket: ClientConnection, number: int) -> None:
    socket.send(json.dumps({"type": "say", "id": f"at-once-{number}", "text": f"Two things at once, {number}."}))
    while received(socket)["type"] != "done":
        pass


def test_an_account_deleted_through_one_worker_is_closed_in_the_other(
    home: Path, embedder: MiniLM, redis_url: str, persona: Persona, profile: Profile
) -> None:
    with ExitStack() as stack:
        first = stack.enter_context(serving(home, ScriptedLLM(*[talk] * 10), embedder, redis_url=redis_url))
        second = stack.enter_context(serving(home, ScriptedLLM(*[talk] * 10), embedder, redis_url=redis_url))
        client, said = first.sign_up("theo@example.org")
        first.meet(said["user"]["id"], persona, profile)
        on_second = stack.enter_context(opened(second, {"Cookie": f"os1_session={client.cookies['os1_session']}"}))
        assert received(on_second)["type"] == "ready"
        assert client.request("DELETE", "/api/me", json={"password": "correct horse battery"}).status_code == 204
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                received(on_second)
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4401, "this account was deleted")
