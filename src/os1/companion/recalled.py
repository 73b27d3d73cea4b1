"""What memory brings to a reply: the recalled memories and past lines worth a note, and the note itself.

The note is an event turn just before the user's words (``prompt.py``): every token of it is read before the
reply, once, and then cached. So it holds only what is new to the conversation, at most ``RECALL_LIMIT`` items,
each cut to ``NOTE_CHARS`` characters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from os1.memory.recall import Hit
from os1.memory.store import Memory

RECALL_LIMIT = 4
NOTE_CHARS = 240  # a recalled memory or line is cut to this in the prompt's note
RECALL_MIN_SIMILARITY = 0.35  # below this a memory found only by meaning is not about what was said


def worth_noting(hits: Sequence[Hit], noted: set[int], answers: set[int]) -> list[Hit]:
    """The ``hits`` about what was said (found by its words, or close enough in meaning) that the conversation
    has not had yet: no memory among ``noted`` (ids), none made only from the interview's answer turns
    ``answers`` (the system message holds them word for word)."""
    return [
        hit
        for hit in hits
        if (hit.similarity >= RECALL_MIN_SIMILARITY or "words" in hit.ranks or "turn words" in hit.ranks)
        and (hit.memory is None or (hit.memory.id not in noted and not _quotes(hit.memory, answers)))
    ]


def note_of(hits: Sequence[Hit], user: str) -> str:
    """The note of ``hits`` for the model, a short line each (the same words twice would cost twice)."""
    lines = dict.fromkeys(f"- {_line(hit, user)}" for hit in hits)
    return "What you remember that may matter here:\n" + "\n".join(lines)


def _line(hit: Hit, user: str) -> str:
    if hit.memory is not None:
        return _dated(replace(hit.memory, text=_shortened(hit.memory.text)))
    assert hit.turn is not None
    who = {"user": user, "assistant": "you"}.get(hit.turn.speaker, hit.turn.speaker)
    return f'on {hit.turn.at.astimezone():%d %B %Y}, {who} said: "{_shortened(hit.turn.text)}"'


def _dated(memory: Memory) -> str:
    if memory.valid_to is not None:
        return f"{memory.text} (until {memory.valid_to:%B %Y}; no longer true)"
    if memory.valid_from is not None:
        return f"{memory.text} (since {memory.valid_from:%B %Y})"
    return memory.text


def _shortened(text: str) -> str:
    """At most ``NOTE_CHARS`` characters, cut at a sentence or a word: a diary entry's first lines say enough."""
    if len(text) <= NOTE_CHARS:
        return text
    cut = text[:NOTE_CHARS]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    return cut[: end + 1] if end > NOTE_CHARS // 2 else cut.rsplit(" ", 1)[0] + " ..."


def _quotes(memory: Memory, answers: set[int]) -> bool:
    """Whether ``memory`` was made from nothing but the turns ``answers``."""
    return bool(memory.source_turn_ids) and set(memory.source_turn_ids) <= answers
