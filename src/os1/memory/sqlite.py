"""One SQLite file per user (apsw, WAL), with schema migrations as named functions.

A file that is not an os1 database, is damaged, or was written by a newer os1 raises ``StoreCorrupt`` /
``StoreError`` before anything is written to it: os1 never overwrites what it cannot read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import apsw

from os1.errors import StoreCorrupt, StoreError
from os1.memory.store import Persona, Profile, Speaker, Turn

APPLICATION_ID = 0x4F533121  # "OS1!" in the header, so a foreign SQLite file is recognised
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _m1_transcript_profile_persona(db: apsw.Connection) -> None:
    db.execute(
        """
        CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE sessions (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL);
        CREATE TABLE turns (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            speaker TEXT NOT NULL CHECK (speaker IN ('user', 'assistant', 'event')),
            text TEXT NOT NULL,
            at TEXT NOT NULL,
            interrupted INTEGER NOT NULL DEFAULT 0,
            model_id TEXT
        );
        """
    )


MIGRATIONS: list[Callable[[apsw.Connection], None]] = [_m1_transcript_profile_persona]


def user_db_path(home: Path, user: str = "local") -> Path:
    return home / "users" / user / "os1.db"


class SQLiteStore:
    def __init__(self, path: Path):
        self.path = path
        _check_header(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with _translated(path):
            self._db = apsw.Connection(str(path))
            try:
                self._db.set_busy_timeout(5000)
                self._migrate()
                self._db.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON")
            except BaseException:
                self._db.close()
                raise

    @classmethod
    def open(cls, home: Path, user: str = "local") -> SQLiteStore:
        return cls(user_db_path(home, user))

    def close(self) -> None:
        self._db.close()

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
        data["traits"] = tuple(data["traits"])
        data["created_at"] = _time(data["created_at"])
        return Persona(**data)

    async def save_persona(self, persona: Persona) -> None:
        self._put("persona", {**asdict(persona), "created_at": persona.created_at.isoformat()})

    async def start_session(self) -> int:
        with _translated(self.path):
            self._db.execute("INSERT INTO sessions (started_at) VALUES (?)", (_now().isoformat(),))
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
    ) -> Turn:
        at = at or _now()
        with _translated(self.path):
            self._db.execute(
                "INSERT INTO turns (session_id, speaker, text, at, interrupted, model_id) VALUES (?,?,?,?,?,?)",
                (session_id, speaker, text, at.isoformat(), int(interrupted), model_id),
            )
            turn_id = self._db.last_insert_rowid()
        return Turn(turn_id, session_id, speaker, text, at, interrupted, model_id)

    async def turns(self, *, after_id: int = 0) -> list[Turn]:
        with _translated(self.path):
            rows = self._db.execute(
                "SELECT id, session_id, speaker, text, at, interrupted, model_id FROM turns WHERE id > ? ORDER BY id",
                (after_id,),
            ).fetchall()
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
    except apsw.BusyError as exc:
        raise StoreError(f"{path} is busy: is another os1 using it? ({exc})") from exc
    except (apsw.CantOpenError, apsw.ReadOnlyError, apsw.PermissionsError) as exc:
        raise StoreError(f"cannot write {path} ({exc}): check the folder's permissions or OS1_HOME") from exc


def _turn(row: Any) -> Turn:
    turn_id, session_id, speaker, text, at, interrupted, model_id = row
    return Turn(turn_id, session_id, speaker, text, _time(at), bool(interrupted), model_id)


def _now() -> datetime:
    return datetime.now(UTC)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)
