"""The records os1 keeps and the protocol every store implements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]  # one vector, or a matrix of them (one row each)

Corpus = Literal["memories", "transcript"]  # what recall searches: the memories, and the raw turns
Speaker = str  # "user", "assistant", "event", or a person's name in an imported conversation
MemoryKind = Literal["fact", "preference", "relationship", "event", "mood", "episode", "reflection"]
MEMORY_KINDS: tuple[MemoryKind, ...] = ("fact", "preference", "relationship", "event", "mood", "episode", "reflection")


@dataclass(frozen=True, slots=True)  # slots: a server holds hundreds of turns for each of thousands of users
class Turn:
    """One line of the transcript. ``event`` turns are things that happened (the user came back after two
    days), shown to the model but not to the user as speech."""

    id: int
    session_id: int
    speaker: Speaker
    text: str
    at: datetime
    interrupted: bool = False
    model_id: str | None = None
    external_id: str | None = None  # its id in an imported file
    forgotten: bool = False  # the user had os1 forget what it said: its words are gone


@dataclass(frozen=True)
class Profile:
    """The user as the setup interview left them: what to call them, and their answers word for word."""

    name: str
    answers: dict[str, str]
    created_at: datetime


@dataclass(frozen=True)
class Persona:
    """The companion as it chose itself at setup (and again, if the user asked it for another name)."""

    name: str
    why: str
    traits: tuple[str, ...]
    voice: str  # "feminine", "masculine" or "neutral"
    created_at: datetime
    names_considered: int = 0
    offered: tuple[str, ...] = ()  # the names the naming narrowed to, that it chose from (and chooses again from)
    refused: tuple[str, ...] = ()  # names the user turned down: never offered again


@dataclass(frozen=True)
class Memory:
    """Something os1 knows, with when it was true and which turns it came from.

    A memory that stopped being true is closed (``valid_to``) rather than deleted, so "where did I live before?"
    still has an answer. ``subject``/``predicate``/``object`` are set for facts that can be superseded."""

    id: int
    kind: MemoryKind
    text: str
    source_turn_ids: tuple[int, ...]
    created_at: datetime
    subject: str | None = None
    predicate: str | None = None
    object: str | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    importance: float = 0.5
    extracted_by: str | None = None

    @property
    def current(self) -> bool:
        return self.valid_to is None

    def record(self) -> dict[str, Any]:
        """As JSON: ``os1 memory ... --json`` and the server's memory routes."""
        return {
            "id": self.id,
            "kind": self.kind,
            "text": self.text,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "importance": self.importance,
            "source_turn_ids": list(self.source_turn_ids),
        }


@dataclass(frozen=True)
class Reflection:
    """What the companion has come to think about its user and their relationship, rewritten from time to time
    from the memories and the diary; it sits in the stable prefix of every conversation."""

    about: str  # the user as the companion sees them now
    open_threads: tuple[str, ...]  # things under way in the user's life
    follow_ups: tuple[str, ...]  # things to ask about next time
    written_at: datetime
    memories_seen: int  # the newest memory id it was written from


@dataclass(frozen=True)
class Indexed:
    """A corpus's vectors made by one model (one row per record), with when each record was said and when what it
    tells happened (epoch seconds; the same for a turn), so recall can look within a stretch of time."""

    ids: list[int]
    matrix: Vector
    said: npt.NDArray[np.float64]
    happened: npt.NDArray[np.float64]


class Unembedded(NamedTuple):
    """A record still to be embedded, with its times as in ``Indexed``."""

    id: int
    text: str
    said: float
    happened: float


class Store(Protocol):
    """One user's data. Every method touches that user's data only."""

    async def profile(self) -> Profile | None: ...
    async def save_profile(self, profile: Profile) -> None: ...
    async def persona(self) -> Persona | None: ...
    async def save_persona(self, persona: Persona) -> None: ...
    async def reflection(self) -> Reflection | None: ...
    async def save_reflection(self, reflection: Reflection) -> None: ...
    async def start_session(self, started_at: datetime | None = None) -> int: ...
    async def sessions_without_episode(self, *, min_said: int) -> list[int]:
        """Sessions where people said at least ``min_said`` things and that have no diary entry yet."""
        ...

    async def session_turns(self, session_id: int) -> list[Turn]: ...
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
    ) -> Turn: ...
    async def turns(self) -> list[Turn]:
        """Every turn in the order it was said: by its time, then as stored (conversations imported from last
        year come before today's, whenever they were imported)."""
        ...

    async def cut_turn(self, turn_id: int, text: str) -> None:
        """A reply was heard only up to ``text`` (a voice barge-in): keep that, marked as cut off; nothing heard
        removes the turn."""
        ...

    async def queued_turns(self, *, limit: int = 100) -> list[Turn]: ...
    async def queued_count(self) -> int:
        """How many turns wait for memory extraction."""
        ...

    async def dequeue_turns(self, turn_ids: Sequence[int]) -> None: ...
    async def turns_by_id(self, turn_ids: Sequence[int]) -> list[Turn]: ...

    async def add_memory(self, memory: Memory, embedding: tuple[str, Vector] | None = None) -> Memory: ...
    async def close_memory(self, memory_id: int, valid_to: datetime) -> None: ...
    async def edit_memory(self, memory_id: int, text: str, embedding: tuple[str, Vector] | None = None) -> None: ...
    async def forget_memory(self, memory_id: int) -> bool: ...
    async def memory(self, memory_id: int) -> Memory | None: ...
    async def memories_by_id(self, memory_ids: Sequence[int]) -> list[Memory]: ...
    async def memories(self, *, include_past: bool = False, last: int | None = None) -> list[Memory]: ...
    async def current_with_key(self, subject: str, predicate: str) -> list[Memory]: ...
    async def search_text(self, corpus: Corpus, query: str, *, limit: int = 50) -> list[tuple[int, float]]:
        """(record id, BM25 score, higher is better) for the records whose words match the query's."""
        ...

    async def vectors(self, corpus: Corpus, model_id: str) -> Indexed: ...
    async def unembedded(self, corpus: Corpus, model_id: str) -> list[Unembedded]:
        """The records with no vector from ``model_id`` (new turns, or after a change of embedding model)."""
        ...

    async def put_vectors(self, corpus: Corpus, model_id: str, vectors: Sequence[tuple[int, Vector]]) -> None:
        """Replace records' vectors with ``model_id``'s (one vector per record: models are never mixed)."""
        ...

    async def erase(self) -> None:
        """Delete everything this store holds (the user is leaving for good); the store is closed after it."""
        ...

    def close(self) -> None: ...

    async def wake(self) -> None:
        """Make the calls that follow quick: what they will read is brought from disk first, without holding up
        the event loop (a server calls it before a user's line). Nothing to do where nothing rests on disk."""
        ...
