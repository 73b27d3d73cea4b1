"""Memory control from within the conversation: "what do you know about me?", "forget that ...", "actually it's X".

The words are recognised here, and the action is done here, not by the model: a small model would happily say
"I've forgotten it" without forgetting anything. What was done (or why nothing was) becomes an event note in the
transcript, and the companion's reply puts it in its own words.
"""

from __future__ import annotations

import re

from os1.memory.recall import Recall
from os1.memory.store import Memory

ASK = re.compile(r"\bwhat (do|did) you (know|remember)( about me)?\b|\bwhat have you (learned|remembered)\b", re.I)
FORGET = re.compile(r"\b(please )?forget (that|about|the fact that|what i said about)\s+(?P<what>.+)", re.I)
CORRECT = re.compile(r"^\W*(no,? |actually,? |sorry,? )+(it'?s|it is|the name is|her name is|his name is|i meant)\s+"
                     r"(?P<word>[\w'-]+)\W*$", re.I)  # fmt: skip
MIN_FORGET_SIMILARITY = 0.5
LIST_LIMIT = 12


def requested(text: str) -> bool:
    """Whether ``text`` asks something of memory itself (what it knows, to forget, a correction)."""
    return bool(ASK.search(text) or FORGET.search(text) or CORRECT.search(text))


async def handle(text: str, recall: Recall, user: str, recent: list[Memory]) -> str | None:
    """Act on a memory request in ``text``; the event note saying what happened, or None if there was none.
    ``recent`` are the memories this conversation has touched, newest last (what "it" may refer to)."""
    if ASK.search(text):
        memories = await recall.store.memories(last=LIST_LIMIT)
        if not memories:
            return f"{user} asks what you know about them. You have no memories of them yet: say so honestly."
        listed = "\n".join(f"- {m.text}" for m in memories)
        return (
            f"{user} asks what you know about them. This is everything you remember (say it plainly, warmly, in "
            f"a few sentences; tell them they can correct you or ask you to forget anything):\n{listed}"
        )
    if match := FORGET.search(text):
        what = match["what"].strip(" .!?")
        hits = await recall.search(what, limit=2, transcript=False)
        best = hits[0].memory if hits else None
        if best is None or hits[0].similarity < MIN_FORGET_SIMILARITY:
            return f'{user} asked you to forget "{what}", but you have no memory like that. Say so.'
        await recall.forget(best.id)
        return f'As {user} asked, you deleted this memory for good: "{best.text}". Confirm it in a sentence.'
    if (match := CORRECT.search(text)) and recent:
        word = match["word"]
        for memory in reversed(recent):
            wrong = _near_word(memory.text, word)
            if wrong:
                corrected = re.sub(rf"\b{re.escape(wrong)}\b", word, memory.text)
                await recall.edit(memory.id, corrected)
                return f'{user} corrected you, and you changed your memory to: "{corrected}". Thank them briefly.'
    return None


def _near_word(text: str, word: str) -> str | None:
    """A word of ``text`` that is ``word`` misspelt (one or two letters off), if any."""
    for candidate in re.findall(r"[\w'-]+", text):
        if candidate.lower() != word.lower() and _distance(candidate.lower(), word.lower()) <= 2 and len(word) > 2:
            return str(candidate)
    return None


def _distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
