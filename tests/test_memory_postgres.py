import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from os1.errors import StoreCorrupt, StoreError
from os1.memory.embed import MiniLM
from os1.memory.postgres import PostgresStore
from os1.memory.postgres_database import MIGRATIONS, Json, close_pools, connect, m1_users_transcript_memories
from os1.memory.recall import Recall
from os1.memory.store import Memory, Store
from tests import test_memory_recall as on_recall
from tests import test_memory_sqlite as on_sqlite
from tests.conftest import new_database

NOW = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def database(postgres: str) -> str:
    """One database for the session's tests: each test is a user of its own in it."""
    return new_database(postgres)


@pytest.fixture(autouse=True)
async def pools_closed() -> AsyncIterator[None]:
    """Each test has an event loop of its own: the pools opened in it are closed in it."""
    yield
    await close_pools()


@pytest.fixture
async def store(database: str) -> PostgresStore:
    return await PostgresStore.open(database, f"user-{uuid.uuid4()}")


@pytest.fixture
def reopen(database: str) -> on_sqlite.Reopen:
    """Close a store and the process's pool, then open the user's data again, as a restart of the server does."""

    async def reopen(store: Store) -> Store:
        assert isinstance(store, PostgresStore)
        store.close()
        await close_pools()
        return await PostgresStore.open(database, store.user_id)

    return reopen


# What every store must do, checked on SQLite in those modules, runs here on PostgreSQL: the same test functions,
# given this module's ``store`` and ``reopen``.
test_profile_persona_and_transcript_survive_a_restart = on_sqlite.test_profile_persona_and_transcript_survive_a_restart
test_text_is_kept_exactly = on_sqlite.test_text_is_kept_exactly
test_an_erased_store_holds_nothing = on_sqlite.test_an_erased_store_holds_nothing
test_the_transcript_is_in_the_order_it_was_said = on_sqlite.test_the_transcript_is_in_the_order_it_was_said
test_what_people_say_waits_for_extraction_across_a_restart = (
    on_sqlite.test_what_people_say_waits_for_extraction_across_a_restart
)
test_a_cut_reply_keeps_only_what_was_heard = on_sqlite.test_a_cut_reply_keeps_only_what_was_heard
test_records_know_when_what_they_tell_happened = on_sqlite.test_records_know_when_what_they_tell_happened
test_sessions_wait_for_a_diary_entry_until_they_have_one = (
    on_sqlite.test_sessions_wait_for_a_diary_entry_until_they_have_one
)
test_forget_takes_the_words_of_a_memory_its_turns_its_diary_entry_and_the_reflection = (
    on_sqlite.test_forget_takes_the_words_of_a_memory_its_turns_its_diary_entry_and_the_reflection
)
test_the_companions_inner_life_survives_a_restart_and_forgets_what_stood_on_a_forgotten_memory = (
    on_sqlite.test_the_companions_inner_life_survives_a_restart_and_forgets_what_stood_on_a_forgotten_memory
)
test_an_edited_memory_is_found_by_its_new_words_only = on_sqlite.test_an_edited_memory_is_found_by_its_new_words_only
test_word_search_ranks_the_better_match_first = on_sqlite.test_word_search_ranks_the_better_match_first
test_the_newest_memories_come_without_reading_them_all = (
    on_sqlite.test_the_newest_memories_come_without_reading_them_all
)
test_the_right_memory_comes_first = on_recall.test_the_right_memory_comes_first
test_a_closed_memory_stays_findable_but_ranks_after_the_current_one = (
    on_recall.test_a_closed_memory_stays_findable_but_ranks_after_the_current_one
)
test_queries_with_punctuation_are_just_words = on_recall.test_queries_with_punctuation_are_just_words
test_function_words_do_not_decide = on_recall.test_function_words_do_not_decide
test_a_new_embedding_model_embeds_everything_again_and_never_mixes = (
    on_recall.test_a_new_embedding_model_embeds_everything_again_and_never_mixes
)
test_the_transcript_is_searched_too = on_recall.test_the_transcript_is_searched_too
test_a_memory_and_the_turn_it_came_from_are_listed_once = (
    on_recall.test_a_memory_and_the_turn_it_came_from_are_listed_once
)
test_a_question_about_last_month_looks_at_last_month = on_recall.test_a_question_about_last_month_looks_at_last_month
test_a_question_about_a_month_finds_what_was_said_of_it_before = (
    on_recall.test_a_question_about_a_month_finds_what_was_said_of_it_before
)
test_memories_added_one_by_one_are_found_as_if_read_at_once = (
    on_recall.test_memories_added_one_by_one_are_found_as_if_read_at_once
)


async def test_two_users_never_see_each_other(database: str, embedder: MiniLM) -> None:
    theo, anna = [await PostgresStore.open(database, f"{name}-{uuid.uuid4()}") for name in ("theo", "anna")]
    said = {}
    for store, secret in ((theo, "zanzibar"), (anna, "quokka")):
        recall = Recall(store, embedder, clock=lambda: NOW)
        session = await store.start_session(NOW)
        said[store.user_id] = await store.add_turn(session, "user", f"my secret word is {secret}", at=NOW)
        await recall.remember(Memory(id=0, kind="fact", text=f"The secret word is {secret}.",
                                     source_turn_ids=(said[store.user_id].id,), created_at=NOW))  # fmt: skip
        await recall.reembed()
    for store, mine, theirs in ((theo, "zanzibar", "quokka"), (anna, "quokka", "zanzibar")):
        assert [t.text for t in await store.turns()] == [f"my secret word is {mine}"]
        assert [t.text for t in await store.queued_turns()] == [f"my secret word is {mine}"]
        assert [m.text for m in await store.memories()] == [f"The secret word is {mine}."]
        for corpus in ("memories", "transcript"):
            assert await store.search_text(corpus, theirs) == []
            assert len(await store.search_text(corpus, mine)) == 1
            assert len((await store.vectors(corpus, embedder.model_id)).ids) == 1
        hits = await Recall(store, embedder, clock=lambda: NOW).search(f"what is the secret word? {theirs}")
        assert hits and all(theirs not in hit.text for hit in hits)

    with pytest.raises(ValueError, match="needs a user id"):
        PostgresStore(await connect(database), "")  # an empty id is a caller's bug, never a user
    # Anna's store, given Theo's ids, finds nothing and changes nothing
    theirs_turn = said[theo.user_id]
    (theirs_memory,) = await theo.memories()
    assert await anna.memory(theirs_memory.id) is None
    assert await anna.memories_by_id([theirs_memory.id]) == [] and await anna.turns_by_id([theirs_turn.id]) == []
    assert await anna.session_turns(theirs_turn.session_id) == []
    assert not await anna.forget_memory(theirs_memory.id)
    await anna.close_memory(theirs_memory.id, NOW)
    await anna.edit_memory(theirs_memory.id, "Theo has no secrets.")
    await anna.cut_turn(theirs_turn.id, "")
    await anna.dequeue_turns([theirs_turn.id])
    with pytest.raises(StoreError, match="refused a record"):
        await anna.add_turn(theirs_turn.session_id, "user", "writing into Theo's conversation")
    with pytest.raises(StoreError, match="refused a record"):
        await anna.put_vectors("memories", embedder.model_id, [(theirs_memory.id, np.zeros(embedder.dim, "f4"))])
    assert await theo.memories() == [theirs_memory]
    assert await theo.turns() == [theirs_turn] == await theo.queued_turns()
    assert np.any((await theo.vectors("memories", embedder.model_id)).matrix)
    await anna.erase()  # Anna leaves: Theo's rows stay
    assert await theo.memories() == [theirs_memory] and await theo.turns() == [theirs_turn]


async def test_a_new_store_object_finds_what_an_earlier_one_stored(database: str, embedder: MiniLM) -> None:
    user = f"user-{uuid.uuid4()}"
    await on_recall.remember_all(Recall(await PostgresStore.open(database, user), embedder, clock=lambda: NOW))
    await close_pools()
    second = await PostgresStore.open(database, user)
    hits = await Recall(second, embedder, clock=lambda: NOW).search("sister", limit=1)
    assert hits[0].text.startswith("Anna is Theo's sister")
    assert set(hits[0].ranks) == {"meaning", "words", "recent"}


async def test_forget_leaves_no_version_of_a_row_behind(store: PostgresStore, database: str, embedder: MiniLM) -> None:
    recall = Recall(store, embedder, clock=lambda: NOW)
    await on_recall.remember_all(recall)
    session = await store.start_session(NOW)
    said = await store.add_turn(session, "user", "my PIN is zanzibarquux4417, don't tell", at=NOW)
    kept = await store.add_turn(session, "user", "I like my bank though", at=NOW)
    await recall.reembed()
    secret = await recall.remember(
        Memory(id=0, kind="fact", text="Theo's bank PIN is Zanzibarquux4417.", source_turn_ids=(said.id,),
               created_at=NOW)
    )  # fmt: skip
    assert (await recall.search("Zanzibarquux4417", limit=1))[0].source_turn_ids == (said.id,)
    assert row_versions_holding(database, "zanzibarquux") == 2  # the memory and the turn
    assert await recall.forget(secret.id)
    assert await store.memory(secret.id) is None
    assert await store.search_text("memories", "Zanzibarquux4417") == []
    assert await store.search_text("transcript", "Zanzibarquux4417") == []
    (turn, other) = await store.turns_by_id([said.id, kept.id])
    assert turn.forgotten and turn.text == "" and other.text == "I like my bank though"
    assert said.id not in (await store.vectors("transcript", embedder.model_id)).ids
    assert row_versions_holding(database, "zanzibarquux") == 0  # deleted, and vacuumed: not even a dead version


def row_versions_holding(database: str, word: str) -> int:
    """How many row versions, live or dead, in os1's tables hold ``word``, read from the table pages themselves."""
    with psycopg.connect(database, autocommit=True) as db:
        db.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
        (count,) = db.execute(
            "SELECT count(*) FROM pg_class c, generate_series(0, pg_relation_size(c.oid) / 8192 - 1) AS page, "
            "heap_page_items(get_raw_page(c.oid::regclass::text, page::int)) AS item "
            "WHERE (c.relnamespace = 'os1'::regnamespace AND c.relkind = 'r' OR c.oid IN "
            "(SELECT reltoastrelid FROM pg_class WHERE relnamespace = 'os1'::regnamespace)) "
            "AND lower(encode(item.t_data, 'escape')) LIKE %s",
            (f"%{word}%",),
        ).fetchone() or (0,)
    return int(count)


async def test_an_unreachable_database_is_a_store_error_without_the_password(postgres: str, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"cannot reach PostgreSQL database 'os1'.*is PostgreSQL running") as error:
        await PostgresStore.open(f"postgresql://os1:hunter2@/os1?host={tmp_path}", "theo")  # no server there
    assert "hunter2" not in str(error.value)
    with pytest.raises(StoreError, match=r"cannot reach PostgreSQL database 'nowhere'.*does not exist"):
        await PostgresStore.open(make_conninfo(postgres, dbname="nowhere"), "theo")
    with pytest.raises(StoreError, match="give the database as a URL like postgresql://"):
        await PostgresStore.open("the usual database", "theo")


async def test_a_database_from_a_newer_os1_is_refused(postgres: str) -> None:
    url = new_database(postgres)
    await connect(url)
    await close_pools()
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("UPDATE os1.schema_version SET version = 99")
    with pytest.raises(
        StoreError, match=rf"newer os1 \(schema 99, this one knows {len(MIGRATIONS)}\).*nothing was changed"
    ):
        await PostgresStore.open(url, "theo")
    with psycopg.connect(url, autocommit=True) as db:
        assert db.execute("SELECT version FROM os1.schema_version").fetchall() == [(99,)]


async def test_a_persona_named_before_keeps_its_name_and_can_be_named_again(postgres: str) -> None:
    url = new_database(postgres)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as db:
        await m1_users_transcript_memories(db)  # the first schema, with a persona of its time
        await db.execute("INSERT INTO os1.schema_version (version) VALUES (1)")
        persona = {"name": "Wren", "why": "It is short.", "traits": ["warm"], "voice": "neutral",
                   "created_at": "2026-11-20T19:59:00+00:00", "names_considered": 727556}  # fmt: skip
        await db.execute("INSERT INTO os1.kv VALUES ('theo', 'persona', %s)", (Json(persona),))
    store = await PostgresStore.open(url, "theo")
    upgraded = await store.persona()
    assert upgraded is not None and (upgraded.name, upgraded.offered, upgraded.refused) == ("Wren", (), ())
    await store.save_persona(replace(upgraded, name="Nora", offered=("Nora", "Wren"), refused=("Wren",)))
    again = await store.persona()
    assert again is not None and (again.name, again.offered, again.refused) == ("Nora", ("Nora", "Wren"), ("Wren",))


async def test_servers_starting_at_once_set_the_database_up_once(postgres: str) -> None:
    url = new_database(postgres)
    first, second = await asyncio.gather(connect(url), connect(url))
    assert first is second  # one pool per database in a process
    with psycopg.connect(url, autocommit=True) as db:
        assert db.execute("SELECT version FROM os1.schema_version").fetchall() == [(len(MIGRATIONS),)]


async def test_a_foreign_os1_schema_is_refused_and_left_untouched(postgres: str) -> None:
    url = new_database(postgres)
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("CREATE SCHEMA os1; CREATE TABLE os1.photos (name text); INSERT INTO os1.photos VALUES ('beach')")
    with pytest.raises(StoreCorrupt, match="not os1's; it was left untouched"):
        await PostgresStore.open(url, "theo")
    with psycopg.connect(url, autocommit=True) as db:
        assert db.execute("SELECT name FROM os1.photos").fetchall() == [("beach",)]
        assert db.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'os1'").fetchone() == (1,)


async def test_a_database_user_without_superuser_rights_is_told_what_to_ask_for(postgres: str) -> None:
    url = new_database(postgres)
    role = f"os1_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f"CREATE ROLE {role} LOGIN")
    as_role = make_conninfo(url, user=role)
    with pytest.raises(StoreError, match=r"permission denied to create extension.*As a superuser, install pgvector"):
        await PostgresStore.open(as_role, "theo")
    with psycopg.connect(url, autocommit=True) as db:  # what an administrator does once
        db.execute("CREATE EXTENSION vector; CREATE EXTENSION btree_gin")
        db.execute(f"GRANT CREATE ON DATABASE {psycopg.conninfo.conninfo_to_dict(url)['dbname']} TO {role}")
    store = await PostgresStore.open(as_role, "theo")
    await store.add_turn(await store.start_session(), "user", "hello")
    assert [t.text for t in await store.turns()] == ["hello"]


async def test_text_postgres_cannot_hold_is_refused_and_nothing_is_stored(store: PostgresStore) -> None:
    session = await store.start_session()
    with pytest.raises(StoreError, match="refused a record"):
        await store.add_turn(session, "user", "a NUL \x00 byte")
    assert await store.turns() == [] and await store.queued_turns() == []
