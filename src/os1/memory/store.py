"""The records os1 keeps and the protocol every store implements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any, Literal, NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]  # one vector, or a matrix of them (one row each)

INTERVIEW = "interview:"  # the external id of the setup interview's turns begins with this
QUOTED_ANSWER = "interview"  # the extractor of the memories that quote the interview's answers
OPENING = "opening:"  # the external id of the event that opens a conversation (the date, its notes) begins so
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

    @property
    def from_interview(self) -> bool:
        """A question or an answer of the setup interview: kept as the provenance of what the answers taught the
        companion (the answers are in its system prompt, so these turns are not replayed or written up)."""
        return (self.external_id or "").startswith(INTERVIEW)

    @property
    def opens_conversation(self) -> bool:
        """The note that opened a conversation: what the companion knew that day (replayed in its own conversation
        only; the next one opens with a note of its own)."""
        return (self.external_id or "").startswith(OPENING)


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

    @property
    def quotes_interview(self) -> bool:
        """An answer of the setup interview, quoted word for word: a later correction does not rewrite a quote."""
        return self.extracted_by == QUOTED_ANSWER

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
class Mood:
    """How the companion feels, as what happened last moved it (``companion/inner.py`` decides, in code): a word
    ("pleased", "hurt", "curious", "tender", "amused", or "content" at rest), how strongly (0 to 1) as it was at
    ``since``, when it was last moved (it fades from there), and what moved it: a cause ("return", "absence",
    "love", "sad", ...) and its detail ("9 days", "climbing"). ``turn_id`` is the user's line that moved it: if
    the user has os1 forget that line, the mood goes back to rest."""

    word: str
    intensity: float
    cause: str
    detail: str
    since: datetime
    turn_id: int | None = None


@dataclass(frozen=True)
class TraitChange:
    """One trait grown stronger or softer at a reflection, with the companion's one-sentence reason and the memory
    that reason stands on (None once the user had that memory forgotten: the reason is forgotten with it)."""

    trait: str
    change: Literal["stronger", "softer"]
    before: tuple[str, ...]
    after: tuple[str, ...]
    why: str
    memory_id: int | None
    at: datetime


@dataclass(frozen=True)
class Interest:
    """Something the companion has come to care about itself, grown from what its user loves."""

    topic: str
    why: str
    since: datetime
    memory_ids: tuple[int, ...]  # the memories it grew from: forgetting one of them forgets the interest


@dataclass(frozen=True)
class Inner:
    """The companion's inner life, kept beside its persona: its mood, how its traits have changed since setup
    (newest last), its own interests, and the reflection they were last grown at (``written_at``)."""

    mood: Mood | None = None  # None: at rest, nothing has moved it yet
    changes: tuple[TraitChange, ...] = ()
    interests: tuple[Interest, ...] = ()
    grown_at: datetime | None = None

    def traits(self, at_setup: tuple[str, ...]) -> tuple[str, ...]:
        """Its traits now, strongest first: as the last change left them, or as chosen at setup."""
        return self.changes[-1].after if self.changes else at_setup

    def forgetting(self, memory_id: int, turn_ids: Sequence[int]) -> Inner:
        """What is left once a memory and the words of ``turn_ids`` are forgotten: the interests grown from that
        memory go, the reasons standing on it are blanked, and a mood those words moved goes back to rest."""
        mood = None if self.mood is not None and self.mood.turn_id in set(turn_ids) else self.mood
        changes = tuple(replace(c, why="", memory_id=None) if c.memory_id == memory_id else c for c in self.changes)
        interests = tuple(i for i in self.interests if memory_id not in i.memory_ids)
        return replace(self, mood=mood, changes=changes, interests=interests)

    def record(self) -> dict[str, Any]:
        """As stored (JSON)."""
        return {
            "mood": None if self.mood is None else {**asdict(self.mood), "since": self.mood.since.isoformat()},
            "changes": [{**asdict(c), "at": c.at.isoformat()} for c in self.changes],
            "interests": [{**asdict(i), "since": i.since.isoformat()} for i in self.interests],
            "grown_at": None if self.grown_at is None else self.grown_at.isoformat(),
        }

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> Inner:
        mood = data.get("mood")
        return cls(
            mood=None if mood is None else Mood(**{**mood, "since": _at(mood["since"])}),
            changes=tuple(
                TraitChange(**{**c, "before": tuple(c["before"]), "after": tuple(c["after"]), "at": _at(c["at"])})
                for c in data.get("changes", [])
            ),
            interests=tuple(
                Interest(**{**i, "memory_ids": tuple(i["memory_ids"]), "since": _at(i["since"])})
                for i in data.get("interests", [])
            ),
            grown_at=_at(data["grown_at"]) if data.get("grown_at") else None,
        )


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


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
    async def inner(self) -> Inner | None: ...
    async def save_inner(self, inner: Inner) -> None: ...
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
