import asyncio
import json
import os
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import apsw
import numpy as np
import pytest

from os1.errors import StoreCorrupt, StoreError
from os1.memory.schema import MIGRATIONS
from os1.memory.sqlite import APPLICATION_ID, OPEN_FILES, SQLiteStore, user_db_path
from os1.memory.store import Inner, Interest, Memory, Mood, Persona, Profile, Reflection, Store, TraitChange

NOW = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)

Reopen = Callable[[Store], Awaitable[Store]]


@pytest.fixture
def store(home: Path) -> Iterator[SQLiteStore]:
    store = SQLiteStore.open(home)
    yield store
    store.close()


@pytest.fixture
def reopen(home: Path) -> Reopen:
    """Close a store and open its user's data again, as a restart of os1 does."""

    async def reopen(store: Store) -> Store:
        store.close()
        return SQLiteStore.open(home)

    return reopen


# The tests that take ``store`` (and ``reopen``) check what every store must do: test_memory_postgres.py runs them
# on PostgreSQL too.


async def test_profile_persona_and_transcript_survive_a_restart(
    store: Store, reopen: Reopen, persona: Persona, profile: Profile
) -> None:
    await store.save_persona(persona)
    await store.save_profile(profile)
    session = await store.start_session()
    await store.add_turn(session, "user", "I'm back from the coast")
    await store.add_turn(session, "assistant", "Tell me everything.", interrupted=True, model_id="m")

    reopened = await reopen(store)
    assert await reopened.persona() == persona
    assert await reopened.profile() == profile
    turns = await reopened.turns()
    assert [(t.speaker, t.text, t.interrupted) for t in turns] == [
        ("user", "I'm back from the coast", False),
        ("assistant", "Tell me everything.", True),
    ]
    assert turns[1].model_id == "m"
    reopened.close()


async def test_the_transcript_is_in_the_order_it_was_said(store: Store) -> None:
    today = await store.start_session(NOW)
    await store.add_turn(today, "user", "today", at=NOW)
    last_year = await store.start_session(datetime(2025, 11, 23, 9, 0, tzinfo=UTC))  # imported after today's
    lisbon = datetime.fromisoformat("2025-11-23T10:00:00+01:00")  # 09:00 UTC: the same moment, told otherwise
    await store.add_turn(last_year, "user", "a year ago, later", at=datetime(2025, 11, 23, 9, 0, 30, tzinfo=UTC))
    await store.add_turn(last_year, "user", "a year ago", at=lisbon)
    await store.add_turn(last_year, "user", "a year ago, same moment", at=lisbon)
    assert [t.text for t in await store.turns()] == ["a year ago", "a year ago, same moment", "a year ago, later",
                                                     "today"]  # fmt: skip


async def test_an_erased_store_holds_nothing(store: Store, reopen: Reopen, persona: Persona, profile: Profile) -> None:
    await store.save_persona(persona)
    await store.save_profile(profile)
    turn = await store.add_turn(await store.start_session(), "user", "My sister is called Ana.")
    await store.add_memory(Memory(0, "fact", "Theo's sister is Ana.", (turn.id,), NOW), ("m", np.ones(4, "f4")))

    await store.erase()

    again = await reopen(store)
    assert await again.persona() is None and await again.profile() is None
    assert await again.turns() == [] and await again.queued_turns() == []
    assert await again.memories(include_past=True) == [] and await again.search_text("transcript", "Ana") == []
    assert (await again.vectors("memories", "m")).ids == []
    again.close()


def test_erasing_a_users_file_takes_its_folder(home: Path) -> None:
    store = SQLiteStore.open(home, "leaving")
    path = user_db_path(home, "leaving")
    assert path.exists()
    asyncio.run(store.erase())
    assert not path.parent.exists() and (home / "users").exists()


async def test_text_is_kept_exactly(store: Store) -> None:
    text = "  naïve café — 🌧️ \n 'quotes' \"and\" ; DROP TABLE turns; --  "
    await store.add_turn(await store.start_session(), "assistant", text)
    assert (await store.turns())[0].text == text


async def test_what_people_say_waits_for_extraction_across_a_restart(store: Store, reopen: Reopen) -> None:
    session = await store.start_session()
    said = await store.add_turn(session, "user", "my sister moved to Porto")
    await store.add_turn(session, "assistant", "Porto! Is she happy there?")
    await store.add_turn(session, "event", "Theo came back after two days")
    await store.add_turn(session, "user", "imported, already read", queue=False)
    later = await store.add_turn(session, "user", "she is")
    reopened = await reopen(store)
    assert [t.id for t in await reopened.queued_turns()] == [said.id, later.id]
    assert [t.id for t in await reopened.queued_turns(limit=1)] == [said.id]
    assert await reopened.queued_count() == 2
    await reopened.dequeue_turns([said.id])
    assert await reopened.queued_turns() == [later] and await reopened.queued_count() == 1
    reopened.close()


async def test_a_cut_reply_keeps_only_what_was_heard(store: Store) -> None:
    session = await store.start_session(NOW)
    reply = await store.add_turn(session, "assistant", "Lisbon in May is lovely, and the", at=NOW)
    unheard = await store.add_turn(session, "assistant", "Also, about your sister", at=NOW)
    await store.put_vectors("transcript", "m", [(reply.id, np.ones(4, dtype=np.float32))])
    await store.cut_turn(reply.id, "Lisbon in May")
    await store.cut_turn(unheard.id, "  ")  # nothing was heard: the turn goes
    await store.cut_turn(10_000, "gone already")  # a turn that is not there: nothing happens
    (cut,) = await store.session_turns(session)
    assert (cut.id, cut.text, cut.interrupted) == (reply.id, "Lisbon in May", True)
    assert (await store.vectors("transcript", "m")).ids == []  # the vector was made from the old words
    (again,) = await store.unembedded("transcript", "m")
    assert again.id == reply.id and datetime.fromtimestamp(again.happened).month == 5  # it tells of May


async def test_records_know_when_what_they_tell_happened(store: Store) -> None:
    friday = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)
    session = await store.start_session(friday)
    plain = await store.add_turn(session, "user", "I adopted a beagle", at=friday)
    dated = await store.add_turn(session, "user", "he comes home next weekend", at=friday)
    await store.add_turn(session, "event", "Theo came back next weekend", at=friday)  # events are never searched
    memory = await store.add_memory(
        Memory(id=0, kind="event", text="The beagle comes home.", source_turn_ids=(dated.id,), created_at=friday,
               valid_from=datetime(2026, 11, 28, 12, tzinfo=UTC))
    )  # fmt: skip
    turns = {record.id: record for record in await store.unembedded("transcript", "m")}
    assert list(turns) == [plain.id, dated.id]
    assert turns[plain.id].happened == turns[plain.id].said == friday.timestamp()
    assert datetime.fromtimestamp(turns[dated.id].happened).date() == date(2026, 11, 28)  # next Saturday
    (record,) = await store.unembedded("memories", "m")
    assert (record.id, record.said, record.happened) == (memory.id, friday.timestamp(), memory.valid_from.timestamp())
    await store.put_vectors("transcript", "m", [(dated.id, np.arange(3, dtype=np.float32))])
    index = await store.vectors("transcript", "m")
    assert index.ids == [dated.id] and index.matrix.tolist() == [[0.0, 1.0, 2.0]]
    assert index.said.tolist() == [friday.timestamp()] and index.happened.tolist() == [turns[dated.id].happened]


async def test_sessions_wait_for_a_diary_entry_until_they_have_one(store: Store) -> None:
    short, long = await store.start_session(NOW), await store.start_session(NOW)
    await store.add_turn(short, "user", "hi", at=NOW)
    said = [await store.add_turn(long, "user", text, at=NOW) for text in ("work was long", "I cooked pasta")]
    await store.add_turn(long, "assistant", "Sounds like a good evening.", at=NOW)  # the companion's lines do not count
    assert await store.sessions_without_episode(min_said=2) == [long]
    await store.add_memory(
        Memory(id=0, kind="episode", text="Theo talked: work was long / I cooked pasta",
               source_turn_ids=tuple(t.id for t in said), created_at=NOW)
    )  # fmt: skip
    assert await store.sessions_without_episode(min_said=2) == []
    assert await store.sessions_without_episode(min_said=1) == [short]


async def test_forget_takes_the_words_of_a_memory_its_turns_its_diary_entry_and_the_reflection(store: Store) -> None:
    session = await store.start_session(NOW)
    secret = await store.add_turn(session, "user", "my PIN is 4417", at=NOW)
    kept = await store.add_turn(session, "user", "I like my bank though", at=NOW)
    pin = await store.add_memory(
        Memory(id=0, kind="fact", text="Theo's PIN is 4417.", source_turn_ids=(secret.id,), created_at=NOW),
        ("m", np.ones(4, dtype=np.float32)),
    )
    await store.add_memory(
        Memory(id=0, kind="episode", text="Theo talked about his PIN and his bank.",
               source_turn_ids=(secret.id, kept.id), created_at=NOW)
    )  # fmt: skip
    await store.save_reflection(Reflection("Theo's PIN is 4417.", ("bank",), ("PIN?",), NOW, pin.id))
    assert (await store.reflection()) == Reflection("Theo's PIN is 4417.", ("bank",), ("PIN?",), NOW, pin.id)
    assert await store.forget_memory(pin.id)
    assert not await store.forget_memory(pin.id)
    assert await store.memory(pin.id) is None and await store.memories(include_past=True) == []
    assert await store.reflection() is None
    assert [(t.text, t.forgotten) for t in await store.turns()] == [("", True), ("I like my bank though", False)]
    assert [t.id for t in await store.queued_turns()] == [kept.id]
    assert await store.search_text("transcript", "PIN 4417") == []
    assert (await store.vectors("memories", "m")).ids == []
    assert await store.sessions_without_episode(min_said=1) == [session]  # to be written again without it

    entry = await store.add_memory(
        Memory(id=0, kind="episode", text="Theo talked about his bank.", source_turn_ids=(kept.id,), created_at=NOW)
    )
    assert await store.forget_memory(entry.id)
    assert await store.memories() == [] and await store.search_text("memories", "bank") == []
    assert await store.sessions_without_episode(min_said=1) == []  # an emptied entry is not written again
    assert (await store.turns())[1].text == "I like my bank though"  # a diary entry's turns keep their words


async def test_the_companions_inner_life_survives_a_restart_and_forgets_what_stood_on_a_forgotten_memory(
    store: Store, reopen: Reopen
) -> None:
    session = await store.start_session(NOW)
    said = await store.add_turn(session, "user", "I love climbing and my sister Zuzanna climbs too", at=NOW)
    other = await store.add_turn(session, "user", "I like jazz", at=NOW)
    climbing, jazz = [
        await store.add_memory(Memory(id=0, kind="preference", text=text, source_turn_ids=(turn.id,),
                                      created_at=NOW, subject="Theo", predicate="likes", object=thing))
        for text, thing, turn in (("Theo likes climbing.", "climbing", said), ("Theo likes jazz.", "jazz", other))
    ]  # fmt: skip
    setup, grown = ("warm", "curious", "witty"), ("playful", "warm", "curious", "witty")
    life = Inner(
        mood=Mood("curious", 0.5, "love", "climbing and my sister Zuzanna", NOW, said.id),
        changes=(
            TraitChange("playful", "stronger", setup, grown, "Zuzanna's climbing makes me playful.", climbing.id, NOW),
            TraitChange("witty", "softer", grown, grown[:3], "Jazz taught me to listen more than quip.", jazz.id, NOW),
        ),
        interests=(
            Interest("climbing", "I wonder how a wall feels.", NOW, (climbing.id,)),
            Interest("jazz", "Theo's records sound like rain.", NOW, (jazz.id,)),
        ),
        grown_at=NOW,
    )
    assert await store.inner() is None
    await store.save_inner(life)
    store = await reopen(store)
    assert await store.inner() == life
    assert life.traits(("warm", "curious", "witty")) == ("playful", "warm", "curious")

    assert await store.forget_memory(climbing.id)
    left = await store.inner()
    assert left is not None and left.mood is None  # the words that moved it are gone
    assert [i.topic for i in left.interests] == ["jazz"]
    assert [(c.why, c.memory_id) for c in left.changes] == [
        ("", None),  # the reason stood on the forgotten memory
        ("Jazz taught me to listen more than quip.", jazz.id),
    ]
    assert left.traits(()) == ("playful", "warm", "curious")  # what it became stays
    assert "zuzanna" not in json.dumps(left.record()).lower()
    store.close()


async def test_an_edited_memory_is_found_by_its_new_words_only(store: Store) -> None:
    memory = await store.add_memory(
        Memory(id=0, kind="fact", text="Theo lives in Lisbon.", source_turn_ids=(), created_at=NOW),
        ("m", np.ones(3, dtype=np.float32)),
    )
    await store.edit_memory(memory.id, "Theo lives in Porto.", ("m", np.full(3, 2.0, dtype=np.float32)))
    assert (await store.memory(memory.id) or pytest.fail("gone")).text == "Theo lives in Porto."
    assert await store.search_text("memories", "Lisbon") == []
    assert [i for i, _ in await store.search_text("memories", "Porto")] == [memory.id]
    assert (await store.vectors("memories", "m")).matrix.tolist() == [[2.0, 2.0, 2.0]]


async def test_word_search_ranks_the_better_match_first(store: Store) -> None:
    texts = ["Anna is Theo's sister.", "Theo's sister Anna works nights; Anna is a nurse.", "Theo likes pancakes."]
    ids = [
        (await store.add_memory(Memory(id=0, kind="fact", text=t, source_turn_ids=(), created_at=NOW))).id
        for t in texts
    ]
    hits = await store.search_text("memories", "is Anna a nurse?")
    assert [i for i, _ in hits] == [ids[1], ids[0]]  # both words first, then one; never the unrelated one
    assert hits[0][1] > hits[1][1] > 0  # higher is better
    assert [i for i, _ in await store.search_text("memories", "sisters", limit=1)] == [ids[0]]  # stems match


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
    assert (persona_now.offered, persona_now.refused) == ((), ())  # named before os1 kept its names: it narrows again
    store.close()


async def test_the_newest_memories_come_without_reading_them_all(store: Store) -> None:
    for i in range(6):
        await store.add_memory(Memory(id=0, kind="fact", text=f"fact {i}", source_turn_ids=(), created_at=NOW))
    assert [m.text for m in await store.memories(last=2)] == ["fact 4", "fact 5"]
    assert len(await store.memories()) == 6


async def test_only_so_many_stores_keep_their_files_open(tmp_path: Path) -> None:
    stores = [SQLiteStore.open(tmp_path, f"user{i}") for i in range(OPEN_FILES + 1)]
    first = stores[0]
    try:
        await first.add_turn(await first.start_session(), "user", "I am the first.")
        assert [store._connection is not None for store in stores[:3]] == [True, False, True]  # the least recent rests
        assert first._connection is not None and stores[1]._connection is None
        assert len(os.listdir("/proc/self/fd")) < 3 * len(stores)
        await stores[1].add_turn(await stores[1].start_session(), "user", "I am the second.")
        assert [t.text for t in await stores[1].turns()] == ["I am the second."]  # it opened again when used
        assert stores[2]._connection is None
    finally:
        for store in stores:
            store.close()


def in_memory(path: Path) -> int:
    """Bytes of a file the operating system holds in memory (util-linux's fincore)."""
    answer = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES", str(path)], capture_output=True)
    return int(answer.stdout)


async def test_a_resting_store_is_read_from_disk_in_a_worker_thread_before_it_is_used(home: Path) -> None:
    store = SQLiteStore.open(home, "theo")
    path = user_db_path(home, "theo")
    session = await store.start_session()
    for i in range(300):
        await store.add_turn(session, "user", f"line {i}: " + "words and more words " * 10)
    store.rest()  # its log is written into the file: the file is all there is
    fd = os.open(path, os.O_RDONLY)  # (no connection is open: closing this drops no lock of SQLite's)
    os.fsync(fd)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)  # the operating system lets go of the file's pages
    os.close(fd)
    assert in_memory(path) < path.stat().st_size / 4

    await store.wake()
    assert in_memory(path) == path.stat().st_size  # every page read, on a connection of the worker thread's
    assert store._connection is None  # the store's own opens on the event loop, when it is used
    said = store.add_turn(session, "user", "written while it wakes")
    await asyncio.gather(store.wake(), said)  # both at once: the reader sees the file as it was or as it is
    assert [t.text for t in (await store.turns())[-2:]] == ["line 299: " + "words and more words " * 10,
                                                             "written while it wakes"]  # fmt: skip
    store.close()
