"""The schema of a user's database, one named function per migration, applied in order and never edited once
released: a database records how many it has had (``PRAGMA user_version``), and the rest run at open."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, time

import apsw

from os1.memory.dates import told_of


def m1_transcript_profile_persona(db: apsw.Connection) -> None:
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


def m2_memories(db: apsw.Connection) -> None:
    db.execute(
        """
        -- imported conversations have speakers with names: the transcript takes any non-empty speaker
        CREATE TABLE turns_v2 (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            speaker TEXT NOT NULL CHECK (speaker <> ''),
            text TEXT NOT NULL,
            at TEXT NOT NULL,
            interrupted INTEGER NOT NULL DEFAULT 0,
            model_id TEXT,
            external_id TEXT  -- the turn's id in an imported file, so provenance speaks the file's language
        );
        INSERT INTO turns_v2 (id, session_id, speaker, text, at, interrupted, model_id)
            SELECT id, session_id, speaker, text, at, interrupted, model_id FROM turns;
        DROP TABLE turns;
        ALTER TABLE turns_v2 RENAME TO turns;
        CREATE TABLE memories (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            text TEXT NOT NULL,
            subject TEXT, predicate TEXT, object TEXT,
            valid_from TEXT, valid_to TEXT,
            importance REAL NOT NULL DEFAULT 0.5,
            source_turn_ids TEXT NOT NULL DEFAULT '[]',
            extracted_by TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX memories_by_key ON memories (subject, predicate) WHERE valid_to IS NULL;
        -- turns waiting for extraction: queued in the same transaction that stores the turn, so a crash right
        -- after a reply loses nothing; removed once their memories are stored
        CREATE TABLE memory_queue (turn_id INTEGER PRIMARY KEY REFERENCES turns(id) ON DELETE CASCADE);
        CREATE TABLE memory_vectors (
            memory_id INTEGER PRIMARY KEY REFERENCES memories(id) ON DELETE CASCADE,
            model_id TEXT NOT NULL,
            vector BLOB NOT NULL
        );
        CREATE VIRTUAL TABLE memories_fts USING fts5(
            text, content='memories', content_rowid='id', tokenize='porter unicode61'
        );
        CREATE TRIGGER memories_ai AFTER INSERT ON memories BEGIN
            INSERT INTO memories_fts(rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER memories_ad AFTER DELETE ON memories BEGIN
            INSERT INTO memories_fts(memories_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        CREATE TRIGGER memories_au AFTER UPDATE OF text ON memories BEGIN
            INSERT INTO memories_fts(memories_fts, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO memories_fts(rowid, text) VALUES (new.id, new.text);
        END;
        """
    )


def m3_transcript_search(db: apsw.Connection) -> None:
    db.execute(
        """
        -- the transcript is searched too (words and meaning); a turn the user had os1 forget loses its words
        ALTER TABLE turns ADD COLUMN forgotten INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE turn_vectors (
            turn_id INTEGER PRIMARY KEY REFERENCES turns(id) ON DELETE CASCADE,
            model_id TEXT NOT NULL,
            vector BLOB NOT NULL
        );
        CREATE VIRTUAL TABLE turns_fts USING fts5(
            text, content='turns', content_rowid='id', tokenize='porter unicode61'
        );
        INSERT INTO turns_fts(rowid, text) SELECT id, text FROM turns WHERE speaker <> 'event';
        CREATE TRIGGER turns_ai AFTER INSERT ON turns WHEN new.speaker <> 'event' BEGIN
            INSERT INTO turns_fts(rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER turns_ad AFTER DELETE ON turns WHEN old.speaker <> 'event' BEGIN
            INSERT INTO turns_fts(turns_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        CREATE TRIGGER turns_au AFTER UPDATE OF text ON turns WHEN old.speaker <> 'event' BEGIN
            INSERT INTO turns_fts(turns_fts, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO turns_fts(rowid, text) VALUES (new.id, new.text);
        END;
        """
    )


def m4_turn_dates(db: apsw.Connection) -> None:
    """The day each turn tells of, when its words name one (``dates.told_of``), so a question about May finds
    "we're going to Lisbon in May" said in March."""
    db.execute("ALTER TABLE turns ADD COLUMN tells_of TEXT")
    rows = db.execute("SELECT id, text, at FROM turns WHERE speaker <> 'event' AND NOT forgotten").fetchall()
    days = [(tells_of(str(text), datetime.fromisoformat(str(at))), turn_id) for turn_id, text, at in rows]
    db.executemany("UPDATE turns SET tells_of = ? WHERE id = ?", [(day, turn_id) for day, turn_id in days if day])


def m5_persona_without_notes(db: apsw.Connection) -> None:
    """The first persona record had a ``notes`` field that nothing ever filled: it goes, so a home made then opens
    (the reflection holds the companion's notes)."""
    row = db.execute("SELECT value FROM kv WHERE key = 'persona'").fetchone()
    if row is not None:
        persona = json.loads(str(row[0]))
        persona.pop("notes", None)
        db.execute("UPDATE kv SET value = ? WHERE key = 'persona'", (json.dumps(persona),))


def m6_persona_names(db: apsw.Connection) -> None:
    """The persona keeps the names its naming offered and those the user turned down, so it can choose again from
    the same list. A persona named before has neither (it narrows again if asked); the version this records keeps
    an older os1 from reading a record it does not know."""
    row = db.execute("SELECT value FROM kv WHERE key = 'persona'").fetchone()
    if row is not None:
        persona = {"offered": [], "refused": [], **json.loads(str(row[0]))}
        db.execute("UPDATE kv SET value = ? WHERE key = 'persona'", (json.dumps(persona),))


def tells_of(text: str, at: datetime) -> str | None:
    """The day ``text`` said at ``at`` tells of, as stored: noon of that day in the local time zone."""
    day = told_of(text, at.astimezone().date())
    return None if day is None else datetime.combine(day, time(12)).astimezone().isoformat()


MIGRATIONS: list[Callable[[apsw.Connection], None]] = [
    m1_transcript_profile_persona,
    m2_memories,
    m3_transcript_search,
    m4_turn_dates,
    m5_persona_without_notes,
    m6_persona_names,
]
