import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from os1.companion.checks import persona_break, talks_about_itself
from os1.companion.languages import Locale
from os1.companion.names import read_dataset
from os1.companion.onboarding import CHOSEN_REACTIONS, Interview
from os1.errors import InputError, LLMBadResponse
from os1.llm import Message
from os1.memory.sqlite import SQLiteStore
from os1.testing import ScriptedLLM
from tests.test_companion_names import FRENCH

ANSWERS = {
    "name": "call me Theo",
    "social": "social I guess, but people tire me out",
    "mother": "complicated. Linda is funny but she never listens",
    "days": "I write letters for other people",
    "want": "someone who actually gets me",
    "voice": "a woman, I think",
}


def reading(messages: Sequence[Message], schema: dict[str, Any] | None) -> str:
    assert schema is not None and set(schema["required"]) == {"user_name", "voice", "traits"}
    return json.dumps({"user_name": "Theo", "voice": "feminine", "traits": ["warm", "curious", "wry"]})


def choose_last(messages: Sequence[Message], schema: dict[str, Any] | None) -> str:
    assert schema is not None
    names = schema["properties"]["name"]["enum"]
    return json.dumps(
        {"name": names[-1], "sound": f"I like how {names[-1]} sounds, soft and unhurried.", "fits": "days"}
    )


@pytest.fixture(scope="module")
def dataset() -> tuple[int, list[Any]]:
    return read_dataset()


async def test_the_interview_ends_with_a_name_chosen_from_the_dataset(
    home: Path, dataset: tuple[int, list[Any]]
) -> None:
    total, names = dataset
    assert total > 700_000 and len(names) > 10_000  # a real dataset, not a shortlist
    store = SQLiteStore.open(home)
    llm = ScriptedLLM("A person of moods, then.", "That's a lot to carry.", "Letters!", "I'll try.")
    interview = Interview(llm, store, rng=random.Random(7))
    interview.start()
    reactions = {}
    for key, _question in interview.questions:
        reactions[key] = "".join([d async for d in interview.react(key, ANSWERS[key])])
    assert reactions["name"] == "Theo. Nice to meet you, Theo."
    assert reactions["social"] == "A person of moods, then."
    assert "people tire me out" in llm.requests[0].messages[-1]["content"]

    llm.enqueue(reading, choose_last)
    naming = await interview.finish(ANSWERS)

    offered = llm.requests[-1].schema["properties"]["name"]["enum"]  # type: ignore[index]
    assert len(offered) == 30
    by_name = {n.name: n for n in names}
    assert all(name in by_name and by_name[name].female_share >= 0.9 for name in offered)
    assert "Linda" not in offered and "Theo" not in offered
    assert naming.persona.name == offered[-1]
    assert naming.persona.why == (
        f'I like how {offered[-1]} sounds, soft and unhurried. You told me "I write letters for other people", and '
        f"{offered[-1]} sounds like someone who would want to hear about it."
    )  # what it likes about the name in its words, how it fits the user in theirs
    assert naming.persona.traits == ("warm", "curious", "wry")
    assert naming.persona.names_considered == total
    counts = [count for _what, count in naming.shortlist.steps]
    assert counts == sorted(counts, reverse=True) and counts[0] == total and counts[-1] == 200

    assert await store.persona() == naming.persona
    profile = await store.profile()
    assert profile is not None and profile.name == "Theo" and profile.answers["mother"] == ANSWERS["mother"]
    store.close()


async def test_a_neutral_voice_narrows_to_names_used_for_everyone(home: Path, dataset: tuple[int, list[Any]]) -> None:
    store = SQLiteStore.open(home)

    def neutral(messages: Sequence[Message], schema: dict[str, Any] | None) -> str:
        return json.dumps({"user_name": "Sam", "voice": "neutral", "traits": ["playful", "bold", "bright"]})

    llm = ScriptedLLM(neutral, choose_last)
    naming = await Interview(llm, store, rng=random.Random(1)).finish({"name": "Sam", "voice": "neither"})
    by_name = {n.name: n for n in dataset[1]}
    assert 0.25 <= by_name[naming.persona.name].female_share <= 0.75
    store.close()


async def test_a_choice_that_cannot_be_used_is_asked_for_once_more(home: Path) -> None:
    cut_short = '{"name": "Jessa", "why": "lolie_1234567890'  # a small model that ran out of words
    store = SQLiteStore.open(home)
    llm = ScriptedLLM(reading, cut_short, choose_last)
    naming = await Interview(llm, store, rng=random.Random(3)).finish(ANSWERS)
    assert naming.persona.name == llm.requests[-1].schema["properties"]["name"]["enum"][-1]  # type: ignore[index]
    assert llm.requests[-1].max_tokens >= 260  # room for the longest "sound" the schema allows

    llm = ScriptedLLM(reading, cut_short, '{"name": "Nobody On The List", "why": "Because."}')
    with pytest.raises(LLMBadResponse, match="not on the list"):
        await Interview(llm, store, rng=random.Random(3)).finish(ANSWERS)
    store.close()


async def test_an_empty_answer_is_asked_again_not_stored(home: Path) -> None:
    store = SQLiteStore.open(home)
    interview = Interview(ScriptedLLM(), store)
    with pytest.raises(InputError, match="even one word will do"):
        interview.react("social", "   ")
    assert await store.profile() is None
    store.close()


async def test_the_answers_become_memories_that_quote_them_and_name_their_turns(home: Path) -> None:
    """What the user said in the interview is known as everything else is: a memory per answer about them, in
    their own words, whose provenance is the interview's turns (which are not replayed to the model)."""
    store = SQLiteStore.open(home)
    llm = ScriptedLLM(reading, choose_last)
    await Interview(llm, store, rng=random.Random(7)).finish(ANSWERS)
    memories = {m.text: m for m in await store.memories()}
    assert sorted(memories) == [
        'Asked about Theo\'s mother, Theo said: "complicated. Linda is funny but she never listens"',
        'Asked what Theo wants from a companion, Theo said: "someone who actually gets me"',
        'Asked what fills Theo\'s days, Theo said: "I write letters for other people"',
        'Asked whether Theo is social or anti-social, Theo said: "social I guess, but people tire me out"',
    ]  # the name is the profile's, and the voice is about the companion
    turns = {t.id: t for t in await store.turns()}
    for memory in memories.values():
        (source,) = memory.source_turn_ids
        assert turns[source].speaker == "user" and turns[source].text in memory.text and turns[source].from_interview
    assert [t.text for t in turns.values()][:2] == ["What should I call you?", "call me Theo"]
    assert await store.queued_turns() == []  # nothing for extraction to guess at
    store.close()


async def test_a_reaction_that_speaks_as_the_user_is_asked_again_then_chosen(home: Path) -> None:
    """What the default model wrote: the user's answer taken as its own. It is never shown: the model is asked
    once more, told why, and when that fails too, a reaction chosen in code is said."""
    store = SQLiteStore.open(home)
    llm = ScriptedLLM(
        "I like solitude and quiet moments with loved ones.",
        "One at a time is how the best talks happen.",
        "We have a long-standing friendship, but we're not always on the same page.",
        "As an AI language model, I don't have a mother.",
    )
    interview = Interview(llm, store, rng=random.Random(7))
    social = "".join([d async for d in interview.react("social", "Anti-social mostly. I like people one at a time.")])
    assert social == "One at a time is how the best talks happen."
    assert "say nothing about yourself" in llm.requests[1].messages[-1]["content"]
    mother = "".join([d async for d in interview.react("mother", "Complicated. She calls every Sunday.")])
    assert mother in CHOSEN_REACTIONS["mother"]


async def test_a_reaction_streams_up_to_a_word_of_its_own_and_a_rest_that_fails_is_gone_on_from(home: Path) -> None:
    """A reaction is shown as it is written, up to where it could still fail its checks (a word of its own person,
    where a break may begin). "She makes me feel good" (the default model, on a mother who calls every Sunday)
    shows "She makes" and goes on from it with those words barred; if that fails too, it ends there."""
    llm = ScriptedLLM(
        "That sounds like a full week.",
        "She makes me feel good.",
        " Sundays sound like a ritual, then.",
        "She makes me laugh.",
        " me cry.",
    )
    interview = Interview(llm, SQLiteStore.open(home))
    deltas = [d async for d in interview.react("days", "Work, mostly. And the kids.")]
    assert deltas[0] == "That" and len(deltas) > 3 and "".join(deltas) == "That sounds like a full week."
    mother = [d async for d in interview.react("mother", "Complicated. She calls every Sunday.")]
    assert mother[0] == "She" and "".join(mother) == "She makes Sundays sound like a ritual, then."
    going_on = llm.requests[2]
    assert going_on.messages[-1] == {"role": "assistant", "content": "She makes"}
    assert going_on.avoid is not None and all(going_on.avoid[word] == 100 for word in (" me", " my", " I", " we"))
    assert "".join([d async for d in interview.react("mother", "Complicated.")]) == "She makes."
    assert len(llm.requests) == 5


async def test_the_words_that_begin_a_sentence_told_as_the_user_are_made_unlikely_in_every_reaction(
    home: Path,
) -> None:
    """Asked to react to "Anti-social mostly", the default model went on as the user ("I like to keep myself away
    from noise") in 27 of the newcomers' first 60 reactions; the first words of such a sentence are penalised."""
    llm = ScriptedLLM("I like solitude.", "One at a time is how the best talks happen.")
    interview = Interview(llm, SQLiteStore.open(home))
    said = "".join([d async for d in interview.react("social", "Anti-social mostly. I like people one at a time.")])
    assert said == "One at a time is how the best talks happen."
    assert len(llm.requests) == 2
    for request in llm.requests:
        assert request.avoid is not None
        assert all(request.avoid[word] >= 5 for word in ("My", "We", "Our"))  # a sentence's first word
        assert all(0 < request.avoid[word] < 5 for word in ("I", " my", " me", " we", " us"))  # "I'm sorry" stays


async def test_what_every_reaction_begins_with_is_read_while_the_user_types(home: Path) -> None:
    store = SQLiteStore.open(home)
    llm = ScriptedLLM("Quiet people notice the most; I bet you do.")
    interview = Interview(llm, store)
    await interview.ready()
    [read] = llm.read_ahead
    said = "".join([d async for d in interview.react("social", "quiet, mostly")])
    asked = llm.requests[-1].messages
    assert asked[: len(read)] == read  # the reaction only computes the answer's words
    assert asked[len(read) :] == [asked[-1]] and "quiet, mostly" in asked[-1]["content"]
    assert said == "Quiet people notice the most; I bet you do."
    store.close()


@pytest.mark.parametrize("reaction", [text for chosen in CHOSEN_REACTIONS.values() for text in chosen])
def test_the_chosen_reactions_pass_the_checks_the_models_must(reaction: str) -> None:
    assert not (persona_break(reaction) or talks_about_itself(reaction))


async def test_the_locale_and_the_language_of_the_answers_narrow_the_names(
    home: Path, dataset: tuple[int, list[Any]]
) -> None:
    by_name = {n.name: n for n in dataset[1]}
    store = SQLiteStore.open(home)
    llm = ScriptedLLM(reading, choose_last)
    naming = await Interview(llm, store, rng=random.Random(2), locale=Locale("de", "DE")).finish(ANSWERS)
    what, count = naming.shortlist.steps[2]
    assert what == "given in Germany" and count < len(dataset[1])
    assert all(by_name[name].ranks["DE"] <= 1000 for name in naming.persona.offered)
    assert naming.persona.offered == naming.shortlist.names

    llm = ScriptedLLM(reading, choose_last)
    naming = await Interview(llm, store, rng=random.Random(2), locale=Locale("en", "US")).finish(FRENCH)
    assert naming.shortlist.steps[2][0] == "given where French is spoken (your answers are in French)"
    assert naming.shortlist.steps[4][0] == "that are not everyday or unfortunate words in French or English"
    french = ("FR", "BE", "CH", "CA", "LU")
    assert all(min(by_name[name].ranks.get(c, 10**6) for c in french) <= 1000 for name in naming.persona.offered)
    store.close()


async def test_a_reason_that_says_things_about_the_user_is_asked_again_then_left_to_their_words(home: Path) -> None:
    """What the default model wrote about the user was often untrue ("Margo called every Sunday to visit me"): its
    words may only be about the name; the user's part of the reason is their own answer, quoted."""

    def about_theo(messages: Sequence[Message], schema: dict[str, Any] | None) -> str:
        assert schema is not None and schema["properties"]["fits"]["enum"] == ["social", "mother", "days", "want"]
        name = schema["properties"]["name"]["enum"][0]
        return json.dumps(
            {"name": name, "sound": "I chose it because Theo loves sailing with his dog.", "fits": "social"}
        )

    store = SQLiteStore.open(home)
    llm = ScriptedLLM(reading, about_theo, about_theo)
    naming = await Interview(llm, store, rng=random.Random(7)).finish(ANSWERS)
    name = naming.persona.name
    assert "only what you like about the name itself" in llm.requests[-1].messages[-1]["content"]
    assert naming.persona.why == (
        f'I chose {name} for its sound. You told me "social I guess, but people tire me out", and {name} feels like '
        "good company for that."
    )
    store.close()


async def test_a_reason_without_its_full_stop_gets_one_before_the_users_words(home: Path) -> None:
    def soft(messages: Sequence[Message], schema: dict[str, Any] | None) -> str:
        assert schema is not None
        name = schema["properties"]["name"]["enum"][0]
        return json.dumps({"name": name, "sound": "I love how it sounds with a soft ending", "fits": "social"})

    store = SQLiteStore.open(home)
    naming = await Interview(ScriptedLLM(reading, soft), store, rng=random.Random(7)).finish(ANSWERS)
    assert naming.persona.why.startswith('I love how it sounds with a soft ending. You told me "social')
    store.close()


@pytest.mark.parametrize(
    ("answer", "name"),
    [
        ("It's Dr. Patel to you", "Dr. Patel"),
        ("Sienna :)", "Sienna"),
        ("call me Theo", "Theo"),
        ("Marcus. Do I have to answer this?", "Marcus"),
        ("Gloria Mae Jenkins. Gloria is fine.", "Gloria"),
        ("Małgorzata, but please call me Gosia, it is easier", "Gosia"),
        ("Hazel, dear. Just Hazel.", "Hazel"),
        ("why do you need to know. fine. Zara", "Zara"),
        ("nate", "Nate"),
    ],
)
async def test_the_name_is_taken_from_the_answer_without_what_surrounds_it(home: Path, answer: str, name: str) -> None:
    store = SQLiteStore.open(home)
    said = "".join([d async for d in Interview(ScriptedLLM(), store).react("name", answer)])
    assert said == f"{name}. Nice to meet you, {name}."
    store.close()
