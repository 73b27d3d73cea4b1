"""Reading chat histories to import: os1's own format and ChatGPT's export (docs/import-format.md).

Both become ``Session`` objects: turns in order, each with its speaker ("user", "assistant" or a person's name),
its text, when it was said, and its id in the file, which os1 keeps as the turn's provenance.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from os1.errors import InputError
from os1.memory.store import Store


@dataclass(frozen=True)
class ImportedTurn:
    id: str
    speaker: str
    text: str
    at: datetime


@dataclass(frozen=True)
class Session:
    id: str
    started_at: datetime
    turns: tuple[ImportedTurn, ...]


def load(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"no file at {path}") from None
    return read(raw, str(path))


def read(raw: bytes, name: str) -> Any:
    """The JSON in ``raw`` (the file ``name``), or an error that says where it stops being UTF-8 JSON."""
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{name} is not UTF-8 text ({exc.reason} at byte {exc.start}); nothing was imported") from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); nothing was imported"
        ) from exc


def parse(data: Any, name: str) -> list[Session]:
    if isinstance(data, dict) and isinstance(data.get("sessions"), list):
        return [_os1_session(s, i) for i, s in enumerate(data["sessions"], 1)]
    if isinstance(data, list) and all(isinstance(c, dict) and "mapping" in c for c in data):
        return [session for session in map(_chatgpt_conversation, data) if session.turns]
    raise InputError(
        f'{name} is neither os1\'s import format ({{"sessions": [...]}}) nor a ChatGPT export '
        "(conversations.json): see docs/import-format.md"
    )


async def keep(store: Store, sessions: Sequence[Session]) -> int:
    """Store the sessions' turns, what people said queued for memory extraction; returns how many turns. Other
    work gets the event loop between conversations, so a big import does not hold up a server's other users."""
    count = 0
    for session in sessions:
        session_id = await store.start_session(session.started_at)
        for turn in session.turns:
            await store.add_turn(session_id, turn.speaker, turn.text, at=turn.at, external_id=turn.id)
        count += len(session.turns)
        await asyncio.sleep(0)
    return count


def _os1_session(raw: Any, number: int) -> Session:
    where = f"session {number}"
    if not isinstance(raw, dict) or not isinstance(raw.get("turns"), list):
        raise InputError(f"{where} has no list of turns")
    if not raw.get("started_at"):
        raise InputError(f'{where} has no "started_at" (an ISO date and time like 2026-01-05T20:00:00)')
    started = _time(raw["started_at"], where)
    turns = []
    for i, turn in enumerate(raw["turns"], 1):
        if not isinstance(turn, dict) or not str(turn.get("text", "")).strip() or not turn.get("speaker"):
            raise InputError(f"{where}, turn {i}: every turn needs a speaker and some text")
        at = _time(turn["at"], f"{where}, turn {i}") if turn.get("at") else started + timedelta(seconds=30 * (i - 1))
        turns.append(ImportedTurn(str(turn.get("id") or f"{raw.get('id', number)}:{i}"), str(turn["speaker"]),
                                  str(turn["text"]), at))  # fmt: skip
    return Session(str(raw.get("id", number)), started, tuple(turns))


def _chatgpt_conversation(raw: dict[str, Any]) -> Session:
    messages = []
    for node_id, node in (raw.get("mapping") or {}).items():
        message = (node or {}).get("message") or {}
        role = (message.get("author") or {}).get("role")
        parts = (message.get("content") or {}).get("parts") or []
        text = "\n".join(p for p in parts if isinstance(p, str)).strip()
        if role in ("user", "assistant") and text:
            at = datetime.fromtimestamp(float(message.get("create_time") or raw.get("create_time") or 0), UTC)
            messages.append(ImportedTurn(str(message.get("id") or node_id), role, text, at))
    messages.sort(key=lambda t: t.at)
    started = datetime.fromtimestamp(float(raw.get("create_time") or 0), UTC)
    return Session(str(raw.get("id") or raw.get("conversation_id") or raw.get("title", "")), started, tuple(messages))


def _time(value: Any, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"{where}: {value!r} is not an ISO date and time like 2026-01-05T20:00:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
