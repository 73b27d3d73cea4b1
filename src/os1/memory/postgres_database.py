"""The PostgreSQL database behind ``PostgresStore``: one connection pool per database in a process, and the
database's tables (in the ``os1`` schema) brought up to date by the migrations here before the pool opens, one
process at a time (an advisory lock). Errors become os1's ``StoreError``, naming the database, never its password.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

try:
    import psycopg
    from pgvector.psycopg import register_vector_async
    from psycopg.conninfo import conninfo_to_dict
    from psycopg.rows import TupleRow
    from psycopg.types.json import Json
    from psycopg_pool import AsyncConnectionPool
except ImportError as exc:
    raise ImportError("the PostgreSQL store needs the 'postgres' extra: pip install 'os1[postgres]'") from exc

from os1.errors import StoreCorrupt, StoreError

__all__ = ["Connection", "Json", "Pool", "TupleRow", "close_pools", "connect", "one", "translated"]

Connection = psycopg.AsyncConnection[TupleRow]
Pool = AsyncConnectionPool[Connection]

MIGRATION_LOCK = 0x4F533121  # "OS1!": the advisory lock one process holds while it migrates
CONNECT_SECONDS = 5  # an unreachable server is reported after this long, not after the pool's 30 s
POOL_SIZE = 10

_pools: dict[str, Pool] = {}


async def m1_users_transcript_memories(db: Connection) -> None:
    """The transcript, profile, persona, memories, the extraction queue and vectors, as SQLite's m1 to m5 left
    them, with a user id in every key."""
    await db.execute(
        """
        CREATE EXTENSION IF NOT EXISTS vector;
        CREATE EXTENSION IF NOT EXISTS btree_gin;  -- a user's word search is one index scan: (user_id, words)
        CREATE SCHEMA os1;
        CREATE TABLE os1.schema_version (version integer NOT NULL);
        CREATE TABLE os1.kv (user_id text, key text, value json NOT NULL, PRIMARY KEY (user_id, key));
        CREATE TABLE os1.sessions (
            user_id text, id bigint GENERATED ALWAYS AS IDENTITY, started_at timestamptz NOT NULL,
            PRIMARY KEY (user_id, id)
        );
        CREATE TABLE os1.turns (
            user_id text, id bigint GENERATED ALWAYS AS IDENTITY, session_id bigint NOT NULL,
            speaker text NOT NULL CHECK (speaker <> ''), text text NOT NULL, at timestamptz NOT NULL,
            interrupted boolean NOT NULL DEFAULT false, model_id text, external_id text,
            forgotten boolean NOT NULL DEFAULT false,  -- the user had os1 forget its words
            tells_of timestamptz,  -- the day its words name (dates.told_of), at noon
            words tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
            PRIMARY KEY (user_id, id), FOREIGN KEY (user_id, session_id) REFERENCES os1.sessions (user_id, id)
        );
        CREATE INDEX turns_by_session ON os1.turns (user_id, session_id);
        CREATE INDEX turns_words ON os1.turns USING gin (user_id, words);
        CREATE TABLE os1.memories (
            user_id text, id bigint GENERATED ALWAYS AS IDENTITY, kind text NOT NULL, text text NOT NULL,
            subject text, predicate text, object text, valid_from timestamptz, valid_to timestamptz,
            importance double precision NOT NULL DEFAULT 0.5, source_turn_ids bigint[] NOT NULL DEFAULT '{}',
            extracted_by text, created_at timestamptz NOT NULL,
            words tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
            PRIMARY KEY (user_id, id)
        );
        CREATE INDEX memories_by_key ON os1.memories (user_id, subject, predicate) WHERE valid_to IS NULL;
        CREATE INDEX memories_words ON os1.memories USING gin (user_id, words);
        -- turns waiting for extraction, queued in the transaction that stores the turn
        CREATE TABLE os1.memory_queue (
            user_id text, turn_id bigint, PRIMARY KEY (user_id, turn_id),
            FOREIGN KEY (user_id, turn_id) REFERENCES os1.turns (user_id, id) ON DELETE CASCADE
        );
        CREATE TABLE os1.memory_vectors (
            user_id text, memory_id bigint, model_id text NOT NULL, vector vector NOT NULL,
            PRIMARY KEY (user_id, memory_id),
            FOREIGN KEY (user_id, memory_id) REFERENCES os1.memories (user_id, id) ON DELETE CASCADE
        );
        CREATE TABLE os1.turn_vectors (
            user_id text, turn_id bigint, model_id text NOT NULL, vector vector NOT NULL,
            PRIMARY KEY (user_id, turn_id),
            FOREIGN KEY (user_id, turn_id) REFERENCES os1.turns (user_id, id) ON DELETE CASCADE
        );
        """
    )


async def m2_persona_names(db: Connection) -> None:
    """As SQLite's m6: every persona keeps the names its naming offered and those the user turned down (none, for
    one named before)."""
    await db.execute(
        "UPDATE os1.kv SET value = (jsonb_build_object('offered', '[]'::jsonb, 'refused', '[]'::jsonb) "
        "|| value::jsonb)::json WHERE key = 'persona'"
    )


MIGRATIONS: list[Callable[[Connection], Awaitable[None]]] = [m1_users_transcript_memories, m2_persona_names]


async def connect(url: str) -> Pool:
    """This process's pool for the database at ``url``, opened on first use, after the schema is brought up to
    date. Use it from one event loop (the server's); ``close_pools()`` closes it there."""
    pool = _pools.get(url)
    if pool is not None:
        return pool
    where = _where(url)
    async with translated(where):
        async with await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=CONNECT_SECONDS) as db:
            await _migrate(db, where)
        opened: Pool = AsyncConnectionPool(
            url,
            kwargs={"autocommit": True, "connect_timeout": CONNECT_SECONDS},
            min_size=1,
            max_size=POOL_SIZE,
            open=False,
            configure=_configure,
            check=AsyncConnectionPool.check_connection,
            timeout=2 * CONNECT_SECONDS,
            name=where,
        )
        try:
            await opened.open(wait=True, timeout=2 * CONNECT_SECONDS)
        except BaseException:
            await opened.close()  # its workers would go on trying to connect
            raise
    pool = _pools.setdefault(url, opened)  # another task may have opened one meanwhile
    if pool is not opened:
        await opened.close()
    return pool


async def close_pools() -> None:
    """Close every pool this process opened (at shutdown, in the event loop that used them)."""
    while _pools:
        _, pool = _pools.popitem()
        await pool.close()


async def _migrate(db: Connection, where: str) -> None:
    await db.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))  # one process migrates at a time
    try:
        cursor = await db.execute(
            "SELECT to_regnamespace('os1') IS NOT NULL, to_regclass('os1.schema_version') IS NOT NULL"
        )
        has_schema, has_version = await one(cursor)
        if has_schema and not has_version:
            raise StoreCorrupt(
                f"{where} has a schema named os1 that is not os1's; it was left untouched. "
                "Use another database, or move that schema away"
            )
        version = 0
        if has_version:
            (version,) = await one(await db.execute("SELECT coalesce(max(version), 0) FROM os1.schema_version"))
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{where} was written by a newer os1 (schema {version}, this one knows {len(MIGRATIONS)}); "
                "upgrade os1: nothing was changed"
            )
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            try:
                async with db.transaction():  # one transaction per migration
                    await migration(db)
                    await db.execute("DELETE FROM os1.schema_version")
                    await db.execute("INSERT INTO os1.schema_version (version) VALUES (%s)", (number,))
            except (psycopg.errors.InsufficientPrivilege, psycopg.errors.FeatureNotSupported) as exc:
                raise StoreError(
                    f"cannot set up os1's tables in {where} ({_one_line(exc)}): os1 needs the pgvector and btree_gin "
                    "extensions and a database user that may create a schema. As a superuser, install pgvector on "
                    "the server and run CREATE EXTENSION vector; CREATE EXTENSION btree_gin; in that database"
                ) from exc
    finally:
        await db.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


@asynccontextmanager
async def translated(where: str) -> AsyncIterator[None]:
    try:
        yield
    except psycopg.OperationalError as exc:  # includes the pool's timeouts
        raise StoreError(
            f"cannot reach {where} ({_one_line(exc)}): is PostgreSQL running, and are the URL and password right?"
        ) from exc
    except (psycopg.IntegrityError, psycopg.DataError) as exc:
        raise StoreError(f"{where} refused a record ({_one_line(exc)}); nothing was written") from exc
    except psycopg.errors.InsufficientPrivilege as exc:
        raise StoreError(
            f"cannot write {where} ({_one_line(exc)}): grant the database user access to the os1 schema"
        ) from exc


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())  # libpq's messages run over several lines


async def _configure(db: Connection) -> None:
    await db.execute("SET TIME ZONE 'UTC'")  # times come back in UTC, as os1 writes them
    await register_vector_async(db)


def _where(url: str) -> str:
    """The database, for messages: never its password."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise StoreError(f"{exc}: give the database as a URL like postgresql://os1@localhost/os1") from exc
    host = params.get("host") or "localhost"
    port = f":{params['port']}" if params.get("port") else ""
    return f"PostgreSQL database {params.get('dbname') or '(default)'!r} on {host}{port}"


async def one(cursor: psycopg.AsyncCursor[TupleRow]) -> TupleRow:
    row = await cursor.fetchone()
    assert row is not None  # the statement always returns a row
    return row
