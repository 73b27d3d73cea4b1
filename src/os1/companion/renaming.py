"""Another name, when the user asks for one: right after the naming ("no", "another one", "I don't like it") or
later ("/rename", "I don't like your name", "can you pick another name?").

The words are recognised here and the change is made here (as ``control.py`` does for memory): the companion
chooses again from the names its naming narrowed to, less every name already turned down, and the persona is
saved with its new name and the reason. The model only picks among the names left and says why. A persona named
before os1 kept those names, or one whose every name was turned down, is narrowed again from the dataset.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Sequence
from dataclasses import replace

from os1.companion.languages import UNKNOWN, Locale, place_for
from os1.companion.names import read_once, shortlist
from os1.companion.onboarding import choose_name, naming_prompt, told, whole_sentences
from os1.llm import LLM
from os1.memory.store import Persona, Profile, Store

# Right after the name is said, a short "no" is about the name: a line made only of these (and of fillers like
# "hmm" or "please") turns it down; "no, I love it" does not.
REFUSAL = re.compile(
    r"(no+|nope|nah|next|another( one| name)?|something else|(try|choose|pick) again|(a )?different (one|name)|"
    r"(i )?(don'?t|do not|dont) (really )?like (it|that|this|that one|this one|the name|that name)|"
    r"not (that|this)( one)?)( please| thanks| thank you)?"
)
FILLER = re.compile(r"hmm+|um+|uh+|oh|well|sorry|actually|honestly|please|thanks|thank you")
# In a conversation, only words about its name are.
LATER = re.compile(
    r"\b(i (don'?t|do not) (like|love) your name|(choose|pick|find|take|get|give yourself|have) (yourself )?"
    r"(another|a different|a new|a better|some other) name|change your name|rename yourself|"
    r"(be called|call yourself) something else)\b",
    re.I,
)


def refused_at_naming(text: str) -> bool:
    """Whether ``text``, said right after the name was announced, turns the name down."""
    parts = [part.strip() for part in re.split(r"[^\w\s']+", text.lower()) if part.strip()]
    only_refusing = all(REFUSAL.fullmatch(part) or FILLER.fullmatch(part) for part in parts)
    return bool(LATER.search(text)) or (only_refusing and any(REFUSAL.fullmatch(part) for part in parts))


def asked(text: str) -> bool:
    """Whether ``text``, said in a conversation, asks the companion to choose another name."""
    return bool(LATER.search(text))


async def choose_again(
    llm: LLM,
    store: Store,
    persona: Persona,
    profile: Profile,
    *,
    locale: Locale = UNKNOWN,
    rng: random.Random | None = None,
) -> Persona:
    """The persona with another name, chosen from those its naming offered less those turned down (its current
    name among them), and why; saved in ``store``."""
    refused = (*persona.refused, *([persona.name] if persona.name not in persona.refused else []))
    offered = persona.offered
    left = [name for name in offered if name not in refused]
    if not left:
        offered = await asyncio.to_thread(_narrowed_again, persona, profile, locale, refused, rng or random.Random())
        left = list(offered)
    prompt = naming_prompt(persona.traits, profile.name, told(profile.answers), left)
    prompt += f"\n{profile.name} did not like the name {persona.name}, so you are choosing again."
    choice = await choose_name(llm, prompt, left, answers=profile.answers, user=profile.name)
    renamed = replace(
        persona, name=choice["name"], why=whole_sentences(str(choice.get("why", ""))), offered=offered, refused=refused
    )
    await store.save_persona(renamed)
    return renamed


def _narrowed_again(
    persona: Persona, profile: Profile, locale: Locale, refused: Sequence[str], rng: random.Random
) -> tuple[str, ...]:
    total, names = read_once().result()
    return shortlist(
        total, names, voice=persona.voice, traits=persona.traits, avoid=[profile.name, *profile.answers.values()],
        user=profile.name, place=place_for(locale, profile.answers.values()), refused=refused, rng=rng,
    ).names  # fmt: skip
