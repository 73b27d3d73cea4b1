"""Every user's data in one PostgreSQL database (pgvector for vectors, full-text search for words), for a server.

Every row carries its ``user_id``, every query filters on it, and every reference between rows is a composite key
that includes it (a turn's session, a vector's memory), so a ``PostgresStore`` reads and writes its own user's rows
only: another user's ids are, to it, ids that do not exist. Where SQLiteStore differs: ids are unique across the
database instead of counting from 1 per user, times come back in UTC (the same instants), word search ranks by
``ts_rank_cd`` instead of BM25, and text holding a NUL character is refused (PostgreSQL text cannot hold one).

A process keeps one connection pool per database (``postgres_database.py``): ``PostgresStore.open`` makes it on
first use, after bringing the tables (in the ``os1`` schema) up to date, and ``close_pools()`` closes them, in the
event loop that used them. A store's ``close()`` releases nothing: the pool is shared with the other users.

Forgetting deletes the rows, then runs ``VACUUM (INDEX_CLEANUP ON)`` on the tables that hold words, so that no
version of the rows is left, dead or alive, and no index entry points at one. What PostgreSQL may keep even so, and
no command the store may run removes: the write-ahead log (until its segments are recycled, and any WAL archive,
replica or backup), the bytes of freed space in a table page until new rows overwrite them (VACUUM does not zero
them), the stemmed words as keys of the full-text indexes (GIN keeps a key whose rows are gone, with no link to
them, until ``REINDEX``), and rows that a transaction older than the forgetting can still see (the next vacuum
after it ends removes them). An administrator can run ``REINDEX INDEX CONCURRENTLY`` on ``os1.memories_words`` and
``os1.turns_words``, and ``VACUUM FULL`` (it locks the tables), in a quiet hour.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from os1.memory.postgres_database import Connection, Json, Pool, TupleRow, connect, one, translated
from os1.memory.schema import tells_of
from os1.memory.store import (
    Corpus,
    Indexed,
    Inner,
    Memory,
    Persona,
    Profile,
    Reflection,
    Speaker,
    Turn,
    Unembedded,
    Vector,
)
from os1.memory.words import STOPWORDS

# Per corpus: the table, its vector table and that table's key, which records count, and the SQL for when a record
# was said and when what it tells happened.
_CORPORA: dict[Corpus, tuple[str, str, str, str, str, str]] = {
    "memories": ("os1.memories", "os1.memory_vectors", "memory_id", "r.text <> ''", "r.created_at",
                 "coalesce(r.valid_from, r.created_at)"),
    "transcript": ("os1.turns", "os1.turn_vectors", "turn_id", "r.speaker <> 'event' AND NOT r.forgotten", "r.at",
                   "coalesce(r.tells_of, r.at)"),
}  # fmt: skip
_TURN_COLUMNS = "id, session_id, speaker, text, at, interrupted, model_id, external_id, forgotten"
_MEMORY_COLUMNS = (
    "id, kind, text, source_turn_ids, created_at, subject, predicate, object, valid_from, valid_to, importance, "
    "extracted_by"
)
# The tables that hold words, vacuumed after forgetting: vectors too, as words can be guessed back from them.
_WITH_WORDS = "os1.memories, os1.memory_vectors, os1.turns, os1.turn_vectors, os1.kv"


class PostgresStore:
    """One user's data in the shared database."""

    def __init__(self, pool: Pool, user_id: str):
        if not user_id:
            raise ValueError(f"a PostgresStore needs a user id (not {user_id!r})")
        self.user_id = user_id
        self._pool = pool
        self._where = pool.name  # where the pool is connected, for messages

    @classmethod
    async def open(cls, url: str, user_id: str) -> PostgresStore:
        """``user_id``'s store in the database at ``url`` (a ``postgresql://`` URL or a libpq connection string),
        on this process's pool for it."""
        return cls(await connect(url), user_id)

    def close(self) -> None:
        """Nothing to release: the pool is the process's (``close_pools``)."""

    async def wake(self) -> None:
        """Nothing to do: every call is already made without holding up the event loop."""

    async def erase(self) -> None:
        """Delete every row of this user's, in one transaction."""
        async with self._db() as db, db.transaction():
            for table in ("memory_vectors", "turn_vectors", "memory_queue", "memories", "turns", "sessions", "kv"):
                await db.execute(f"DELETE FROM os1.{table} WHERE user_id = %s", (self.user_id,))

    async def profile(self) -> Profile | None:
        data = await self._get("profile")
        if data is None:
            return None
        return Profile(name=data["name"], answers=data["answers"], created_at=_time(data["created_at"]))

    async def save_profile(self, profile: Profile) -> None:
        await self._put("profile", {**asdict(profile), "created_at": profile.created_at.isoformat()})

    async def persona(self) -> Persona | None:
        data = await self._get("persona")
        if data is None:
            return None
        for names in ("traits", "offered", "refused"):
            data[names] = tuple(data[names])
        data["created_at"] = _time(data["created_at"])
        return Persona(**data)

    async def save_persona(self, persona: Persona) -> None:
        await self._put("persona", {**asdict(persona), "created_at": persona.created_at.isoformat()})

    async def reflection(self) -> Reflection | None:
        data = await self._get("reflection")
        if data is None:
            return None
        return Reflection(
            data["about"], tuple(data["open_threads"]), tuple(data["follow_ups"]), _time(data["written_at"]),
            data["memories_seen"],
        )  # fmt: skip

    async def save_reflection(self, reflection: Reflection) -> None:
        await self._put("reflection", {**asdict(reflection), "written_at": reflection.written_at.isoformat()})

    async def inner(self) -> Inner | None:
        data = await self._get("inner")
        return None if data is None else Inner.from_record(data)

    async def save_inner(self, inner: Inner) -> None:
        await self._put("inner", inner.record())

    async def sessions_without_episode(self, *, min_said: int) -> list[int]:
        rows = await self._rows(
            "SELECT s.id FROM os1.sessions s WHERE s.user_id = %(u)s AND (SELECT count(*) FROM os1.turns t "
            "WHERE t.user_id = %(u)s AND t.session_id = s.id AND t.speaker NOT IN ('assistant', 'event') "
            "AND NOT t.forgotten) >= %(min)s AND NOT EXISTS (SELECT 1 FROM os1.memories m JOIN os1.turns t "
            "ON t.user_id = %(u)s AND t.id = m.source_turn_ids[1] WHERE m.user_id = %(u)s AND m.kind = 'episode' "
            "AND t.session_id = s.id) ORDER BY s.id",
            {"u": self.user_id, "min": min_said},
        )
        return [int(row[0]) for row in rows]

    async def session_turns(self, session_id: int) -> list[Turn]:
        return await self._turns("session_id = %s ORDER BY id", (session_id,))

    async def start_session(self, started_at: datetime | None = None) -> int:
        (row,) = await self._rows(
            "INSERT INTO os1.sessions (user_id, started_at) VALUES (%s, %s) RETURNING id",
            (self.user_id, started_at or _now()),
        )
        return int(row[0])

    async def add_turn(
        self,
        session_id: int,
        speaker: Speaker,
        text: str,
        *,
        interrupted: bool = False,
        model_id: str | None = None,
        at: datetime | None = None,
        external_id: str | None = None,
        queue: bool = True,
    ) -> Turn:
        """Store a turn; what people say is also queued for memory extraction unless ``queue`` is False."""
        at = at or _now()
        told = None if speaker == "event" else _day(tells_of(text, at))
        async with self._db() as db, db.transaction():
            cursor = await db.execute(
                "INSERT INTO os1.turns (user_id, session_id, speaker, text, at, interrupted, model_id, external_id, "
                "tells_of) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s) RETURNING id",
                (self.user_id, session_id, speaker, text, at, interrupted, model_id, external_id, told),
            )
            (turn_id,) = await one(cursor)
            if queue and speaker not in ("assistant", "event"):  # what people said is what memory is made of
                await db.execute(
                    "INSERT INTO os1.memory_queue (user_id, turn_id) VALUES (%s, %s)", (self.user_id, turn_id)
                )
        return Turn(turn_id, session_id, speaker, text, at, interrupted, model_id, external_id)

    async def turns(self) -> list[Turn]:
        return await self._turns("true ORDER BY at, id", ())

    async def queued_turns(self, *, limit: int = 100) -> list[Turn]:
        """Turns waiting for memory extraction, oldest first."""
        return await self._turns(
            "id IN (SELECT turn_id FROM os1.memory_queue WHERE user_id = %s) ORDER BY id LIMIT %s",
            (self.user_id, limit),
        )

    async def queued_count(self) -> int:
        rows = await self._rows("SELECT count(*) FROM os1.memory_queue WHERE user_id = %s", (self.user_id,))
        return int(rows[0][0])

    async def dequeue_turns(self, turn_ids: Sequence[int]) -> None:
        await self._rows(
            "DELETE FROM os1.memory_queue WHERE user_id = %s AND turn_id = ANY(%s)", (self.user_id, list(turn_ids))
        )

    async def add_memory(self, memory: Memory, embedding: tuple[str, Vector] | None = None) -> Memory:
        """Store a memory (its ``id`` is ignored) and, with ``embedding`` = (model id, vector), its vector."""
        async with self._db() as db, db.transaction():
            cursor = await db.execute(
                "INSERT INTO os1.memories (user_id, kind, text, source_turn_ids, created_at, subject, predicate, "
                "object, valid_from, valid_to, importance, extracted_by) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) "
                "RETURNING id",
                (
                    self.user_id, memory.kind, memory.text, list(memory.source_turn_ids), memory.created_at,
                    memory.subject, memory.predicate, memory.object, memory.valid_from, memory.valid_to,
                    memory.importance, memory.extracted_by,
                ),
            )  # fmt: skip
            (memory_id,) = await one(cursor)
            stored = replace(memory, id=memory_id)
            if embedding is not None:
                await self._put_vectors(db, "memories", embedding[0], [(memory_id, embedding[1])])
        return stored

    async def close_memory(self, memory_id: int, valid_to: datetime) -> None:
        """Mark a memory as no longer true from ``valid_to`` on; it stays, as the past."""
        await self._rows(
            "UPDATE os1.memories SET valid_to = %s WHERE user_id = %s AND id = %s", (valid_to, self.user_id, memory_id)
        )

    async def memory(self, memory_id: int) -> Memory | None:
        found = await self.memories_by_id([memory_id])
        return found[0] if found else None

    async def memories_by_id(self, memory_ids: Sequence[int]) -> list[Memory]:
        rows = await self._rows(
            f"SELECT {_MEMORY_COLUMNS} FROM os1.memories WHERE user_id = %s AND id = ANY(%s) ORDER BY id",
            (self.user_id, list(memory_ids)),
        )
        return [_memory(row) for row in rows]

    async def memories(self, *, include_past: bool = False, last: int | None = None) -> list[Memory]:
        """Memories in the order they were made; with ``last``, only the newest that many."""
        past = "" if include_past else " AND valid_to IS NULL"
        rows = await self._rows(
            f"SELECT {_MEMORY_COLUMNS} FROM os1.memories WHERE user_id = %s AND text <> ''{past} "
            "ORDER BY id DESC LIMIT %s",
            (self.user_id, last),  # LIMIT NULL: all of them
        )
        return [_memory(row) for row in reversed(rows)]

    async def current_with_key(self, subject: str, predicate: str) -> list[Memory]:
        """The memories still true about ``subject`` and ``predicate`` (what a new fact may supersede)."""
        rows = await self._rows(
            f"SELECT {_MEMORY_COLUMNS} FROM os1.memories WHERE user_id = %s AND subject = %s AND predicate = %s "
            "AND valid_to IS NULL ORDER BY id",
            (self.user_id, subject, predicate),
        )
        return [_memory(row) for row in rows]

    async def cut_turn(self, turn_id: int, text: str) -> None:
        async with self._db() as db, db.transaction():
            if not text.strip():
                await db.execute("DELETE FROM os1.turns WHERE user_id = %s AND id = %s", (self.user_id, turn_id))
                return
            cursor = await db.execute(
                "SELECT at FROM os1.turns WHERE user_id = %s AND id = %s", (self.user_id, turn_id)
            )
            row = await cursor.fetchone()
            if row is None:
                return
            await db.execute(
                "UPDATE os1.turns SET text = %s, interrupted = true, tells_of = %s WHERE user_id = %s AND id = %s",
                (text, _day(tells_of(text, row[0])), self.user_id, turn_id),
            )
            await db.execute(  # made from the old words
                "DELETE FROM os1.turn_vectors WHERE user_id = %s AND turn_id = %s", (self.user_id, turn_id)
            )

    async def turns_by_id(self, turn_ids: Sequence[int]) -> list[Turn]:
        """The turns with these ids, in the order they were said (provenance of a memory)."""
        return await self._turns("id = ANY(%s) ORDER BY id", (list(turn_ids),))

    async def edit_memory(self, memory_id: int, text: str, embedding: tuple[str, Vector] | None = None) -> None:
        """Correct a memory's words (the user knows best); its vector is replaced with the new text's, and the old
        words are vacuumed away as in ``forget_memory``."""
        async with self._db() as db:
            async with db.transaction():
                await db.execute(
                    "UPDATE os1.memories SET text = %s WHERE user_id = %s AND id = %s", (text, self.user_id, memory_id)
                )
                if embedding is not None:
                    await self._put_vectors(db, "memories", embedding[0], [(memory_id, embedding[1])])
            await db.execute("VACUUM (INDEX_CLEANUP ON) os1.memories, os1.memory_vectors")

    async def forget_memory(self, memory_id: int) -> bool:
        """Delete a memory everywhere: its row, its vector and its words in the full-text index, then vacuum (see
        the module's docstring for what PostgreSQL keeps). The turns it came from lose their words too (they would
        bring it back through transcript search); the turns stay in place, marked as forgotten. Diary entries made
        from those turns and the reflection are deleted, to be written again without them, and the companion's inner
        life loses what stood on them (``Inner.forgetting``). A forgotten diary entry loses its words but keeps its
        place, so that its conversation is not written up again."""
        memory = await self.memory(memory_id)
        if memory is None:
            return False
        mine = {"u": self.user_id, "id": memory_id}
        async with self._db() as db:
            async with db.transaction():
                if memory.kind == "episode":  # the session's turns stay; the entry stays empty, so it is not redone
                    await db.execute("UPDATE os1.memories SET text = '' WHERE user_id = %(u)s AND id = %(id)s", mine)
                    await db.execute(
                        "DELETE FROM os1.memory_vectors WHERE user_id = %(u)s AND memory_id = %(id)s", mine
                    )
                else:
                    await db.execute("DELETE FROM os1.memories WHERE user_id = %(u)s AND id = %(id)s", mine)
                ids = [] if memory.kind == "episode" else list(memory.source_turn_ids)
                turns = {"u": self.user_id, "ids": ids}
                await db.execute(
                    "UPDATE os1.turns SET text = '', tells_of = NULL, forgotten = true "
                    "WHERE user_id = %(u)s AND id = ANY(%(ids)s)",
                    turns,
                )
                await db.execute("DELETE FROM os1.turn_vectors WHERE user_id = %(u)s AND turn_id = ANY(%(ids)s)", turns)
                await db.execute("DELETE FROM os1.memory_queue WHERE user_id = %(u)s AND turn_id = ANY(%(ids)s)", turns)
                # what was written from those turns goes too, and is written again without them
                await db.execute(
                    "DELETE FROM os1.memories WHERE user_id = %(u)s AND kind = 'episode' "
                    "AND source_turn_ids && %(ids)s::bigint[]",
                    turns,
                )
                await db.execute(  # it may hold the memory's words
                    "DELETE FROM os1.kv WHERE user_id = %s AND key = 'reflection'", (self.user_id,)
                )
                inner = await (
                    await db.execute(
                        "SELECT value FROM os1.kv WHERE user_id = %s AND key = 'inner' FOR UPDATE", (self.user_id,)
                    )
                ).fetchone()
                if inner is not None:  # so may the companion's reasons for what it became, and its mood
                    kept = Inner.from_record(inner[0]).forgetting(memory_id, ids)
                    await db.execute(
                        "UPDATE os1.kv SET value = %s WHERE user_id = %s AND key = 'inner'",
                        (Json(kept.record()), self.user_id),
                    )
            await db.execute(f"VACUUM (INDEX_CLEANUP ON) {_WITH_WORDS}")
        return True

    async def search_text(self, corpus: Corpus, query: str, *, limit: int = 50) -> list[tuple[int, float]]:
        """Ranked by ``ts_rank_cd`` (cover density over English stems) where SQLite has BM25: higher is better."""
        words = _words(query)
        if not words:
            return []
        match = " || ".join(["plainto_tsquery('english', %s)"] * len(words))  # any of the words; never syntax
        table, counts = ("os1.memories", "") if corpus == "memories" else ("os1.turns", " AND speaker <> 'event'")
        rows = await self._rows(
            f"SELECT id, ts_rank_cd(words, q) AS score FROM {table}, (SELECT {match}) AS query (q) "
            f"WHERE user_id = %s AND words @@ q{counts} ORDER BY score DESC, id LIMIT %s",
            (*words, self.user_id, limit),
        )
        return [(int(record_id), float(score)) for record_id, score in rows]

    async def unembedded(self, corpus: Corpus, model_id: str) -> list[Unembedded]:
        table, vectors, key, counts, said, happened = _CORPORA[corpus]
        rows = await self._rows(
            f"SELECT r.id, r.text, extract(epoch FROM {said})::float8, extract(epoch FROM {happened})::float8 "
            f"FROM {table} r WHERE r.user_id = %(u)s AND {counts} AND NOT EXISTS (SELECT 1 FROM {vectors} v "
            f"WHERE v.user_id = %(u)s AND v.{key} = r.id AND v.model_id = %(model)s) ORDER BY r.id",
            {"u": self.user_id, "model": model_id},
        )
        return [Unembedded(int(i), str(text), float(s), float(h)) for i, text, s, h in rows]

    async def put_vectors(self, corpus: Corpus, model_id: str, vectors: Sequence[tuple[int, Vector]]) -> None:
        async with self._db() as db, db.transaction():
            await self._put_vectors(db, corpus, model_id, vectors)

    async def vectors(self, corpus: Corpus, model_id: str) -> Indexed:
        table, vectors, key, counts, said, happened = _CORPORA[corpus]
        rows = await self._rows(
            f"SELECT r.id, v.vector, extract(epoch FROM {said})::float8, extract(epoch FROM {happened})::float8 "
            f"FROM {vectors} v JOIN {table} r ON r.user_id = v.user_id AND r.id = v.{key} "
            f"WHERE v.user_id = %s AND v.model_id = %s AND {counts} ORDER BY r.id",
            (self.user_id, model_id),
            binary=True,
        )
        if not rows:
            empty = np.zeros(0, dtype=np.float64)
            return Indexed([], np.zeros((0, 0), dtype=np.float32), empty, empty)
        return Indexed(
            [int(r[0]) for r in rows],
            np.stack([r[1].to_numpy() for r in rows]),
            np.array([r[2] for r in rows], dtype=np.float64),
            np.array([r[3] for r in rows], dtype=np.float64),
        )

    async def _put_vectors(
        self, db: Connection, corpus: Corpus, model_id: str, vectors: Sequence[tuple[int, Vector]]
    ) -> None:
        _, table, key, *_ = _CORPORA[corpus]
        async with db.cursor() as cursor:
            await cursor.executemany(
                f"INSERT INTO {table} (user_id, {key}, model_id, vector) VALUES (%s, %s, %s, %s) "
                f"ON CONFLICT (user_id, {key}) DO UPDATE SET model_id = excluded.model_id, vector = excluded.vector",
                [(self.user_id, i, model_id, np.asarray(v, dtype=np.float32).ravel()) for i, v in vectors],
            )

    async def _turns(self, where: str, params: tuple[Any, ...]) -> list[Turn]:
        rows = await self._rows(
            f"SELECT {_TURN_COLUMNS} FROM os1.turns WHERE user_id = %s AND {where}", (self.user_id, *params)
        )
        return [Turn(*row) for row in rows]

    async def _get(self, key: str) -> Any:
        rows = await self._rows("SELECT value FROM os1.kv WHERE user_id = %s AND key = %s", (self.user_id, key))
        return rows[0][0] if rows else None

    async def _put(self, key: str, value: Any) -> None:
        await self._rows(
            "INSERT INTO os1.kv (user_id, key, value) VALUES (%s, %s, %s) "
            "ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value",
            (self.user_id, key, Json(value)),
        )

    async def _rows(self, sql: str, params: Any, *, binary: bool = False) -> list[TupleRow]:
        """Run one statement and return its rows (none for a statement that returns no rows); ``binary`` results
        skip parsing text (vectors load six times faster)."""
        async with self._db() as db:
            cursor = await db.execute(sql, params, binary=binary)
            return await cursor.fetchall() if cursor.description is not None else []

    @asynccontextmanager
    async def _db(self) -> AsyncIterator[Connection]:
        async with translated(self._where), self._pool.connection() as db:
            yield db


def _words(text: str) -> list[str]:
    """The meaningful words of ``text``: what a word search looks for (user text is never query syntax)."""
    return list(dict.fromkeys(w for w in re.findall(r"\w+", text.lower()) if len(w) > 1 and w not in STOPWORDS))


def _memory(row: TupleRow) -> Memory:
    mid, kind, text, sources, created, subject, predicate, obj, valid_from, valid_to, importance, by = row
    return Memory(
        id=mid, kind=kind, text=text, source_turn_ids=tuple(sources), created_at=created, subject=subject,
        predicate=predicate, object=obj, valid_from=valid_from, valid_to=valid_to, importance=importance,
        extracted_by=by,
    )  # fmt: skip


def _day(told: str | None) -> datetime | None:
    return None if told is None else datetime.fromisoformat(told)


def _now() -> datetime:
    return datetime.now(UTC)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)
