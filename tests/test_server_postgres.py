"""The server with every user's data in one PostgreSQL database (``database_url``): meeting the companion, a
conversation, the memory page, each user seeing only their own rows; no SQLite file is made."""

import json
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from os1.companion.prompt import QUESTIONS
from os1.memory.embed import MiniLM
from os1.testing import ScriptedLLM
from tests.conftest import new_database
from tests.serving import Server, serving
from tests.test_server_api import ANSWERS, chat, remembering


@pytest.fixture
def database(postgres: str) -> str:
    return new_database(postgres)


@pytest.fixture
def server(home: Path, embedder: MiniLM, database: str) -> Iterator[Server]:
    with serving(home, ScriptedLLM(*[remembering] * 200), embedder, database_url=database) as running:
        yield running


def test_users_live_in_one_postgresql_database(server: Server, database: str) -> None:
    clients = {}
    for email in ("theo@example.org", "eve@example.org"):
        client, _ = server.sign_up(email)
        for key in QUESTIONS:
            assert (
                client.post("/api/onboarding", json={"key": key, "answer": ANSWERS.get(key, "fine")}).status_code == 200
            )
        clients[email] = client
    theo, eve = clients["theo@example.org"], clients["eve@example.org"]
    interview = {client: client.get("/api/memories").json()["memories"] for client in (theo, eve)}
    assert len(interview[theo]) == len(interview[eve]) == 4  # each user's answers, quoted
    chat(server, theo, "I live in Porto.")
    for _ in range(100):
        memories = [m for m in theo.get("/api/memories").json()["memories"] if m not in interview[theo]]
        if memories:
            break
        time.sleep(0.1)
    assert [m["text"] for m in memories] == ["Theo lives in Porto."]
    assert eve.get("/api/memories").json() == {"memories": interview[eve]}
    assert eve.get(f"/api/memories/{memories[0]['id']}").status_code == 404
    found = theo.get("/api/memories", params={"q": "Porto"}).json()["memories"]
    assert found[0]["id"] == memories[0]["id"]
    sessions = json.loads(theo.get("/api/export").text)["sessions"]
    opening, said = sessions[-1]["turns"][:2]  # after the interview's
    assert opening["speaker"] == "event" and opening["id"].startswith("opening:")
    assert said["text"] == "I live in Porto."
    assert theo.delete(f"/api/memories/{memories[0]['id']}").status_code == 204
    with psycopg.connect(database) as db:
        users = db.execute("SELECT DISTINCT user_id FROM os1.turns").fetchall()
        left = db.execute("SELECT count(*) FROM os1.memories").fetchone()
    assert len(users) == 2 and left == (8,)  # their interviews; Theo's memory of Porto forgotten for good
    assert not (server.home / "users").exists()  # nothing went to SQLite files
    assert "Porto" not in theo.get("/api/export").text  # the words it came from went with it
