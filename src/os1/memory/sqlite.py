"""One SQLite file per user (apsw, WAL, FTS5), brought up to date by the migrations in ``schema.py``.

A file that is not an os1 database, is damaged, or was written by a newer os1 raises ``StoreCorrupt`` /
``StoreError`` before anything is written to it: os1 never overwrites what it cannot read.

An open store holds three file descriptors (the file, its -wal and -shm). A server holds thousands of users' stores,
so at most ``OPEN_FILES`` of them keep their files open in a process: when one more is used, the one used least
recently rests (its connection closes, leaving its write-ahead log to be checkpointed later: 0.08 ms instead of
1.4 ms) and opens again on its next use, which costs ~0.25 ms here.

The two large reads, a whole transcript and a corpus's vectors (most of a megabyte after ten months), run in a
worker thread on a connection of their own, so a server's event loop goes on with other users while the disk
answers. For the same reason a server has a resting store read from disk in a worker thread before it uses it
again (``wake``): its other calls, on the event loop, then find its pages in the operating system's memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import apsw
import numpy as np

from os1.errors import StoreCorrupt, StoreError
from os1.memory.schema import MIGRATIONS, tells_of
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

OPEN_FILES = 1000  # stores with their files open at once, in a process (3 descriptors each)
WARM_PAGES = 4096  # how much of a store is read ahead (16 MB; ten months of conversation are ~1.2 MB)
APPLICATION_ID = 0x4F533121  # "OS1!" in the header, so a foreign SQLite file is recognised
_SQLITE_MAGIC = b"SQLite format 3\x00"


# Per corpus: the table, its full-text index, its vector table and that table's key, which records count, and the
# SQL for when a record was said and when what it tells happened.
_CORPORA: dict[Corpus, tuple[str, str, str, str, str, str, str]] = {
    "memories": ("memories", "memories_fts", "memory_vectors", "memory_id", "text <> ''", "created_at",
                 "coalesce(valid_from, created_at)"),
    "transcript": ("turns", "turns_fts", "turn_vectors", "turn_id", "speaker <> 'event' AND NOT forgotten", "at",
                   "coalesce(tells_of, at)"),
}  # fmt: skip
# An ISO 8601 time as seconds since 1970 (to the millisecond), computed by SQLite: loading a store's vectors reads
# two per record
_SECONDS = "unixepoch({}, 'subsec')"
_TURN_COLUMNS = "id, session_id, speaker, text, at, interrupted, model_id, external_id, forgotten"
_MEMORY_COLUMNS = (
    "id, kind, text, source_turn_ids, created_at, subject, predicate, object, valid_from, valid_to, importance, "
    "extracted_by"
)


def user_db_path(home: Path, user: str = "local") -> Path:
    return home / "users" / user / "os1.db"


class SQLiteStore:
    _awake: ClassVar[OrderedDict[SQLiteStore, None]] = OrderedDict()  # stores with a connection, least recent first

    def __init__(self, path: Path):
        self.path = path
        _check_header(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._connection: apsw.Connection | None = None
        self._checked = False  # the schema was checked and brought up to date by this object once
        self._connect()

    @classmethod
    def open(cls, home: Path, user: str = "local") -> SQLiteStore:
        return cls(user_db_path(home, user))

    async def wake(self) -> None:
        """A store resting (its files closed since it was last used) is read from disk in a worker thread, so
        the calls that follow do not wait for the disk; an awake one is already in memory."""
        if self._connection is None:
            await asyncio.to_thread(_read_ahead, self.path)

    def close(self) -> None:
        self.rest()

    async def erase(self) -> None:
        """Delete the file, its -wal and -shm, and its folder if nothing else is in it."""
        self.rest()
        for suffix in ("", "-wal", "-shm", "-journal"):
            self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # not empty: what else is there is not the store's
            self.path.parent.rmdir()

    def rest(self, *, checkpoint: bool = True) -> None:
        """Close the connection (and the files); the store opens them again when it is next used. Without
        ``checkpoint`` the write-ahead log is left as it is, to be written into the file by a later write."""
        SQLiteStore._awake.pop(self, None)
        if self._connection is not None:
            connection, self._connection = self._connection, None
            if not checkpoint:
                connection.config(apsw.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1)
            connection.close()

    @property
    def _db(self) -> apsw.Connection:
        if self._connection is None:
            return self._connect()
        SQLiteStore._awake.move_to_end(self)
        return self._connection

    def _connect(self) -> apsw.Connection:
        with _translated(self.path):
            self._connection = connection = apsw.Connection(str(self.path))
            SQLiteStore._awake[self] = None
            try:
                connection.set_busy_timeout(5000)
                if not self._checked:
                    self._migrate()
                    self._checked = True
                # One statement at a time: apsw runs a multi-statement string lazily, and stops at the first row.
                for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "secure_delete=ON"):
                    connection.execute(f"PRAGMA {pragma}").fetchall()  # secure_delete: forgotten text is zeroed
            except BaseException:
                self.rest()
                raise
        while len(SQLiteStore._awake) > OPEN_FILES:
            next(iter(SQLiteStore._awake)).rest(checkpoint=False)
        return connection

    async def profile(self) -> Profile | None:
        data = self._get("profile")
        if data is None:
            return None
        return Profile(name=data["name"], answers=data["answers"], created_at=_time(data["created_at"]))

    async def save_profile(self, profile: Profile) -> None:
        self._put("profile", {**asdict(profile), "created_at": profile.created_at.isoformat()})

    async def persona(self) -> Persona | None:
        data = self._get("persona")
        if data is None:
            return None
        for names in ("traits", "offered", "refused"):
            data[names] = tuple(data[names])
        data["created_at"] = _time(data["created_at"])
        return Persona(**data)

    async def save_persona(self, persona: Persona) -> None:
        self._put("persona", {**asdict(persona), "created_at": persona.created_at.isoformat()})

    async def reflection(self) -> Reflection | None:
        data = self._get("reflection")
        if data is None:
            return None
        return Reflection(
            data["about"], tuple(data["open_threads"]), tuple(data["follow_ups"]), _time(data["written_at"]),
            data["memories_seen"],
        )  # fmt: skip

    async def save_reflection(self, reflection: Reflection) -> None:
        self._put("reflection", {**asdict(reflection), "written_at": reflection.written_at.isoformat()})

    async def inner(self) -> Inner | None:
        data = self._get("inner")
        return None if data is None else Inner.from_record(data)

    async def save_inner(self, inner: Inner) -> None:
        self._put("inner", inner.record())

    async def sessions_without_episode(self, *, min_said: int) -> list[int]:
        with _translated(self.path):
            rows: list[Any] = self._db.execute(
                "SELECT s.id FROM sessions s WHERE (SELECT count(*) FROM turns t WHERE t.session_id = s.id "
                "AND t.speaker NOT IN ('assistant', 'event') AND NOT t.forgotten) >= ? AND NOT EXISTS "
                "(SELECT 1 FROM memories m JOIN turns t ON t.id = json_extract(m.source_turn_ids, '$[0]') "
                "WHERE m.kind = 'episode' AND t.session_id = s.id) ORDER BY s.id",
                (min_said,),
            ).fetchall()
        return [int(row[0]) for row in rows]

    async def session_turns(self, session_id: int) -> list[Turn]:
        return self._turns("session_id = ? ORDER BY id", (session_id,))

    async def start_session(self, started_at: datetime | None = None) -> int:
        with _translated(self.path):
            self._db.execute("INSERT INTO sessions (started_at) VALUES (?)", ((started_at or _now()).isoformat(),))
            return self._db.last_insert_rowid()

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
        told = None if speaker == "event" else tells_of(text, at)
        with _translated(self.path), self._db:
            self._db.execute(
                "INSERT INTO turns (session_id, speaker, text, at, interrupted, model_id, external_id, tells_of) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (session_id, speaker, text, at.isoformat(), int(interrupted), model_id, external_id, told),
            )
            turn_id = self._db.last_insert_rowid()
            if queue and speaker not in ("assistant", "event"):  # what people said is what memory is made of
                self._db.execute("INSERT INTO memory_queue (turn_id) VALUES (?)", (turn_id,))
        return Turn(turn_id, session_id, speaker, text, at, interrupted, model_id, external_id)

    async def turns(self) -> list[Turn]:
        return await asyncio.to_thread(self._every_turn)

    def _every_turn(self) -> list[Turn]:
        with _reader(self.path) as db:
            rows = db.execute(f"SELECT {_TURN_COLUMNS} FROM turns ORDER BY unixepoch(at, 'subsec'), id").fetchall()
        return [_turn(row) for row in rows]

    async def queued_turns(self, *, limit: int = 100) -> list[Turn]:
        """Turns waiting for memory extraction, oldest first."""
        return self._turns("id IN (SELECT turn_id FROM memory_queue) ORDER BY id LIMIT ?", (limit,))

    async def queued_count(self) -> int:
        with _translated(self.path):
            (count,) = self._db.execute("SELECT count(*) FROM memory_queue")
        return int(count[0])

    async def dequeue_turns(self, turn_ids: Sequence[int]) -> None:
        with _translated(self.path), self._db:
            self._db.executemany("DELETE FROM memory_queue WHERE turn_id = ?", [(i,) for i in turn_ids])

    async def add_memory(self, memory: Memory, embedding: tuple[str, Vector] | None = None) -> Memory:
        """Store a memory (its ``id`` is ignored) and, with ``embedding`` = (model id, vector), its vector."""
        with _translated(self.path), self._db:
            self._db.execute(
                "INSERT INTO memories (kind, text, source_turn_ids, created_at, subject, predicate, object, "
                "valid_from, valid_to, importance, extracted_by) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    memory.kind,
                    memory.text,
                    json.dumps(list(memory.source_turn_ids)),
                    memory.created_at.isoformat(),
                    memory.subject,
                    memory.predicate,
                    memory.object,
                    _iso(memory.valid_from),
                    _iso(memory.valid_to),
                    memory.importance,
                    memory.extracted_by,
                ),
            )
            stored = replace(memory, id=self._db.last_insert_rowid())
            if embedding is not None:
                model_id, vector = embedding
                self._db.execute(
                    "INSERT INTO memory_vectors (memory_id, model_id, vector) VALUES (?,?,?)",
                    (stored.id, model_id, np.asarray(vector, dtype=np.float32).tobytes()),
                )
        return stored

    async def close_memory(self, memory_id: int, valid_to: datetime) -> None:
        """Mark a memory as no longer true from ``valid_to`` on; it stays, as the past."""
        with _translated(self.path):
            self._db.execute("UPDATE memories SET valid_to = ? WHERE id = ?", (valid_to.isoformat(), memory_id))

    async def memory(self, memory_id: int) -> Memory | None:
        with _translated(self.path):
            row = self._db.execute(f"SELECT {_MEMORY_COLUMNS} FROM memories WHERE id = ?", (memory_id,)).fetchone()
        return None if row is None else _memory(row)

    async def memories_by_id(self, memory_ids: Sequence[int]) -> list[Memory]:
        marks = ",".join("?" * len(memory_ids))
        with _translated(self.path):
            rows = self._db.execute(
                f"SELECT {_MEMORY_COLUMNS} FROM memories WHERE id IN ({marks})", tuple(memory_ids)
            ).fetchall()
        return [_memory(row) for row in rows]

    async def memories(self, *, include_past: bool = False, last: int | None = None) -> list[Memory]:
        """Memories in the order they were made; with ``last``, only the newest that many."""
        where = "WHERE text <> ''" + ("" if include_past else " AND valid_to IS NULL")
        limit = "" if last is None else f"LIMIT {int(last)}"
        with _translated(self.path):
            rows = self._db.execute(
                f"SELECT {_MEMORY_COLUMNS} FROM memories {where} ORDER BY id DESC {limit}"
            ).fetchall()
        return [_memory(row) for row in reversed(rows)]

    async def current_with_key(self, subject: str, predicate: str) -> list[Memory]:
        """The memories still true about ``subject`` and ``predicate`` (what a new fact may supersede)."""
        with _translated(self.path):
            rows = self._db.execute(
                f"SELECT {_MEMORY_COLUMNS} FROM memories WHERE subject = ? AND predicate = ? AND valid_to IS NULL",
                (subject, predicate),
            ).fetchall()
        return [_memory(row) for row in rows]

    async def cut_turn(self, turn_id: int, text: str) -> None:
        with _translated(self.path), self._db:
            if not text.strip():
                self._db.execute("DELETE FROM turns WHERE id = ?", (turn_id,))
                return
            (at,) = self._db.execute("SELECT at FROM turns WHERE id = ?", (turn_id,)).fetchone() or (None,)
            if at is None:
                return
            told = tells_of(text, _time(str(at)))
            self._db.execute(
                "UPDATE turns SET text = ?, interrupted = 1, tells_of = ? WHERE id = ?", (text, told, turn_id)
            )
            self._db.execute("DELETE FROM turn_vectors WHERE turn_id = ?", (turn_id,))  # made from the old words

    async def turns_by_id(self, turn_ids: Sequence[int]) -> list[Turn]:
        """The turns with these ids, in the order they were said (provenance of a memory)."""
        return self._turns(f"id IN ({','.join('?' * len(turn_ids))}) ORDER BY id", tuple(turn_ids))

    async def edit_memory(self, memory_id: int, text: str, embedding: tuple[str, Vector] | None = None) -> None:
        """Correct a memory's words (the user knows best); its vector is replaced with the new text's."""
        with _translated(self.path), self._db:
            self._db.execute("UPDATE memories SET text = ? WHERE id = ?", (text, memory_id))
            if embedding is not None:
                model_id, vector = embedding
                self._db.execute(
                    "INSERT OR REPLACE INTO memory_vectors (memory_id, model_id, vector) VALUES (?,?,?)",
                    (memory_id, model_id, np.asarray(vector, dtype=np.float32).tobytes()),
                )
            self._db.execute("INSERT INTO memories_fts(memories_fts) VALUES ('optimize')")
        with _translated(self.path):
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def forget_memory(self, memory_id: int) -> bool:
        """Delete a memory everywhere: its row, its vector, its full-text entry, and the pages they were on. The
        turns it came from lose their words too (they would bring it back through transcript search); the turns
        stay in place, marked as forgotten. Diary entries made from those turns and the reflection are deleted,
        to be written again without them, and the companion's inner life loses what stood on them
        (``Inner.forgetting``). A forgotten diary entry loses its words but keeps its place, so that its
        conversation is not written up again."""
        memory = await self.memory(memory_id)
        if memory is None:
            return False
        with _translated(self.path):
            with self._db:
                if memory.kind == "episode":  # the session's turns stay; the entry stays empty, so it is not redone
                    self._db.execute("UPDATE memories SET text = '' WHERE id = ?", (memory_id,))
                    self._db.execute("DELETE FROM memory_vectors WHERE memory_id = ?", (memory_id,))
                else:
                    self._db.execute("DELETE FROM memories WHERE id = ?", (memory_id,))
                forgotten = set() if memory.kind == "episode" else set(memory.source_turn_ids)
                for turn_id in forgotten:
                    self._db.execute(
                        "UPDATE turns SET text = '', tells_of = NULL, forgotten = 1 WHERE id = ?", (turn_id,)
                    )
                    self._db.execute("DELETE FROM turn_vectors WHERE turn_id = ?", (turn_id,))
                    self._db.execute("DELETE FROM memory_queue WHERE turn_id = ?", (turn_id,))
                # what was written from those turns goes too, and is written again without them
                episodes: list[Any] = self._db.execute(
                    "SELECT id, source_turn_ids FROM memories WHERE kind = 'episode'"
                ).fetchall()
                for episode_id, sources in episodes:
                    if set(json.loads(sources)) & forgotten:
                        self._db.execute("DELETE FROM memories WHERE id = ?", (episode_id,))
                self._db.execute("DELETE FROM kv WHERE key = 'reflection'")  # it may hold the memory's words
                inner = self._db.execute("SELECT value FROM kv WHERE key = 'inner'").fetchone()
                if inner is not None:  # so may the companion's reasons for what it became, and its mood
                    kept = Inner.from_record(json.loads(str(inner[0]))).forgetting(memory_id, sorted(forgotten))
                    self._db.execute("UPDATE kv SET value = ? WHERE key = 'inner'", (json.dumps(kept.record()),))
                for index in ("memories_fts", "turns_fts"):
                    self._db.execute(f"INSERT INTO {index}({index}) VALUES ('optimize')")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return True

    async def search_text(self, corpus: Corpus, query: str, *, limit: int = 50) -> list[tuple[int, float]]:
        match = _fts_query(query)
        if not match:
            return []
        _, index, *_ = _CORPORA[corpus]
        with _translated(self.path):
            rows: list[Any] = self._db.execute(
                f"SELECT rowid, -bm25({index}) FROM {index} WHERE {index} MATCH ? ORDER BY bm25({index}) LIMIT ?",
                (match, limit),
            ).fetchall()
        return [(int(rowid), float(score)) for rowid, score in rows]

    async def unembedded(self, corpus: Corpus, model_id: str) -> list[Unembedded]:
        table, _, vectors, key, counts, said, happened = _CORPORA[corpus]
        with _translated(self.path):
            rows: list[Any] = self._db.execute(
                f"SELECT id, text, {_SECONDS.format(said)}, {_SECONDS.format(happened)} FROM {table} r "
                f"WHERE {counts} AND NOT EXISTS "
                f"(SELECT 1 FROM {vectors} v WHERE v.{key} = r.id AND v.model_id = ?) ORDER BY id",
                (model_id,),
            ).fetchall()
        return [Unembedded(int(i), str(text), float(s), float(h)) for i, text, s, h in rows]

    async def put_vectors(self, corpus: Corpus, model_id: str, vectors: Sequence[tuple[int, Vector]]) -> None:
        _, _, table, key, *_ = _CORPORA[corpus]
        with _translated(self.path), self._db:
            self._db.executemany(
                f"INSERT OR REPLACE INTO {table} ({key}, model_id, vector) VALUES (?,?,?)",
                [(i, model_id, np.asarray(v, dtype=np.float32).tobytes()) for i, v in vectors],
            )

    async def vectors(self, corpus: Corpus, model_id: str) -> Indexed:
        return await asyncio.to_thread(self._vectors, corpus, model_id)

    def _vectors(self, corpus: Corpus, model_id: str) -> Indexed:
        table, _, vectors, key, counts, said, happened = _CORPORA[corpus]
        with _reader(self.path) as db:
            rows: list[Any] = db.execute(
                f"SELECT r.id, v.vector, {_SECONDS.format(f'r.{said}')}, {_SECONDS.format(happened)} "
                f"FROM {vectors} v JOIN {table} r ON r.id = v.{key} WHERE v.model_id = ? AND {counts} ORDER BY r.id",
                (model_id,),
            ).fetchall()
        if not rows:
            empty = np.zeros(0, dtype=np.float64)
            return Indexed([], np.zeros((0, 0), dtype=np.float32), empty, empty)
        ids, blobs, said_at, happened_at = zip(*rows, strict=True)
        return Indexed(
            list(ids),
            np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(rows), -1),
            np.array(said_at, dtype=np.float64),
            np.array(happened_at, dtype=np.float64),
        )

    def _turns(self, where: str, params: tuple[Any, ...]) -> list[Turn]:
        with _translated(self.path):
            rows = self._db.execute(f"SELECT {_TURN_COLUMNS} FROM turns WHERE {where}", params).fetchall()
        return [_turn(row) for row in rows]

    def _get(self, key: str) -> Any:
        with _translated(self.path):
            row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def _put(self, key: str, value: Any) -> None:
        with _translated(self.path):
            self._db.execute(
                "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value, ensure_ascii=False)),
            )

    def _migrate(self) -> None:
        app_id, version, tables = (
            self._db.execute(sql).get
            for sql in ("PRAGMA application_id", "PRAGMA user_version", "SELECT count(*) FROM sqlite_master")
        )
        if app_id != APPLICATION_ID and (app_id != 0 or tables):
            raise StoreCorrupt(
                f"{self.path} is an SQLite database, but not one of os1's; it was left untouched. "
                "Move it away, or set OS1_HOME to another folder"
            )
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path} was written by a newer os1 (schema {version}, this one knows {len(MIGRATIONS)}); "
                "upgrade os1: nothing was changed"
            )
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            with self._db:  # one transaction per migration
                migration(self._db)
                self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {number}")


@contextmanager
def _reader(path: Path) -> Iterator[apsw.Connection]:
    """A connection of its own, for one read in a worker thread (an apsw connection is used by one thread at a
    time, and the store's own stays with the event loop)."""
    with _translated(path):
        connection = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READWRITE)
        try:
            connection.set_busy_timeout(5000)
            connection.config(apsw.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1)
            yield connection
        finally:
            connection.close()


def _read_ahead(path: Path) -> None:
    """Have SQLite read a store's pages (up to ``WARM_PAGES``, its log's included), so the operating system
    keeps them in memory: they are copied into a database in memory, which is let go. SQLite does the reading,
    not a file opened here: closing one would drop the locks SQLite holds on the file for this process."""
    with (
        _reader(path) as db,
        contextlib.closing(apsw.Connection(":memory:")) as copy,
        copy.backup("main", db, "main") as backup,
    ):
        backup.step(WARM_PAGES)


def _check_header(path: Path) -> None:
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as f:
        header = f.read(len(_SQLITE_MAGIC))
    if header != _SQLITE_MAGIC:
        raise StoreCorrupt(
            f"{path} is not an SQLite database (it may be damaged); it was left untouched. "
            "Restore it from a backup, move it away, or run `os1 reset` to start over"
        )


@contextmanager
def _translated(path: Path) -> Iterator[None]:
    try:
        yield
    except (apsw.CorruptError, apsw.NotADBError) as exc:
        raise StoreCorrupt(
            f"{path} is damaged ({exc}); it was left untouched. Restore it from a backup, "
            "or run `os1 reset` to start over"
        ) from exc
    except apsw.ConstraintError as exc:
        raise StoreError(f"{path} refused a record ({exc}); nothing was written") from exc
    except apsw.BusyError as exc:
        raise StoreError(f"{path} is busy: is another os1 using it? ({exc})") from exc
    except (apsw.CantOpenError, apsw.ReadOnlyError, apsw.PermissionsError) as exc:
        raise StoreError(f"cannot write {path} ({exc}): check the folder's permissions or OS1_HOME") from exc


def _turn(row: Any) -> Turn:
    turn_id, session_id, speaker, text, at, interrupted, model_id, external_id, forgotten = row
    return Turn(
        turn_id, session_id, speaker, text, _time(at), bool(interrupted), model_id, external_id, bool(forgotten)
    )


def _memory(row: Any) -> Memory:
    mid, kind, text, sources, created, subject, predicate, obj, valid_from, valid_to, importance, by = row
    return Memory(
        id=mid, kind=kind, text=text, source_turn_ids=tuple(json.loads(sources)), created_at=_time(created),
        subject=subject, predicate=predicate, object=obj, valid_from=_optional_time(valid_from),
        valid_to=_optional_time(valid_to), importance=importance, extracted_by=by,
    )  # fmt: skip


def _fts_query(text: str) -> str:
    """An FTS5 query matching any of the meaningful words in ``text`` (user text is never FTS syntax)."""
    words = dict.fromkeys(w for w in re.findall(r"\w+", text.lower()) if len(w) > 1 and w not in STOPWORDS)
    return " OR ".join(f'"{word}"' for word in words)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _optional_time(text: str | None) -> datetime | None:
    return None if text is None else _time(text)


def _now() -> datetime:
    return datetime.now(UTC)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)
