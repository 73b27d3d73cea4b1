"""Memory control from within the conversation: "what do you know about me?", "forget that ...", "actually it's X".

The words are recognised here, and the action is done here, not by the model: a small model would happily say
"I've forgotten it" without forgetting anything. What was done (or why nothing was) becomes an event note in the
transcript, and the companion's reply puts it in its own words.

"What do you know about me?" is answered from the memories listed in the note, and the answer is checked before it
is shown (``told``): it must tell most of them (at least ``MUST_TELL``), in the companion's own voice, without
taking the user's words as its own. A small model often answers something else ("I'm sorry if I didn't make you
feel welcome"); then the companion says the list itself, each memory turned to "you" (``second_person``), which is
always true and is what the user can correct or have forgotten.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from os1.companion.checks import covered, persona_break, speaks_as_user
from os1.memory.corrections import correction
from os1.memory.recall import Recall
from os1.memory.store import Memory

ASK = re.compile(r"\bwhat (do|did) you (know|remember)( about me)?\b|\bwhat have you (learned|remembered)\b", re.I)
FORGET = re.compile(r"\b(please )?forget (that|about|the fact that|what i said about)\s+(?P<what>.+)", re.I)
MIN_FORGET_SIMILARITY = 0.5
LIST_LIMIT = 12
MUST_TELL = 4  # of the memories listed (or all of them, if fewer)


@dataclass(frozen=True)
class Done:
    """What a memory request did: the note that tells the model, and for "what do you know about me?" the
    memories listed in it, which the reply must tell (``told``)."""

    note: str
    listed: tuple[Memory, ...] = ()


def requested(text: str) -> bool:
    """Whether ``text`` asks something of memory itself (what it knows, to forget, a correction)."""
    return bool(ASK.search(text) or FORGET.search(text) or correction(text))


async def handle(text: str, recall: Recall, user: str, recent: list[Memory]) -> Done | None:
    """Act on a memory request in ``text``; what happened, or None if there was no request. ``recent`` are the
    memories this conversation has touched, newest last (what "it" may refer to)."""
    if ASK.search(text):
        memories = await recall.store.memories(last=LIST_LIMIT)
        if not memories:
            return Done(f"{user} asks what you know about them. You have no memories of them yet: say so honestly.")
        listed = "\n".join(f"- {m.text}" for m in memories)
        return Done(
            f'{user} asks what you know about them. Tell {user} what you remember, speaking to them as "you", '
            f"in a few warm sentences: all of it, and nothing else. Then say they can correct you or ask you to "
            f"forget anything. What you remember:\n{listed}",
            tuple(memories),
        )
    if match := FORGET.search(text):
        what = match["what"].strip(" .!?")
        hits = await recall.search(what, limit=2, transcript=False)
        best = hits[0].memory if hits else None
        if best is None or hits[0].similarity < MIN_FORGET_SIMILARITY:
            return Done(f'{user} asked you to forget "{what}", but you have no memory like that. Say so.')
        await recall.forget(best.id)
        return Done(f'As {user} asked, you deleted this memory for good: "{best.text}". Confirm it in a sentence.')
    if (fix := correction(text)) and recent:
        for memory in reversed(recent):
            if corrected := fix.applied(memory.text):
                await recall.edit(memory.id, corrected)
                return Done(f'{user} corrected you, and you changed your memory to: "{corrected}". Thank them briefly.')
    return None


def told(reply: str, listed: Sequence[Memory], user: str) -> str:
    """The answer to "what do you know about me?": ``reply``, if it tells at least ``MUST_TELL`` of the ``listed``
    memories (all, if fewer) in the companion's own voice; otherwise the list itself, in the second person."""
    texts = [memory.text for memory in listed]
    enough = min(MUST_TELL, len(texts))
    if (
        len(covered(reply, texts, user)) >= enough
        and not persona_break(reply)
        and not speaks_as_user(reply, " ".join(texts))
    ):
        return reply
    lines = "\n".join(f"- {second_person(text, user)}" for text in texts)
    end = "If any of it is wrong, tell me, or ask me to forget it."
    return f"Here's what I remember about you, {user}:\n{lines}\n{end}"


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
