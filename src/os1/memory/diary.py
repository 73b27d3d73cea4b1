"""Episodes and reflection: a diary entry for every conversation, and the companion's own notes on its user,
rewritten from time to time.

An episode is a short entry in the companion's diary about one conversation (what happened, how the user
felt, what was left open), stored as a memory of kind ``episode`` that names every turn it was written from,
so recall finds it ("what did we talk about in March?") and forget can rewrite it. Reflection reads the
memories and the latest entries and rewrites what sits in the stable prefix: who the user is now, what is under
way in their life, and what to ask about next time. How long the two have known each other is counted by code,
not guessed by the model. Both are written when a conversation ends, in the background once the user has been
quiet a while, or by `os1 memory import --diary`; never while the user waits for a reply.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from os1.errors import LLMBadResponse
from os1.llm import LLM, Message, complete, complete_json
from os1.memory.recall import Recall
from os1.memory.store import Memory, Reflection, Turn

MIN_SAID = 3  # a conversation where the user said fewer things than this gets no diary entry
REFLECT_AFTER = 12  # new memories before the reflection is written again
REFLECT_FROM = 60  # memories read by a reflection (the most important, then the newest)
EPISODE_IMPORTANCE = 0.6
EPISODE_MAX_CHARS = 12_000  # ~3,400 tokens of conversation read for one entry

EPISODE_INSTRUCTIONS = """\
You keep the diary of {companion}, a companion who talks with {user}. Write the diary entry for the \
conversation below, in two or three plain sentences in the past tense: what {user} talked about, how {user} \
seemed to feel, and anything left open. Name {user}; never write "I" or "you". Only what was said."""

REFLECTION_INSTRUCTIONS = """\
You are {companion}, {user}'s companion. From what you remember about {user} and your latest diary entries, \
write your private notes: "about" is a short paragraph on who {user} is now (their life, the people in it, \
what matters to them; what is true now, not what used to be); "open_threads" lists what is under way in \
{user}'s life; "follow_ups" lists a few things to ask {user} about next time. Only what you were told."""

REFLECTION_SCHEMA = {
    "type": "object",
    "properties": {
        "about": {"type": "string"},
        "open_threads": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
        "follow_ups": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
    },
    "required": ["about", "open_threads", "follow_ups"],
}


@dataclass
class Diary:
    llm: LLM
    recall: Recall
    names: dict[str, str]  # speaker -> name, e.g. {"user": "Theo", "assistant": "Wren"}

    async def catch_up(self, *, live_session: int | None = None, reflect: bool = True) -> int:
        """Write the entries of finished conversations that have none (all but ``live_session``), then the
        reflection if enough is new. Returns how many things were written."""
        written = 0
        for session_id in await self.recall.store.sessions_without_episode(min_said=MIN_SAID):
            if session_id != live_session:
                written += await self.write_episode(await self.recall.store.session_turns(session_id))
        if reflect and await self.reflection_due() and await self.reflect() is not None:
            written += 1
        return written

    async def write_episode(self, turns: Sequence[Turn]) -> int:
        said = [t for t in turns if t.speaker != "event" and not t.forgotten and not t.from_interview]
        if not said:
            return 0
        user, companion = self.names.get("user", "the user"), self.names.get("assistant", "the companion")
        lines = [f"{self.names.get(t.speaker, t.speaker)}: {t.text}" for t in said]
        while len(lines) > 1 and sum(len(line) for line in lines) > EPISODE_MAX_CHARS:
            lines.pop(0)  # a very long conversation is written up from its end, which fits the context
        entry = await complete(
            self.llm,
            [
                {"role": "system", "content": EPISODE_INSTRUCTIONS.format(companion=companion, user=user)},
                {"role": "user", "content": "\n".join(lines)},
            ],
            max_tokens=160,
            temperature=0.3,
        )
        entry = " ".join(entry.split())
        if not entry:
            return 0
        started = said[0].at
        await self.recall.remember(
            Memory(
                id=0, kind="episode", text=f"{started.astimezone():%d %B %Y}: {entry}",
                source_turn_ids=tuple(t.id for t in said), created_at=said[-1].at, valid_from=started,
                importance=EPISODE_IMPORTANCE, extracted_by=self.llm.model_id,
            )
        )  # fmt: skip
        return 1

    async def reflection_due(self) -> bool:
        newest = await self.recall.store.memories(last=1)
        if not newest:
            return False
        last = await self.recall.store.reflection()
        return last is None or newest[-1].id - last.memories_seen >= REFLECT_AFTER

    async def reflect(self) -> Reflection | None:
        """Write the reflection again from the memories and the diary; None if the model wrote nothing or an
        answer that cannot be read (a small model looping until it runs out of tokens): the old notes stay and
        the next settle tries again."""
        store = self.recall.store
        messages, _ = await self.reflection_prompt()
        try:
            reply = await complete_json(self.llm, messages, REFLECTION_SCHEMA, max_tokens=400, temperature=0.3)
        except LLMBadResponse as error:
            logging.getLogger("os1.memory").warning("the reflection was not written; the old notes stay: %s", error)
            return None
        data = reply if isinstance(reply, dict) else {}
        newest = await store.memories(last=1)
        reflection = Reflection(
            about=" ".join(str(data.get("about", "")).split()),
            open_threads=_strings(data.get("open_threads")),
            follow_ups=_strings(data.get("follow_ups")),
            written_at=self.recall.clock(),
            memories_seen=newest[-1].id if newest else 0,
        )
        if not reflection.about:
            return None
        await store.save_reflection(reflection)
        return reflection

    async def reflection_prompt(self) -> tuple[list[Message], list[Memory]]:
        """The reflection's request as it would be made now, and the memories it shows the model (a request that
        goes on from it, as the companion's growth does, finds those already read in the model's cache)."""
        store = self.recall.store
        memories = [m for m in await store.memories() if m.kind != "episode"]
        chosen = sorted(sorted(memories, key=lambda m: (-m.importance, -m.id))[:REFLECT_FROM], key=lambda m: m.id)
        episodes = [m for m in await store.memories(last=REFLECT_FROM) if m.kind == "episode"][-5:]
        user, companion = self.names.get("user", "the user"), self.names.get("assistant", "the companion")
        facts = "\n".join(f"- {m.text}" for m in chosen)
        diary = "\n".join(f"- {m.text}" for m in episodes) or "- (none yet)"
        messages: list[Message] = [
            {"role": "system", "content": REFLECTION_INSTRUCTIONS.format(companion=companion, user=user)},
            {"role": "user", "content": f"What you remember:\n{facts}\n\nYour latest diary entries:\n{diary}"},
        ]
        return messages, chosen


def _strings(value: object) -> tuple[str, ...]:
    return tuple(" ".join(str(v).split()) for v in value if str(v).strip()) if isinstance(value, list) else ()
