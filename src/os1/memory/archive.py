"""Export everything os1 remembers into one JSON file, and bring such a file back exactly.

The file is os1's import format (``sessions`` with turns) plus ``memories``: each memory names its source turns
by their ids in the file, so an export imported into an empty os1 and exported again gives the same file
(apart from ``exported_at``). Turns keep the id they had in the file they were imported from, if any.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from os1.errors import InputError
from os1.memory.conversations import parse
from os1.memory.recall import Recall
from os1.memory.store import MEMORY_KINDS, Memory, Store, Turn

FORMAT = "os1-export"
VERSION = 1


def is_export(data: Any) -> bool:
    return isinstance(data, dict) and data.get("format") == FORMAT


async def export(store: Store) -> dict[str, Any]:
    turns = [turn for turn in await store.turns() if not turn.forgotten]  # what the user had forgotten stays out
    by_session: dict[int, list[Turn]] = defaultdict(list)
    for turn in turns:
        by_session[turn.session_id].append(turn)
    sessions = [
        {
            "id": f"s{session_id}",
            "started_at": said[0].at.isoformat(),
            "turns": [{"id": _turn_id(t), "speaker": t.speaker, "text": t.text, "at": t.at.isoformat()} for t in said],
        }
        for session_id, said in sorted(by_session.items())
    ]
    file_ids = {t.id: _turn_id(t) for t in turns}
    memories = [
        {
            "kind": m.kind,
            "text": m.text,
            "subject": m.subject,
            "predicate": m.predicate,
            "object": m.object,
            "valid_from": _iso(m.valid_from),
            "valid_to": _iso(m.valid_to),
            "importance": m.importance,
            "source_turn_ids": [file_ids[i] for i in m.source_turn_ids if i in file_ids],
            "extracted_by": m.extracted_by,
            "created_at": m.created_at.isoformat(),
        }
        for m in await store.memories(include_past=True)
    ]
    return {"format": FORMAT, "version": VERSION, "exported_at": datetime.now(UTC).isoformat(),
            "sessions": sessions, "memories": memories}  # fmt: skip


async def restore(recall: Recall, data: dict[str, Any]) -> tuple[int, int]:
    """Bring back an export's turns and memories as they were (no extraction). Returns (turns, memories)."""
    if data.get("version") != VERSION:
        raise InputError(f"this export is version {data.get('version')!r}; this os1 reads version {VERSION}")
    store = recall.store
    internal: dict[str, int] = {}
    for session in parse({"sessions": data.get("sessions", [])}, "the export"):
        session_id = await store.start_session(session.started_at)
        for turn in session.turns:
            stored = await store.add_turn(
                session_id, turn.speaker, turn.text, at=turn.at, external_id=turn.id, queue=False
            )
            internal[turn.id] = stored.id
    memories = data.get("memories", [])
    for i, raw in enumerate(memories, 1):
        if not isinstance(raw, dict) or raw.get("kind") not in MEMORY_KINDS or not raw.get("text"):
            raise InputError(f"memory {i} of the export needs a known kind and a text")
        await recall.remember(
            Memory(
                id=0,
                kind=raw["kind"],
                text=raw["text"],
                source_turn_ids=tuple(internal[t] for t in raw.get("source_turn_ids", []) if t in internal),
                created_at=datetime.fromisoformat(raw["created_at"]),
                subject=raw.get("subject"),
                predicate=raw.get("predicate"),
                object=raw.get("object"),
                valid_from=_time(raw.get("valid_from")),
                valid_to=_time(raw.get("valid_to")),
                importance=float(raw.get("importance", 0.5)),
                extracted_by=raw.get("extracted_by"),
            )
        )
    return len(internal), len(memories)


def _turn_id(turn: Turn) -> str:
    return turn.external_id or f"t{turn.id}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
