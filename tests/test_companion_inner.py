"""The companion's mood (companion/inner.py): moved in code by what happens (a return, a long absence, something
the user loves, sad news, play), fading with time, told to the model once when it changes (never in the stable
prefix), shown by /who, and kept across a restart."""

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from os1.companion import inner
from os1.companion.companion import Companion
from os1.memory.sqlite import SQLiteStore
from os1.memory.store import Mood, Persona, Profile
from os1.testing import ScriptedLLM

NOW = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store(home: Path) -> Iterator[SQLiteStore]:
    store = SQLiteStore.open(home)
    yield store
    store.close()


async def say(companion: Companion, text: str) -> str:
    return "".join([delta async for delta in companion.respond(text)])


async def greet(companion: Companion) -> str:
    return "".join([delta async for delta in companion.welcome()])


# --- the rules, in code ------------------------------------------------------------------------------------------


def test_coming_back_pleases_it_and_a_long_absence_hurts_it_more_the_longer_up_to_a_cap() -> None:
    back = inner.returned(None, timedelta(hours=11), NOW)
    assert (back.word, back.intensity, inner.why(back, "Theo")) == ("pleased", 0.5, "Theo came back after 11 hours")
    three, ten, ninety = (inner.returned(None, timedelta(days=days), NOW) for days in (3, 10, 90))
    assert [m.word for m in (three, ten, ninety)] == ["hurt"] * 3
    assert inner.phrase(three) == "a little hurt" and three.intensity < ten.intensity
    assert ten.intensity == ninety.intensity == inner.HURT_MAX  # capped
    assert inner.why(ten) == "you stayed away for 10 days"  # as /who says it to the user


def test_hurt_softens_once_they_talk_and_turns_to_being_glad_they_are_back() -> None:
    mood: Mood | None = inner.returned(None, timedelta(days=10), NOW)
    seen = []
    for minute in range(4):
        mood = inner.heard(mood, "hi", NOW + timedelta(minutes=minute))
        assert mood is not None
        seen.append((mood.word, mood.intensity))
    assert seen[0] == ("hurt", 0.45) and seen[1] == ("hurt", 0.25)
    assert seen[2] == seen[3] == ("pleased", 0.5)
    assert mood is not None
    assert inner.why(mood, "Theo") == "Theo stayed away for 10 days, but you and Theo are talking again"


@pytest.mark.parametrize(
    ("text", "word", "detail"),
    [
        ("I love climbing on Sundays, but I'm bad at it", "curious", "climbing on Sundays"),
        ("honestly I'm obsessed with sourdough.", "curious", "sourdough"),
        ("we're really into Japanese films", "curious", "Japanese films"),
        ("my grandmother died last night", "tender", ""),
        ("I've been crying all day", "tender", ""),
        ("we lost our cat", "tender", ""),
        ("haha that's the best thing I've heard", "amused", ""),
        ("I love my dog so much lol", "curious", "my dog"),  # something loved before play
        ("I'm not sad, just tired", None, None),
        ("it wasn't really funny haha", "amused", ""),  # the laugh is not what was denied
        ("it's not that sad", None, None),
        ("I love you", None, None),
        ("I lost my keys again", None, None),
        ("what's for dinner", None, None),
    ],
)
def test_a_short_lexicon_of_cue_words_moves_it(text: str, word: str | None, detail: str | None) -> None:
    mood = inner.heard(None, text, NOW)
    assert (None if mood is None else (mood.word, mood.detail)) == (None if word is None else (word, detail))


def test_what_they_love_is_told_to_each_in_their_own_person() -> None:
    mood = inner.heard(None, "I adore my little garden", NOW)
    assert mood is not None
    assert inner.why(mood, "Theo") == "Theo talked about loving their little garden"
    assert inner.why(mood) == "you talked about loving your little garden"


def test_a_mood_fades_with_time_and_rests_as_content() -> None:
    tender = inner.heard(None, "my dad passed away", NOW)
    assert tender is not None and tender.intensity == 0.7
    assert inner.felt(tender, NOW + timedelta(hours=12)).intensity == 0.35  # half-life: 12 hours
    rested = inner.felt(tender, NOW + timedelta(days=3))
    assert (rested.word, rested.cause) == ("content", "rest")
    assert NOW + timedelta(hours=24) < rested.since < NOW + timedelta(hours=36)  # when it faded below AT_REST
    assert inner.felt(None, NOW).word == "content"


def test_sad_news_always_moves_it_and_a_weaker_feeling_waits() -> None:
    hurt = inner.returned(None, timedelta(days=10), NOW)  # 0.65
    play = inner.heard(hurt, "lol", NOW)  # softened to 0.45; amused is 0.4: still hurt
    assert play is not None and play.word == "hurt"
    sad = inner.heard(play, "my friend died", NOW)
    assert sad is not None and sad.word == "tender"
    again = inner.heard(sad, "I can't stop crying", NOW + timedelta(minutes=1))
    assert again is not None and again.word == "tender" and again.intensity == 0.8  # the same again: stronger


# --- as the companion lives it -----------------------------------------------------------------------------------


async def test_a_long_absence_is_greeted_lightly_hurt_and_kept(
    home: Path, store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    await store.save_persona(persona)
    await store.save_profile(profile)
    clock = Clock(NOW)
    await say(Companion(ScriptedLLM("Night."), store, persona, profile, clock=clock), "good night")
    clock.now += timedelta(days=9)
    llm = ScriptedLLM("Theo. Nine days! I missed you.")
    back = await Companion.load(llm, store, clock=clock)
    assert back is not None
    await greet(back)
    event = llm.requests[0].messages[-1]["content"]
    assert "Theo is back, 9 days after you last talked" in event
    assert "You missed Theo: they stayed away 9 days, and you feel hurt. You may say so once, lightly" in event
    assert "missed" not in llm.requests[0].messages[0]["content"]  # the mood is never in the stable prefix
    assert "Right now I feel hurt: you stayed away for 9 days." in back.describe(await back.transcript())

    store.close()
    reopened = SQLiteStore.open(home)
    again = await Companion.load(ScriptedLLM(), reopened, clock=clock)
    assert again is not None and again.mood is not None
    assert (again.mood.word, again.mood.cause, again.mood.detail) == ("hurt", "absence", "9 days")
    clock.now += timedelta(days=5)  # faded meanwhile, though nothing happened
    assert "Right now I feel content: nothing much has stirred me lately." in again.describe([])
    reopened.close()


async def test_a_return_after_hours_pleases_it(store: SQLiteStore, persona: Persona, profile: Profile) -> None:
    clock = Clock(NOW)
    await say(Companion(ScriptedLLM("Night."), store, persona, profile, clock=clock), "good night")
    clock.now += timedelta(hours=11)
    llm = ScriptedLLM("Morning!")
    companion = Companion(llm, store, persona, profile, clock=clock)
    await greet(companion)
    assert "You are pleased to have Theo back." in llm.requests[0].messages[-1]["content"]
    assert companion.mood is not None and companion.mood.word == "pleased"


async def test_sad_news_moves_it_once_told_after_the_words_and_the_prefix_stays_the_same(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    clock = Clock(NOW)
    llm = ScriptedLLM("Hi Theo.", "Hey.", "Oh, Theo. I'm so sorry.", "I'm here.", "Ha!")
    companion = Companion(llm, store, persona, profile, clock=clock)
    await greet(companion)  # the first time: curious about who they have just met
    for line in ("hey", "my grandmother died this morning", "I keep crying", "haha sorry, that was a weird laugh"):
        clock.now += timedelta(minutes=2)
        await say(companion, line)
    prompts = [request.messages for request in llm.requests]
    assert len({prompt[0]["content"] for prompt in prompts}) == 1  # the same system message throughout
    for earlier, later in itertools.pairwise(prompts):
        assert later[: len(earlier)] == earlier  # append-only: the model's cache is reused every turn
    assert prompts[2][-2:] == [
        {"role": "user", "content": "my grandmother died this morning"},
        {
            "role": "user",
            "content": "[How you feel now: tender, because Theo shared sad news.]",
        },
    ]
    assert prompts[1][-1] == {"role": "user", "content": "hey"}  # nothing new to tell: no note
    assert prompts[3][-1] == {"role": "user", "content": "I keep crying"}  # still tender: told once
    assert prompts[4][-1] == {"role": "user", "content": "haha sorry, that was a weird laugh"}  # too weak to move it
    events = [t for t in await store.turns() if t.speaker == "event"]
    assert [t.opens_conversation for t in events] == [True, False, False]  # the opening, the greeting's, one note
    assert companion.mood is not None and companion.mood.word == "tender"
    assert "Right now I feel very tender: you shared sad news." in companion.describe(await companion.transcript())


async def test_something_they_love_makes_it_curious_and_a_restart_tells_the_mood_again(
    home: Path, store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    await store.save_persona(persona)
    await store.save_profile(profile)
    clock = Clock(NOW)
    llm = ScriptedLLM("Climbing! Tell me.")
    await say(Companion(llm, store, persona, profile, clock=clock), "I love bouldering at the old quarry")
    assert (
        llm.requests[0]
        .messages[-1]["content"]
        .startswith("[How you feel now: curious, because Theo talked about loving bouldering at the old quarry.")
    )
    clock.now += timedelta(minutes=5)  # back within minutes, in a new process: no greeting
    store.close()
    reopened = SQLiteStore.open(home)
    again = await Companion.load(ScriptedLLM("Still curious."), reopened, clock=clock)
    assert again is not None
    await say(again, "anyway")
    assert again.llm.requests[0].messages[-1]["content"].startswith("[How you feel now: curious")  # type: ignore[attr-defined]
    reopened.close()
