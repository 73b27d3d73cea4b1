"""``os1 memory`` as a user runs it, on a home whose memories were made by the real pipeline's store and recall."""

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from os1.memory.embed import MiniLM
from os1.memory.recall import Recall
from os1.memory.sqlite import SQLiteStore, user_db_path
from os1.memory.store import Memory, Reflection
from tests.test_cli import os1

pytestmark = pytest.mark.model
NOW = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)


@pytest.fixture
def remembered(set_up_home: Path, embedder: MiniLM) -> Path:
    async def fill() -> None:
        store = SQLiteStore.open(set_up_home)
        recall = Recall(store, embedder)
        session = await store.start_session()
        sister = await store.add_turn(session, "user", "My sister is called Ana and she's a nurse.", at=NOW)
        home = await store.add_turn(session, "user", "I live in Berlin now, by the canal.", at=NOW)
        for text, turn in (
            ("Theo's sister is called Ana.", sister),
            ("Ana works as a nurse.", sister),
            ("Theo lives in Berlin.", home),
        ):
            await recall.remember(Memory(id=0, kind="fact", text=text, source_turn_ids=(turn.id,),
                                         created_at=NOW, valid_from=NOW))  # fmt: skip
        store.close()

    asyncio.run(fill())
    return set_up_home


def test_list_and_search_as_json(remembered: Path, small_model_path: Path) -> None:
    listed = json.loads(os1(remembered, small_model_path, "memory", "list", "--json").stdout)
    assert [m["text"] for m in listed] == [
        "Theo's sister is called Ana.",
        "Ana works as a nurse.",
        "Theo lives in Berlin.",
    ]
    result = os1(remembered, small_model_path, "memory", "search", "what is my sister's job?", "--json", "--limit", "2")
    hits = json.loads(result.stdout)  # a memory is shown rather than the turn it came from
    assert len(hits) == 2 and hits[0]["text"] in {"Ana works as a nurse.", "Theo's sister is called Ana."}
    assert {"text", "valid_from", "valid_to", "score", "source_turn_ids"} <= set(hits[0])
    assert hits[0]["score"] >= hits[1]["score"]
    assert hits[0]["said"] == ["My sister is called Ana and she's a nurse."]  # the words it was made from
    shown = os1(remembered, small_model_path, "memory", "search", "what is my sister's job?", "--limit", "1").stdout
    assert "Ana" in shown and '"My sister is called Ana and she\'s a nurse."' in shown


def test_search_finds_what_was_said_then_asked_as_if_at_a_moment(
    set_up_home: Path, small_model_path: Path, embedder: MiniLM
) -> None:
    async def fill() -> None:
        store = SQLiteStore.open(set_up_home)
        for at, text in (
            (datetime(2026, 3, 10, 20, tzinfo=UTC), "my sister Hannah got engaged to Rob!"),
            (datetime(2026, 9, 2, 20, tzinfo=UTC), "Hannah and I argued about the wedding seating"),
        ):
            await store.add_turn(await store.start_session(at), "user", text, at=at, external_id=f"t{at.month}")
        store.close()  # fmt: skip

    asyncio.run(fill())
    asked = ("memory", "search", "what did I say about my sister last month?", "--json", "--limit", "1")
    in_october = json.loads(os1(set_up_home, small_model_path, *asked, "--at", "2026-10-05T09:00:00").stdout)
    assert in_october[0]["kind"] == "turn" and in_october[0]["source_turn_ids"] == ["t9"]
    in_april = json.loads(os1(set_up_home, small_model_path, *asked, "--at", "2026-04-20T09:00:00").stdout)
    assert in_april[0]["text"] == "my sister Hannah got engaged to Rob!"
    assert in_april[0]["valid_from"].startswith("2026-03-10")


def test_list_shows_the_companion_s_own_notes(remembered: Path, small_model_path: Path) -> None:
    async def reflect() -> None:
        store = SQLiteStore.open(remembered)
        await store.save_reflection(
            Reflection(
                "Theo lives in Berlin and is close to his sister Ana.", ("Ana's new job",), ("ask about Ana",), NOW, 3
            )
        )
        store.close()

    asyncio.run(reflect())
    listed = os1(remembered, small_model_path, "memory", "list").stdout
    assert "Its own notes on you (written 23 Nov 2026):" in listed
    assert "Theo lives in Berlin and is close to his sister Ana." in listed and "To ask about: ask about Ana" in listed


def test_show_opens_the_turns_a_memory_came_from(remembered: Path, small_model_path: Path) -> None:
    shown = json.loads(os1(remembered, small_model_path, "memory", "show", "2", "--json").stdout)
    assert shown["text"] == "Ana works as a nurse."
    assert shown["sources"][0]["text"] == "My sister is called Ana and she's a nurse."
    missing = os1(remembered, small_model_path, "memory", "show", "99")
    assert missing.returncode == 2 and "there is no memory 99" in missing.stderr


def test_actually_its_anna_edit_then_forget(remembered: Path, small_model_path: Path) -> None:
    edited = os1(remembered, small_model_path, "memory", "edit", "1", "Theo's sister is called Anna.")
    assert edited.returncode == 0
    hits = json.loads(os1(remembered, small_model_path, "memory", "search", "Anna", "--json").stdout)
    assert hits[0]["text"] == "Theo's sister is called Anna."

    kept = os1(remembered, small_model_path, "memory", "forget", "1", stdin=b"n\n")
    assert "Kept." in kept.stdout
    gone = os1(remembered, small_model_path, "memory", "forget", "1", "--yes")
    assert gone.returncode == 0 and "Forgotten." in gone.stdout
    listed = json.loads(os1(remembered, small_model_path, "memory", "list", "--all", "--json").stdout)
    assert [m["id"] for m in listed] == [2, 3]
    for path in user_db_path(remembered).parent.iterdir():  # neither the old nor the corrected memory is left
        data = path.read_bytes()
        assert b"sister is called Ana." not in data and b"sister is called Anna." not in data, path.name


def test_search_answers_a_file_of_queries_one_json_line_each(remembered: Path, small_model_path: Path) -> None:
    queries = remembered / "queries.txt"
    queries.write_text("where do I live?\n\nmy sister's job\n")
    result = os1(remembered, small_model_path, "memory", "search", "--queries", str(queries), "--limit", "1")
    lines = result.stdout.splitlines()
    assert result.returncode == 0 and len(lines) == 2
    assert json.loads(lines[0])[0]["text"] == "Theo lives in Berlin."


def test_import_builds_memory_through_the_pipeline(set_up_home: Path, small_model_path: Path) -> None:
    history = set_up_home / "history.json"
    turns = [
        {"id": f"t{i}", "speaker": "user", "text": f"Fact {i}: I have {i} plants on my balcony."} for i in range(5)
    ]
    history.write_text(json.dumps({"sessions": [{"id": "s1", "started_at": "2026-01-05T20:00:00", "turns": turns}]}))
    result = os1(set_up_home, small_model_path, "memory", "import", str(history), "--batch", "2")
    assert result.returncode == 0, result.stderr
    assert "1 conversations, 5 turns" in result.stdout and "turns per minute" in result.stdout
    store = SQLiteStore.open(set_up_home)
    stored = asyncio.run(store.turns())
    assert [t.external_id for t in stored] == ["t0", "t1", "t2", "t3", "t4"]
    assert asyncio.run(store.queued_turns()) == []  # every turn went through extraction
    store.close()


async def test_provenance_is_given_in_the_imported_file_s_turn_ids(set_up_home: Path, embedder: MiniLM) -> None:
    from os1.cli.memory import _hits_json

    store = SQLiteStore.open(set_up_home)
    recall = Recall(store, embedder)
    turn = await store.add_turn(await store.start_session(), "user", "I adopted a dog.", external_id="conv7:t42")
    await recall.remember(
        Memory(id=0, kind="fact", text="Theo adopted a dog.", source_turn_ids=(turn.id,), created_at=NOW)
    )
    hits = await _hits_json(recall, "pets", 1)
    assert hits[0]["source_turn_ids"] == ["conv7:t42"]
    store.close()


def test_export_then_import_into_a_fresh_home_gives_the_same_file(
    remembered: Path, small_model_path: Path, tmp_path: Path
) -> None:
    first = remembered / "export.json"
    assert os1(remembered, small_model_path, "memory", "export", str(first)).returncode == 0
    asyncio.run(_close_a_memory(remembered))  # an export holds the past too
    assert os1(remembered, small_model_path, "memory", "export", str(first)).returncode == 0

    fresh = tmp_path / "fresh-home"
    (fresh / "models").mkdir(parents=True)
    for link in (remembered / "models").iterdir():
        (fresh / "models" / link.name).symlink_to(link.resolve())
    restored = os1(fresh, small_model_path, "memory", "import", str(first))
    assert restored.returncode == 0 and "Restored 2 turns and 3 memories" in restored.stdout
    second = json.loads(os1(fresh, small_model_path, "memory", "export").stdout)
    original = json.loads(first.read_text())
    for data in (original, second):
        data.pop("exported_at")
    assert second == original
    assert original["memories"][2]["valid_to"] is not None
    store = SQLiteStore.open(fresh)
    assert asyncio.run(store.queued_turns()) == []  # restored, not re-extracted
    store.close()


async def _close_a_memory(home: Path) -> None:
    store = SQLiteStore.open(home)
    await store.close_memory(3, NOW)
    store.close()
