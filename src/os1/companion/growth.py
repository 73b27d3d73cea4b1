"""How the companion grows with its user, at reflection time: one trait stronger or softer, an interest of its own.

After a reflection is written (``memory/diary.py``), one more small JSON request goes on from the reflection's
own (the same messages, then its notes, then the question), so the memories it read are already in the model's
cache. The model answers two small judgements, each from a list made in code:

- whether one trait (from ``names.TRAITS``) has grown "stronger" or "softer", or "neither", with one sentence
  why. Code applies at most one change per reflection and none within ``SETTLE`` of the last: stronger puts the
  trait first (adding it when new, and letting the weakest go beyond ``MAX_TRAITS``), softer takes it out (or puts
  it last, at ``MIN_TRAITS``). The reason must share a meaningful word with a memory it read, which it then
  stands on; a reason with none, or that breaks the persona, changes nothing.
- which of the things the user likes (the objects of current "likes" and "studies" memories, those they mention
  most first) has become an interest of its own, or "none", with why. At most ``MAX_INTERESTS``: a new one lets
  the oldest go.

The history of changes (before, after, why, when) and the interests (why, since when) are kept in the store's
``Inner`` record; the stable prefix and /who read them. Each reflection is grown from once.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from os1.companion.checks import persona_break
from os1.companion.names import TRAITS
from os1.errors import LLMBadResponse
from os1.llm import LLM, complete_json
from os1.memory.diary import Diary
from os1.memory.recall import Recall
from os1.memory.store import Inner, Interest, Memory, Persona, TraitChange
from os1.memory.words import stems

MAX_TRAITS = 4
MIN_TRAITS = 2
MAX_INTERESTS = 5
CANDIDATES = 8  # things the user likes offered as interests, at most
SETTLE = timedelta(days=3)  # a character does not change every day
INTEREST_FROM = ("likes", "studies")  # the relations whose objects may become interests
MAX_WHY = 200

QUESTION = """\
Now think about yourself, {companion}. Your traits are: {traits}. Knowing {user} as you do now, has one trait \
of yours grown stronger or softer? It may be one of yours or a new one from: {all}. Most of the time nothing \
has changed: then "change" is "neither". If one has, "why" is one sentence, in your own voice, naming what you \
remember about {user} that changed it."""

INTEREST_QUESTION = """\
{user} likes: {candidates}. Has one of these become an interest of your own, something you would bring up \
yourself? "interest" is that one, or "none"; "interest_why" is one sentence on why, in your own voice."""


async def grow(llm: LLM, recall: Recall, persona: Persona, user: str, now: datetime) -> Inner | None:
    """Grow from the newest reflection if it was not grown from yet; the inner life as it then is, or None when
    there was nothing new to grow from or the answer could not be read (it is asked again at the next settle)."""
    store = recall.store
    reflection = await store.reflection()
    inner = await store.inner() or Inner()
    if reflection is None or (inner.grown_at is not None and reflection.written_at <= inner.grown_at):
        return None
    traits = inner.traits(persona.traits)
    may_change = not inner.changes or now - inner.changes[-1].at >= SETTLE
    memories = await store.memories()
    candidates = await _candidates(recall, memories, inner)
    answer: dict[str, Any] = {}
    read: list[Memory] = []
    if may_change or candidates:
        messages, read = await Diary(llm, recall, {"user": user, "assistant": persona.name}).reflection_prompt()
        notes = {"about": reflection.about, "open_threads": reflection.open_threads}
        notes["follow_ups"] = reflection.follow_ups
        asked = [QUESTION.format(companion=persona.name, traits=", ".join(traits), user=user, all=", ".join(TRAITS))]
        asked = asked if may_change else []
        if candidates:
            asked.append(INTEREST_QUESTION.format(user=user, candidates="; ".join(candidates)))
        messages += [
            {"role": "assistant", "content": json.dumps(notes)},
            {"role": "user", "content": "\n".join(asked)},
        ]
        try:
            reply = await complete_json(llm, messages, schema(may_change, candidates), max_tokens=220, temperature=0.3)
        except LLMBadResponse as error:
            logging.getLogger("os1.memory").warning("the companion did not grow this time: %s", error)
            return None
        answer = reply if isinstance(reply, dict) else {}
    latest = await store.inner() or Inner()  # the mood may have moved while the model answered
    grown = replace(
        latest,
        changes=latest.changes + _change(answer, traits, read, names=(user, persona.name), now=now),
        interests=_interests(latest.interests, answer, candidates, memories, now),
        grown_at=reflection.written_at,
    )
    await store.save_inner(grown)
    return grown


def schema(may_change: bool, candidates: Sequence[str]) -> dict[str, Any]:
    """The answer's schema: the plainest answer (the first of each choice) changes nothing."""
    properties: dict[str, Any] = {}
    if may_change:
        properties |= {
            "change": {"enum": ["neither", "stronger", "softer"]},
            "trait": {"enum": list(TRAITS)},
            "why": {"type": "string", "maxLength": MAX_WHY},
        }
    if candidates:
        properties |= {
            "interest": {"enum": ["none", *candidates]},
            "interest_why": {"type": "string", "maxLength": MAX_WHY},
        }
    return {"type": "object", "properties": properties, "required": list(properties)}


def changed(traits: tuple[str, ...], change: str, trait: str) -> tuple[str, ...] | None:
    """The traits after ``trait`` grew ``change``, strongest first; None when that changes nothing."""
    if change == "stronger":
        if traits and traits[0] == trait:
            return None
        return (trait, *(t for t in traits if t != trait))[:MAX_TRAITS]
    if change != "softer" or trait not in traits:
        return None
    rest = tuple(t for t in traits if t != trait)
    if len(traits) > MIN_TRAITS:
        return rest
    return None if traits[-1] == trait else (*rest, trait)


def _change(
    answer: dict[str, Any], traits: tuple[str, ...], read: Sequence[Memory], *, names: Sequence[str], now: datetime
) -> tuple[TraitChange, ...]:
    change, trait, why = answer.get("change"), answer.get("trait"), _sentence(answer.get("why"))
    if change not in ("stronger", "softer") or trait not in TRAITS or not why:
        return ()
    after = changed(traits, str(change), str(trait))
    grounds = _grounds(why, read, ignore=" ".join([*names, *TRAITS]))
    if after is None or grounds is None:
        return ()
    return (TraitChange(str(trait), change, traits, after, why, grounds.id, now),)


def _interests(
    interests: tuple[Interest, ...],
    answer: dict[str, Any],
    candidates: Sequence[str],
    memories: Sequence[Memory],
    now: datetime,
) -> tuple[Interest, ...]:
    topic, why = answer.get("interest"), _sentence(answer.get("interest_why"))
    if topic not in candidates or not why or any(i.topic.lower() == str(topic).lower() for i in interests):
        return interests
    sources = tuple(m.id for m in memories if (m.object or "").strip().lower() == str(topic).lower())
    return (*interests, Interest(str(topic), why, now, sources))[-MAX_INTERESTS:]


async def _candidates(recall: Recall, memories: Sequence[Memory], inner: Inner) -> list[str]:
    """What the user likes that is not an interest of the companion's yet, what they mention most first."""
    mine = {i.topic.lower() for i in inner.interests}
    topics: dict[str, str] = {}
    for memory in memories:
        topic = " ".join((memory.object or "").split())
        if memory.predicate in INTEREST_FROM and 0 < len(topic) <= 40 and topic.lower() not in mine:
            topics.setdefault(topic.lower(), topic)
    if not topics:
        return []
    said = [t.text.lower() for t in await recall.store.turns() if t.speaker == "user" and not t.forgotten]
    mentions = Counter({key: sum(key in line for line in said) for key in topics})
    ranked = sorted(topics, key=lambda key: (-mentions[key], key))
    return [topics[key] for key in ranked[:CANDIDATES]]


def _sentence(value: object) -> str:
    """The first sentence of what the model wrote, or "" when there is none or it breaks the persona."""
    text = " ".join(str(value or "").split())[:MAX_WHY]
    match = re.match(r".+?[.!?](?=\s|$)", text)
    sentence = match.group(0) if match else text
    return "" if not sentence or persona_break(sentence) else sentence


def _grounds(why: str, read: Sequence[Memory], *, ignore: str) -> Memory | None:
    """The memory a reason stands on: the one read that shares the most meaningful words with it (names and trait
    words aside), or None when none shares any."""
    words = stems(why) - stems(ignore)
    best = max(read, key=lambda m: (len(words & stems(m.text)), m.id), default=None)
    return best if best is not None and words & stems(best.text) else None
