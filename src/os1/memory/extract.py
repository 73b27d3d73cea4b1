"""From turns to memories: what is worth keeping, extracted with JSON-schema constrained output, then applied.

Applying is where time is kept honest: a new fact about the same subject and relation (``Theo`` / ``lives in``)
closes the old one at the new one's date instead of deleting it, the same fact said twice is stored once, and
trivia (importance 1 of 5) is not stored. Dates are the speaker's own words, resolved by ``dates.resolve``
against the moment the turn was said. Facts are about whoever said them: in a conversation between two people,
each turn is labelled with its speaker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time

from os1.llm import LLM, complete_json
from os1.memory.dates import resolve
from os1.memory.recall import Recall
from os1.memory.store import Memory, MemoryKind, Turn

KINDS: tuple[MemoryKind, ...] = ("fact", "preference", "relationship", "event", "mood")
# A closed set of relations, so that "I moved to Berlin" meets "lives in Lisbon" under the same key.
RELATIONS = (
    "lives in", "works as", "works at", "studies", "likes", "dislikes", "is called", "is related to", "is friends with",
    "is partner of", "has birthday on", "owns", "plans to", "feels", "other",
)  # fmt: skip
SUPERSEDABLE = frozenset({"lives in", "works as", "works at", "studies", "is called", "is partner of", "owns"})
MIN_IMPORTANCE = 2  # of 5: 1 is trivia

SCHEMA = {
    "type": "object",
    "properties": {
        "memories": {
            "type": "array",
            "maxItems": 8,
            "items": {
                "type": "object",
                "properties": {
                    "turn": {"type": "integer", "minimum": 1},
                    "kind": {"enum": list(KINDS)},
                    "text": {"type": "string"},
                    "subject": {"type": "string"},
                    "relation": {"enum": list(RELATIONS)},
                    "object": {"type": "string"},
                    "when": {"type": "string"},
                    "importance": {"type": "integer", "minimum": 1, "maximum": 5},
                },
                "required": ["turn", "kind", "text", "subject", "relation", "object", "when", "importance"],
            },
        }
    },
    "required": ["memories"],
}

INSTRUCTIONS = """\
You keep the long-term memory of a companion. From the numbered turns below, list what is worth remembering \
about the people who speak: facts about their lives, preferences, the people in their lives and how they relate, \
events with their dates, and their mood. Skip small talk and anything said only by the assistant.
For each memory: "turn" is the number of the turn it comes from; "text" is one standalone sentence that names \
the person it is about (never "I" or "you"); "subject" is that person's name; "relation" and "object" say the \
fact in short (relation from the list; "other" if none fits); "when" copies the speaker's own words for when it \
happened or will happen ("last Tuesday", "next month"), or "" if they said nothing about time; "importance" is 1 \
(trivia) to 5 (life-changing). Return an empty list if nothing is worth keeping."""


@dataclass(frozen=True)
class Applied:
    stored: list[Memory]
    closed: list[Memory]  # memories that stopped being true because of a stored one
    skipped: int  # duplicates and trivia


async def extract(llm: LLM, turns: Sequence[Turn], names: dict[str, str]) -> list[dict[str, object]]:
    """The model's raw memory items for these turns. ``names`` maps a speaker to the name to show for it."""
    lines = [
        f"[{i}] {names.get(t.speaker, t.speaker)} ({t.at.astimezone():%A %d %B %Y}): {t.text}"
        for i, t in enumerate(turns, 1)
        if t.speaker != "event"
    ]
    reply = await complete_json(
        llm,
        [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": "\n".join(lines)}],
        SCHEMA,
        max_tokens=160 + 140 * len(lines),  # room for a few memories per turn
        temperature=0.1,
    )
    items = reply.get("memories", []) if isinstance(reply, dict) else []
    return [item for item in items if isinstance(item, dict)]


async def apply(recall: Recall, turns: Sequence[Turn], items: Sequence[dict[str, object]], model_id: str) -> Applied:
    """Store the worthwhile items, closing what they supersede; every memory names its source turn."""
    stored: list[Memory] = []
    closed: list[Memory] = []
    skipped = 0
    for item in items:
        index = int(str(item.get("turn", 0)))
        importance = int(str(item.get("importance", 1)))
        text = str(item.get("text", "")).strip()
        if not 1 <= index <= len(turns) or importance < MIN_IMPORTANCE or not text:
            skipped += 1
            continue
        turn = turns[index - 1]
        subject = _key(item.get("subject"))
        relation = str(item.get("relation", "other"))
        obj = _key(item.get("object"))
        when = resolve(str(item.get("when") or ""), turn.at.astimezone().date())
        valid_from = datetime.combine(when, time(12), tzinfo=UTC) if when else turn.at
        same_key = await recall.store.current_with_key(subject, relation) if relation != "other" else []
        if any(_key(m.object) == obj for m in same_key) or any(m.text == text for m in stored):
            skipped += 1
            continue
        if relation in SUPERSEDABLE:
            for old in same_key:
                await recall.store.close_memory(old.id, valid_from)
                closed.append(old)
        kind = str(item.get("kind"))
        memory = Memory(
            id=0,
            kind=kind if kind in KINDS else "fact",
            text=text,
            source_turn_ids=(turn.id,),
            created_at=turn.at,
            subject=subject,
            predicate=relation,
            object=obj,
            valid_from=valid_from,
            importance=importance / 5,
            extracted_by=model_id,
        )
        stored.append(await recall.remember(memory))
    return Applied(stored, closed, skipped)


def _key(value: object) -> str:
    """Subjects and objects compared as written, ignoring case and surrounding punctuation."""
    return " ".join(str(value or "").strip(" .,!?\"'").split()).lower()
