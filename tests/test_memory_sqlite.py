import json
from datetime import UTC, date, datetime
from pathlib import Path

import apsw
import pytest

from os1.errors import StoreCorrupt, StoreError
from os1.memory.schema import MIGRATIONS
from os1.memory.sqlite import APPLICATION_ID, SQLiteStore, user_db_path
from os1.memory.store import Memory, Persona, Profile

NOW = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)


async def test_profile_persona_and_transcript_survive_a_restart(home: Path, persona: Persona, profile: Profile) -> None:
    store = SQLiteStore.open(home)
    await store.save_persona(persona)
    await store.save_profile(profile)
    session = await store.start_session()
    await store.add_turn(session, "user", "I'm back from the coast")
    await store.add_turn(session, "assistant", "Tell me everything.", interrupted=True, model_id="m")
    store.close()

    reopened = SQLiteStore.open(home)
    assert await reopened.persona() == persona
    assert await reopened.profile() == profile
    turns = await reopened.turns()
    assert [(t.speaker, t.text, t.interrupted) for t in turns] == [
        ("user", "I'm back from the coast", False),
        ("assistant", "Tell me everything.", True),
    ]
    assert turns[1].model_id == "m"
    assert [t.text for t in await reopened.turns(after_id=turns[0].id)] == ["Tell me everything."]
    reopened.close()


async def test_text_is_kept_exactly(home: Path) -> None:
    store = SQLiteStore.open(home)
    text = "  naïve café — 🌧️ \n 'quotes' \"and\" ; DROP TABLE turns; --  "
    await store.add_turn(await store.start_session(), "assistant", text)
    assert (await store.turns())[0].text == text
    store.close()


def test_a_damaged_file_is_refused_and_left_untouched(home: Path) -> None:
    path = user_db_path(home)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database\x00" * 200)
    before = path.read_bytes()
    with pytest.raises(StoreCorrupt, match=r"not an SQLite database.*left untouched"):
        SQLiteStore(path)
    assert path.read_bytes() == before


def test_a_truncated_database_is_refused_and_left_untouched(home: Path) -> None:
    store = SQLiteStore.open(home)
    store.close()
    path = user_db_path(home)
    for extra in path.parent.glob("os1.db-*"):
        extra.unlink()
    with path.open("r+b") as f:  # keep SQLite's header, damage every page after it
        f.seek(100)
        f.write(b"\xff" * (path.stat().st_size - 100))
    before = path.read_bytes()
    with pytest.raises(StoreCorrupt, match="left untouched"):
        SQLiteStore(path)
    assert path.read_bytes() == before


def test_a_foreign_sqlite_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "photos.db"
    db = apsw.Connection(str(path))
    db.execute("CREATE TABLE photos (name TEXT); INSERT INTO photos VALUES ('beach.jpg')")
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreCorrupt, match="not one of os1's"):
        SQLiteStore(path)
    assert path.read_bytes() == before


def test_a_database_from_a_newer_os1_is_refused(home: Path) -> None:
    SQLiteStore.open(home).close()
    path = user_db_path(home)
    db = apsw.Connection(str(path))
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(StoreError, match=r"newer os1 .*nothing was changed"):
        SQLiteStore(path)


async def test_an_empty_file_becomes_a_new_database(home: Path) -> None:
    path = user_db_path(home)
    path.parent.mkdir(parents=True)
    path.touch()
    store = SQLiteStore(path)
    assert await store.persona() is None
    await store.add_turn(await store.start_session(), "user", "hello", at=datetime(2026, 1, 1, tzinfo=UTC))
    assert (await store.turns())[0].at == datetime(2026, 1, 1, tzinfo=UTC)
    store.close()


def test_the_connection_settings_are_all_in_force(home: Path) -> None:
    store = SQLiteStore.open(home)
    settings = {
        name: store._db.execute(f"PRAGMA {name}").get
        for name in ("journal_mode", "synchronous", "foreign_keys", "secure_delete")
    }
    assert settings == {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1, "secure_delete": 1}
    store.close()


async def test_a_database_from_the_first_schema_is_upgraded_in_place(home: Path) -> None:
    path = user_db_path(home)
    path.parent.mkdir(parents=True)
    db = apsw.Connection(str(path))
    MIGRATIONS[0](db)  # what os1 0.1.0 wrote: transcript, profile, persona
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 1")
    db.execute("INSERT INTO sessions (started_at) VALUES ('2026-11-20T20:00:00+00:00')")
    db.execute(
        "INSERT INTO turns (session_id, speaker, text, at) VALUES (1, 'user', 'hi, I adopted a beagle', "
        "'2026-11-20T20:00:01+00:00'), (1, 'user', 'he comes home next weekend', '2026-11-20T20:00:02+00:00')"
    )
    persona = {"name": "Wren", "why": "It is short.", "traits": ["warm"], "voice": "neutral",
               "created_at": "2026-11-20T19:59:00+00:00", "names_considered": 727556, "notes": {}}  # fmt: skip
    db.execute("INSERT INTO kv (key, value) VALUES ('persona', ?)", (json.dumps(persona),))  # 0.1.0 had notes
    db.close()

    store = SQLiteStore(path)
    assert [t.text for t in await store.turns()] == ["hi, I adopted a beagle", "he comes home next weekend"]
    assert await store.memories() == []
    old, dated = await store.unembedded("transcript", "any model")
    assert old.happened == old.said  # its words name no day
    assert datetime.fromtimestamp(dated.happened).date() == date(2026, 11, 28)  # said on a Friday: next Saturday
    assert [i for i, _ in await store.search_text("transcript", "beagles")] == [1]  # the old transcript is indexed
    assert store._db.execute("PRAGMA user_version").get == len(MIGRATIONS)
    assert (persona_now := await store.persona()) is not None and persona_now.name == "Wren"
    store.close()


async def test_the_newest_memories_come_without_reading_them_all(home: Path) -> None:
    store = SQLiteStore.open(home)
    for i in range(6):
        await store.add_memory(Memory(id=0, kind="fact", text=f"fact {i}", source_turn_ids=(), created_at=NOW))
    assert [m.text for m in await store.memories(last=2)] == ["fact 4", "fact 5"]
    assert len(await store.memories()) == 6
    store.close()
