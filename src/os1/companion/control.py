"""Memory control from within the conversation: "what do you know about me?", "forget that ...", "actually it's X".

The words are recognised here, and the action is done here, not by the model: a small model would happily say
"I've forgotten it" without forgetting anything. What was done (or why nothing was) becomes an event note in the
transcript, and the companion's reply puts it in its own words.

"What do you know about me?" is answered with what memory holds, in code, not by the model: the facts it keeps
about the user (the diary aside), the most important first if there are many, each turned to "you"
(``second_person``). Given that list to retell, the 1.5B default model ignored it for half of the newcomers of
bench/companion.py ("I'm sorry if I didn't make you feel welcome") or garbled it ("dead to your mother"); when it
did retell it well, a check of its answer could only run once the whole answer was written, 10 s or more before
anything was shown. The list is shown at once, is always true, and is what the user can correct or have
forgotten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from os1.memory.corrections import correction
from os1.memory.recall import Recall
from os1.memory.store import Memory, MemoryKind

ASK = re.compile(r"\bwhat (do|did) you (know|remember)( about me)?\b|\bwhat have you (learned|remembered)\b", re.I)
FORGET = re.compile(r"\b(please )?forget (that|about|the fact that|what i said about)\s+(?P<what>.+)", re.I)
MIN_FORGET_SIMILARITY = 0.5
LIST_LIMIT = 12
DIARY: frozenset[MemoryKind] = frozenset({"episode", "reflection"})  # its own notes on the days, not facts


@dataclass(frozen=True)
class Done:
    """What a memory request did: the note that tells the model to put it in its own words, or the reply itself
    (what it knows, said as it is)."""

    note: str = ""
    reply: str = ""


def requested(text: str) -> bool:
    """Whether ``text`` asks something of memory itself (what it knows, to forget, a correction)."""
    return bool(ASK.search(text) or FORGET.search(text) or correction(text))


async def handle(text: str, recall: Recall, user: str, recent: list[Memory]) -> Done | None:
    """Act on a memory request in ``text``; what happened, or None if there was no request. ``recent`` are the
    memories this conversation has touched, newest last (what "it" may refer to)."""
    if ASK.search(text):
        return Done(reply=known(await recall.store.memories(), user))
    if match := FORGET.search(text):
        what = match["what"].strip(" .!?")
        hits = await recall.search(what, limit=2, transcript=False)
        best = hits[0].memory if hits else None
        if best is None or hits[0].similarity < MIN_FORGET_SIMILARITY:
            return Done(note=f'{user} asked you to forget "{what}", but you have no memory like that. Say so.')
        await recall.forget(best.id)
        return Done(note=f'As {user} asked, you deleted this memory for good: "{best.text}". Confirm it in a sentence.')
    if (fix := correction(text)) and recent:
        for memory in reversed(recent):
            if not memory.quotes_interview and (corrected := fix.applied(memory.text)):
                await recall.edit(memory.id, corrected)
                return Done(
                    note=f'{user} corrected you, and you changed your memory to: "{corrected}". Thank them briefly.'
                )
    return None


def known(memories: list[Memory], user: str) -> str:
    """What the companion says when asked what it knows: the facts of ``memories`` (at most ``LIST_LIMIT``, the
    most important, in the order they were learnt), said to ``user``."""
    facts = [memory for memory in memories if memory.kind not in DIARY]
    if not facts:
        return f"Nothing yet, {user}: I haven't kept anything about you so far. Tell me something?"
    listed = sorted(sorted(facts, key=lambda m: (m.importance, m.id), reverse=True)[:LIST_LIMIT], key=lambda m: m.id)
    lines = "\n".join(f"- {second_person(memory.text, user)}" for memory in listed)
    more = (
        f" (the {len(listed)} that matter most of the {len(facts)} things I know)" if len(facts) > len(listed) else ""
    )
    end = "If any of it is wrong, tell me, or ask me to forget it."
    return f"Here's what I remember about you, {user}{more}:\n{lines}\n{end}"


# A verb that follows "you" instead of the user's name: "Dale is" -> "you are".
_IRREGULAR = {"is": "are", "was": "were", "has": "have", "does": "do", "isn't": "aren't", "wasn't": "weren't",
              "hasn't": "haven't", "doesn't": "don't", "says": "say", "goes": "go"}  # fmt: skip
_ADVERB = r"(?:(?:often|always|never|usually|also|still|sometimes|mostly|really|just|already|now|only|rarely)\s+)?"
_CLAUSE_START = (
    r"(?:^|[.;:!?]\s+|,\s+|\b(?:and|but|so|because|when|while|since|although|though|if|that|who|whether|what|how|"
    r"where|why)\s+)"
)


def second_person(text: str, user: str) -> str:
    """A memory about ``user`` said to them: "Dale's dog Rusty rides with Dale" -> "Your dog Rusty rides with you",
    "Dale restores old pianos" -> "You restore old pianos". Only the name is turned: "his" or "her" may be someone
    else's, so a memory that uses them keeps them."""
    name = re.escape(user)

    def subject(match: re.Match[str]) -> str:
        lead, adverb, verb = match["lead"], match["adverb"], match["verb"]
        you = "You" if not lead.strip() or lead.rstrip()[-1:] in ".!?" else "you"
        return f"{lead}{you} {adverb}{_plain(verb)}"

    text = re.sub(rf"(?P<lead>{_CLAUSE_START}){name}\s+(?P<adverb>{_ADVERB})(?P<verb>[a-z']+)\b", subject, text)
    text = re.sub(rf"(^|[.!?]\s+){name}'s\b", lambda m: f"{m[1]}Your", text)
    text = re.sub(rf"\b{name}'s\b", "your", text)
    return re.sub(rf"\b{name}\b", "you", text)


def _plain(verb: str) -> str:
    """The form of a present-tense verb after "you": "restores" -> "restore", "tries" -> "try"; other words and
    tenses as they are ("quit", "likes" -> "like", "said" -> "said")."""
    if verb in _IRREGULAR:
        return _IRREGULAR[verb]
    if verb.endswith("ies") and len(verb) > 4:
        return verb[:-3] + "y"
    if re.search(r"(ch|sh|ss|x|zz)es$", verb):
        return verb[:-2]
    if verb.endswith("s") and not verb.endswith(("ss", "us", "is")) and len(verb) > 3:
        return verb[:-1]
    return verb
