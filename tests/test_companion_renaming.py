"""Another name on request: at the naming, by /rename, and in words; the refused names are never offered again."""

import json
import random
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from os1.companion.companion import Companion
from os1.companion.onboarding import Interview
from os1.companion.renaming import asked, refused_at_naming
from os1.llm import Message
from os1.memory.sqlite import SQLiteStore
from os1.memory.store import Persona, Profile
from os1.testing import ScriptedLLM
from tests.test_companion_onboarding import ANSWERS, choose_last, reading


def choose_first(messages: Sequence[Message], schema: dict[str, Any] | None) -> str:
    assert schema is not None
    name = schema["properties"]["name"]["enum"][0]
    return json.dumps({"name": name, "sound": f"I like how {name} sounds. It is quieter."})


def offered(llm: ScriptedLLM) -> list[str]:
    """The names the last request for a name offered."""
    schema = next(r.schema for r in reversed(llm.requests) if r.schema and "name" in r.schema["properties"])
    return list(schema["properties"]["name"]["enum"])


AT_NAMING = ["no", "Nope.", "another one", "another one, please", "I don't like it", "i dont like that one",
             "try again", "not that one", "I don't like your name", "Hmm, another one, please",
             "Um... no.", "no, another one", "No thanks. A different one?"]  # fmt: skip


@pytest.mark.parametrize("said", AT_NAMING)
def test_turning_the_name_down_at_the_naming(said: str) -> None:
    assert refused_at_naming(said)


@pytest.mark.parametrize(
    "said", ["I love it", "no, I love it!", "hello Nora", "yes", "", "nice to meet you", "no way, it's perfect"]
)
def test_anything_else_at_the_naming_keeps_the_name(said: str) -> None:
    assert not refused_at_naming(said)


def test_only_words_about_its_name_ask_for_another_in_a_conversation() -> None:
    for said in ("I don't like your name", "can you pick another name?", "Could you choose a different name?",
                 "please change your name", "call yourself something else"):  # fmt: skip
        assert asked(said), said
    for said in ("no", "another one", "tell me another one", "I don't like it", "what's your name?"):
        assert not asked(said), said


async def test_the_companion_chooses_again_from_its_list_and_it_is_kept(home: Path) -> None:
    store = SQLiteStore.open(home)
    llm = ScriptedLLM(reading, choose_last)
    naming = await Interview(llm, store, rng=random.Random(7)).finish(ANSWERS)
    first = naming.persona
    assert first.offered == tuple(offered(llm)) and len(first.offered) == 30 and first.refused == ()

    companion = Companion(llm, store, first, naming.profile)
    await companion.transcript()  # the greeting, as said
    llm.enqueue("Hello Theo, I'm " + first.name + ".")
    said = "".join([d async for d in companion.welcome()])

    llm.enqueue(choose_first)  # by /rename (the CLI) or the "Choose another name" button (the web app)
    second = await companion.rename()
    assert offered(llm) == [name for name in first.offered if name != first.name]
    assert (second.name, second.refused) == (offered(llm)[0], (first.name,))
    assert second.why == f"I like how {second.name} sounds. It is quieter."
    assert f"did not like the name {first.name}" in llm.requests[-1].messages[0]["content"]

    llm.enqueue(choose_first, "Then I'm Nora from now on.")  # in words, in the conversation
    reply = "".join([d async for d in companion.respond("Sorry, I don't like your name either. Pick another name?")])
    third = companion.persona
    assert first.name not in offered(llm) and second.name not in offered(llm)
    assert third.refused == (first.name, second.name) and reply == "Then I'm Nora from now on."
    prompt = llm.prompts[-1]
    assert prompt[0]["content"].startswith(f"You are {third.name}, an operating system")  # its name from now on
    assert f"You chose {third.name}" in prompt[-2]["content"]  # the note the reply puts in its own words
    turns = [turn for turn in await store.turns() if not turn.from_interview and not turn.opens_conversation]
    assert [t.speaker for t in turns] == ["event", "assistant", "event", "event", "user", "assistant"]
    assert turns[1].text == said and first.name in said  # the first greeting stays as it was said
    store.close()

    store = SQLiteStore.open(home)  # a restart
    kept = await store.persona()
    assert kept == third and kept.offered == first.offered
    again = await Companion.load(llm, store)
    assert again is not None and again.persona.name == third.name
    llm.enqueue(choose_first)
    await again.rename()
    assert not {first.name, second.name, third.name} & set(offered(llm))
    store.close()


async def test_a_persona_named_before_the_list_was_kept_narrows_again(
    home: Path, persona: Persona, profile: Profile
) -> None:
    assert persona.offered == ()
    store = SQLiteStore.open(home)
    await store.save_persona(persona)
    await store.save_profile(profile)
    llm = ScriptedLLM(choose_first)
    renamed = await Companion(llm, store, persona, profile).rename()
    assert len(offered(llm)) == 30 and persona.name not in offered(llm)
    assert renamed.offered == tuple(offered(llm)) and renamed.refused == (persona.name,)
    assert await store.persona() == renamed
    store.close()


async def test_the_first_hello_comes_after_a_name_turned_down_at_the_naming(
    home: Path, persona: Persona, profile: Profile
) -> None:
    store = SQLiteStore.open(home)
    named = replace(persona, offered=("Iris", "Nora", "Samantha"))
    await store.save_persona(named)
    await store.save_profile(profile)
    llm = ScriptedLLM(choose_first, "Hi Theo, I'm Iris.")
    companion = Companion(llm, store, named, profile)
    await companion.rename()
    assert "".join([d async for d in companion.welcome()]) == "Hi Theo, I'm Iris."
    assert "you chose to be called Iris" in llm.prompts[-1][-1]["content"]
    store.close()


async def test_a_name_the_model_cannot_settle_on_keeps_the_old_one_and_loses_nothing(
    home: Path, persona: Persona, profile: Profile
) -> None:
    store = SQLiteStore.open(home)
    named = replace(persona, offered=("Iris", "Nora", "Samantha"))
    await store.save_persona(named)
    cut_short = '{"name": "Iris", "why": "lolie_1234567890'  # twice: a model that loses its way
    llm = ScriptedLLM(cut_short, cut_short, "Sorry, I couldn't pick one just now.")
    companion = Companion(llm, store, named, profile)
    reply = "".join([d async for d in companion.respond("I don't like your name, change your name please")])
    assert reply == "Sorry, I couldn't pick one just now." and companion.persona == named
    assert await store.persona() == named
    turns = [turn for turn in await store.turns() if not turn.opens_conversation]
    assert [t.speaker for t in turns] == ["event", "user", "assistant"]
    assert "could not settle on one" in turns[0].text and turns[1].text.startswith("I don't like your name")
    store.close()
