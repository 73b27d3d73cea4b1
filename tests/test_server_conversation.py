"""Talking with one's companion through the real server: the WebSocket protocol (and what it does with bad
input), the OpenAI-compatible endpoint through the real ``openai`` package, the honest count of other
conversations, and /metrics."""

import asyncio
import json
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import openai
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from os1.memory.embed import MiniLM
from os1.memory.recall import Recall
from os1.memory.sqlite import SQLiteStore
from os1.memory.store import Persona, Profile
from os1.testing import ScriptedLLM
from tests.serving import Server, serving, talk

REPLY = "I'm here, listening."


@pytest.fixture
def llm() -> ScriptedLLM:
    return ScriptedLLM(*[talk] * 200)


@pytest.fixture
def server(home: Path, embedder: MiniLM, llm: ScriptedLLM) -> Iterator[Server]:
    with serving(home, llm, embedder) as running:
        yield running


def signed_up(server: Server, email: str, persona: Persona, profile: Profile) -> tuple[str, dict[str, str]]:
    """A user who has met their companion: their id, and the headers of their signed-in browser."""
    client, said = server.sign_up(email)
    server.meet(said["user"]["id"], persona, profile)
    return said["user"]["id"], {"Cookie": f"os1_session={client.cookies['os1_session']}"}


def opened(server: Server, headers: dict[str, str], **options: Any) -> ClientConnection:
    return connect(server.ws_url, additional_headers=headers, open_timeout=10, **options)


def received(socket: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(socket.recv(timeout=30))
    return message


def closed_with(socket: ClientConnection) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            socket.recv(timeout=10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


def test_a_conversation_over_the_websocket(server: Server, persona: Persona, profile: Profile) -> None:
    user_id, headers = signed_up(server, "theo@example.org", persona, profile)
    with opened(server, headers) as socket:
        ready = received(socket)
        assert ready["type"] == "ready" and ready["version"] == 1 and ready["companion"] == {"name": "Samantha"}
        assert socket.response is not None  # the client offered compression; frames this small go without it
        assert "Sec-WebSocket-Extensions" not in socket.response.headers
        socket.send(json.dumps({"type": "hello", "version": 1}))
        socket.send(json.dumps({"type": "say", "id": "m1", "text": "I had a long day."}))
        deltas = []
        while (message := received(socket))["type"] == "delta":
            deltas.append(message["text"])
        assert message == {"type": "done", "id": "m1", "text": REPLY, "interrupted": False}
        assert "".join(deltas) == REPLY
        socket.send(json.dumps({"type": "say", "id": "m2", "text": "   "}))
        error = received(socket)
        assert error["type"] == "error" and error["code"] == "bad_message" and "empty" in error["message"]
        socket.send(json.dumps({"type": "ping"}))
        assert received(socket) == {"type": "pong"}  # the connection stayed open
    store = SQLiteStore.open(server.home, user_id)
    turns = [(t.speaker, t.text) for t in asyncio.run(store.turns()) if not t.opens_conversation]
    store.close()
    assert turns == [("user", "I had a long day."), ("assistant", REPLY)]  # in that user's own database


def test_a_reply_can_be_cancelled_and_keeps_what_was_said(
    server: Server, llm: ScriptedLLM, persona: Persona, profile: Profile
) -> None:
    _, headers = signed_up(server, "theo@example.org", persona, profile)
    llm.delay = 0.2
    with opened(server, headers) as socket:
        received(socket)
        socket.send(json.dumps({"type": "say", "id": "m1", "text": "Tell me a long story."}))
        assert received(socket)["type"] == "delta"
        socket.send(json.dumps({"type": "cancel", "id": "m1"}))
        while (message := received(socket))["type"] == "delta":
            pass
        assert message["type"] == "done" and message["interrupted"] is True
        assert 0 < len(message["text"]) < len(REPLY)


@pytest.mark.parametrize(
    ("frame", "code", "reason"),
    [
        ("{not json", 1007, "not JSON"),
        ("[1, 2]", 4400, 'a message is a JSON object with a "type"'),
        ('{"type": "dance"}', 4400, "unknown message type 'dance'"),
        ('{"type": "say", "text": "hi"}', 4400, 'a "say" has an "id"'),
        ('{"type": "hello", "version": 7}', 4426, "this server speaks version 1"),
        ('{"type": "typing", "text": 7}', 4400, 'a "typing" has a "text"'),
        (b"\x00\x01", 4400, "binary frames carry audio"),
    ],
)
def test_bad_input_closes_with_a_code_and_a_reason(
    server: Server, persona: Persona, profile: Profile, frame: str | bytes, code: int, reason: str
) -> None:
    _, headers = signed_up(server, "theo@example.org", persona, profile)
    with opened(server, headers) as socket:
        received(socket)
        socket.send(frame)
        got_code, got_reason = closed_with(socket)
        assert got_code == code and got_reason.startswith(reason)


def test_an_oversized_frame_is_refused(server: Server, persona: Persona, profile: Profile) -> None:
    _, headers = signed_up(server, "theo@example.org", persona, profile)
    with opened(server, headers, max_size=None) as socket:
        received(socket)
        socket.send(json.dumps({"type": "say", "id": "big", "text": "a" * 100_000}))
        assert closed_with(socket)[0] == 1009  # "message too big"


def test_who_may_not_talk_is_told_why(server: Server, persona: Persona, profile: Profile) -> None:
    with connect(server.ws_url, open_timeout=10) as socket:
        assert closed_with(socket) == (4401, "sign in first")
    with connect(server.ws_url, additional_headers={"Cookie": "os1_session=forged"}, open_timeout=10) as socket:
        assert closed_with(socket) == (4401, "your session has ended: sign in again")
    _, headers = signed_up(server, "theo@example.org", persona, profile)
    with opened(server, headers, origin="https://evil.example") as socket:  # type: ignore[arg-type]
        assert closed_with(socket)[0] == 4403


def test_the_openai_package_talks_with_the_users_companion(
    server: Server, llm: ScriptedLLM, persona: Persona, profile: Profile
) -> None:
    client, said = server.sign_up("theo@example.org")
    server.meet(said["user"]["id"], persona, profile)
    secret = client.post("/api/keys", json={"name": "scripts"}).json()["secret"]
    api = openai.OpenAI(base_url=f"{server.url}/v1", api_key=secret)
    assert [m.id for m in api.models.list()] == ["os1"]
    answer = api.chat.completions.create(model="os1", messages=[{"role": "user", "content": "Hello there."}])
    assert answer.choices[0].message.content == REPLY
    prompt = llm.prompts[0]
    assert "Samantha" in prompt[0]["content"] and prompt[-1] == {"role": "user", "content": "Hello there."}
    stream = api.chat.completions.create(
        model="os1", stream=True,
        messages=[{"role": "system", "content": "You are a pirate."}, {"role": "user", "content": "Hello there."},
                  {"role": "assistant", "content": REPLY}, {"role": "user", "content": "How are you?"}],
    )  # fmt: skip
    chunks = [c.choices[0].delta.content or "" for c in stream]
    assert "".join(chunks) == REPLY
    prompt = llm.prompts[-1]
    assert prompt[-1] == {"role": "user", "content": "How are you?"}  # only the new words
    assert not any("pirate" in m["content"] for m in prompt)  # its own persona, not the client's
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{server.url}/v1", api_key="os1_wrong").models.list()
    with pytest.raises(openai.BadRequestError, match="last message must be the user's"):
        api.chat.completions.create(model="os1", messages=[{"role": "assistant", "content": "Hi"}])


def test_a_draft_the_user_paused_on_is_searched_before_it_is_sent(
    server: Server, persona: Persona, profile: Profile
) -> None:
    _, headers = signed_up(server, "theo@example.org", persona, profile)

    def said_after_typing(socket: ClientConnection, draft: str, text: str) -> float:
        """Send ``draft`` as typed, then ``text``; the count of lines recalled ahead, from /metrics, after it."""
        socket.send(json.dumps({"type": "typing", "text": draft}))
        time.sleep(1.0)  # the user reads it over (the search takes milliseconds)
        socket.send(json.dumps({"type": "say", "id": text[:8], "text": text}))
        while (message := received(socket))["type"] != "done":
            pass
        assert message["text"] == REPLY
        with server.client() as operator:
            found = re.search(r"^os1_lines_recalled_ahead_total (\S+)$", operator.get("/metrics").text, re.M)
        assert found is not None
        return float(found[1])

    with opened(server, headers) as socket:
        received(socket)
        assert said_after_typing(socket, "I had a long day.", "I had a long day.") == 1
        assert said_after_typing(socket, "The bus was", "The bus was late again.") == 1  # more was typed: searched
        assert said_after_typing(socket, " ", "Anyway.") == 1  # a blank draft is nothing to read ahead
        assert said_after_typing(socket, "Goodnight.", "Goodnight.") == 2


def test_the_memory_held_for_a_users_search_is_in_the_metrics(
    server: Server, embedder: MiniLM, persona: Persona, profile: Profile
) -> None:
    user_id, headers = signed_up(server, "theo@example.org", persona, profile)
    store = SQLiteStore.open(server.home, user_id)
    session = asyncio.run(store.start_session())
    for text in ("My sister Anna is a nurse.", "I moved to Berlin in May.", "Pancakes, always pancakes."):
        asyncio.run(store.add_turn(session, "user", text))
    asyncio.run(Recall(store, embedder).reembed())
    store.close()

    def held() -> float:
        with server.client() as operator:
            found = re.search(r"^os1_vectors_held_bytes (\S+)$", operator.get("/metrics").text, re.M)
        assert found is not None
        return float(found[1])

    before = held()
    with opened(server, headers) as socket:
        received(socket)
        socket.send(json.dumps({"type": "say", "id": "1", "text": "What does my sister do?"}))
        while received(socket)["type"] != "done":
            pass
    assert held() >= before + 3 * 384 * 2  # the three turns' vectors, in float16, held for the next line


def test_asked_about_others_it_tells_the_servers_real_count(
    server: Server, llm: ScriptedLLM, persona: Persona, profile: Profile
) -> None:
    others = [signed_up(server, f"user{i}@example.org", persona, profile)[1] for i in range(2)]
    _, theo = signed_up(server, "theo@example.org", persona, profile)
    with ExitStack() as stack:
        for headers in others:
            received(stack.enter_context(opened(server, headers)))
        with opened(server, theo) as socket:
            received(socket)
            socket.send(json.dumps({"type": "say", "id": "q", "text": "Are you talking to anyone else right now?"}))
            while received(socket)["type"] != "done":
                pass
        note = llm.prompts[-1][-2]["content"]
        assert "2 other conversations" in note and "user0" not in note  # the number, never who
        with server.client() as operator:
            metrics = operator.get("/metrics").text
        assert "os1_conversations_live 3.0" in metrics and "os1_websockets_open 2.0" in metrics
        assert "theo@example.org" not in metrics


def test_a_damaged_database_closes_the_conversation_with_the_reason(
    server: Server, persona: Persona, profile: Profile
) -> None:
    user_id, headers = signed_up(server, "theo@example.org", persona, profile)
    (server.home / "users" / user_id / "os1.db").write_bytes(b"this is not a database" * 100)
    with opened(server, headers) as socket:
        code, reason = closed_with(socket)
    assert code == 1011 and reason.startswith("your conversation cannot be opened now")
