import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from os1.companion.companion import MAX_MESSAGE_CHARS, Companion
from os1.errors import InputError
from os1.memory.sqlite import SQLiteStore
from os1.memory.store import Persona, Profile
from os1.testing import ScriptedLLM


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def say(companion: Companion, text: str) -> str:
    return "".join([delta async for delta in companion.respond(text)])


@pytest.fixture
def store(home: Path):  # type: ignore[no-untyped-def]
    store = SQLiteStore.open(home)
    yield store
    store.close()


async def test_replies_stream_and_both_sides_are_saved(store: SQLiteStore, persona: Persona, profile: Profile) -> None:
    llm = ScriptedLLM("Mondays are just Sundays that forgot to be nice.")
    companion = Companion(llm, store, persona, profile)
    deltas = [delta async for delta in companion.respond("ugh, mondays")]
    assert len(deltas) > 3
    assert "".join(deltas) == "Mondays are just Sundays that forgot to be nice."
    opening, *said = await store.turns()
    assert opening.speaker == "event" and opening.opens_conversation  # the date and where things stand
    assert [(t.speaker, t.text) for t in said] == [
        ("user", "ugh, mondays"),
        ("assistant", "Mondays are just Sundays that forgot to be nice."),
    ]
    assert said[1].model_id == "scripted"


async def test_the_prompt_grows_append_only_so_the_cache_is_reused(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    llm = ScriptedLLM("First reply.", "Second reply.", "Third reply.")
    companion = Companion(llm, store, persona, profile)
    for line in ("one", "two", "three"):
        await say(companion, line)
    prompts = [request.messages for request in llm.requests]
    for earlier, later in itertools.pairwise(prompts):
        assert later[: len(earlier)] == earlier  # every prompt starts with the whole previous one
    system = prompts[0][0]["content"]
    assert "Samantha" in system and "Theo" in system and "complicated" in system
    assert prompts[-1][-3:] == [
        {"role": "user", "content": "two"},
        {"role": "assistant", "content": "Second reply."},
        {"role": "user", "content": "three"},
    ]


async def test_a_cancelled_reply_keeps_what_was_said_marked_as_cut_off(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    llm = ScriptedLLM("one two three four five six seven eight nine ten", delay=0.01)
    companion = Companion(llm, store, persona, profile)
    heard: list[str] = []

    async def listen() -> None:
        async for delta in companion.respond("tell me a long story"):
            heard.append(delta)

    task = asyncio.create_task(listen())
    while len(heard) < 3:
        await asyncio.sleep(0.005)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    turns = await store.turns()
    assert turns[-1].speaker == "assistant"
    assert turns[-1].interrupted
    assert turns[-1].text == "".join(heard)
    assert turns[-1].text.startswith("one two three") and "ten" not in turns[-1].text

    llm.enqueue("Sorry, I rambled.")
    assert await say(companion, "shorter please") == "Sorry, I rambled."
    assert llm.requests[-1].messages[-2]["content"].endswith("[cut off]")


async def test_a_restart_resumes_the_conversation(set_up_home: Path, persona: Persona, profile: Profile) -> None:
    first = SQLiteStore.open(set_up_home)
    await say(Companion(ScriptedLLM("Noted: pancakes."), first, persona, profile), "I love pancakes")
    first.close()

    second = SQLiteStore.open(set_up_home)
    loaded = await Companion.load(ScriptedLLM("You said pancakes."), second)
    assert loaded is not None
    assert loaded.persona == persona and loaded.profile == profile
    await say(loaded, "what do I love?")
    prompt = loaded.llm.requests[0].messages  # type: ignore[attr-defined]
    assert {"role": "user", "content": "I love pancakes"} in prompt
    assert {"role": "assistant", "content": "Noted: pancakes."} in prompt
    second.close()


async def test_no_companion_before_setup(store: SQLiteStore) -> None:
    assert await Companion.load(ScriptedLLM(), store) is None


async def test_welcome_back_after_a_night_names_the_gap_and_the_user(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    clock = Clock(datetime(2026, 11, 23, 21, 0, tzinfo=UTC))
    llm = ScriptedLLM("Hello Theo.", "See you.")
    await say(Companion(llm, store, persona, profile, clock=clock), "good night")
    clock.now += timedelta(hours=11)
    tomorrow = Companion(ScriptedLLM("Morning, Theo! Did you sleep?"), store, persona, profile, clock=clock)
    greeting = "".join([d async for d in tomorrow.welcome()])
    assert greeting == "Morning, Theo! Did you sleep?"
    event = (await store.turns())[-2]
    assert event.speaker == "event"
    assert "Theo is back, 11 hours after you last talked" in event.text


async def test_a_terminals_companion_has_the_model_keep_the_prompts_stable_beginning(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    clock = Clock(datetime(2026, 11, 23, 21, 0, tzinfo=UTC))
    llm = ScriptedLLM("Hi Theo.", "Morning, Theo!")
    await say(Companion(llm, store, persona, profile, clock=clock, keep_prefix=True), "hi")  # no greeting asked
    clock.now += timedelta(hours=11)
    tomorrow = Companion(llm, store, persona, profile, clock=clock, keep_prefix=True)
    assert "".join([d async for d in tomorrow.welcome()]) == "Morning, Theo!"
    [kept] = llm.kept
    assert kept[0]["role"] == "system" and "Samantha" in kept[0]["content"]
    assert llm.requests[-1].messages[: len(kept)] == kept  # the greeting begins with what was kept
    openings = [t.text for t in await store.turns() if t.opens_conversation]
    assert len(openings) == 2 and not any(o in str(kept) for o in openings)  # nothing that changes day to day
    served = ScriptedLLM("Morning!")
    await say(Companion(served, store, persona, profile, clock=clock), "hi")
    assert served.kept == []  # a server's companion keeps nothing on its disk


async def test_no_greeting_when_back_within_minutes(store: SQLiteStore, persona: Persona, profile: Profile) -> None:
    clock = Clock(datetime(2026, 11, 23, 21, 0, tzinfo=UTC))
    await say(Companion(ScriptedLLM("Hi."), store, persona, profile, clock=clock), "hi")
    clock.now += timedelta(minutes=5)
    again = Companion(ScriptedLLM(), store, persona, profile, clock=clock)
    assert [d async for d in again.welcome()] == []


async def test_first_words_after_setup(store: SQLiteStore, persona: Persona, profile: Profile) -> None:
    llm = ScriptedLLM("Hi Theo. I'm Samantha.")
    assert "".join([d async for d in Companion(llm, store, persona, profile).welcome()]) == "Hi Theo. I'm Samantha."
    assert "you chose to be called Samantha" in llm.requests[0].messages[-1]["content"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   \n\t", "empty"),
        ("x" * 100_000, f"100,000 characters long; the limit is {MAX_MESSAGE_CHARS:,}"),
    ],
)
async def test_bad_messages_are_refused_and_nothing_is_saved(
    store: SQLiteStore, persona: Persona, profile: Profile, text: str, message: str
) -> None:
    llm = ScriptedLLM("never sent")
    companion = Companion(llm, store, persona, profile)
    with pytest.raises(InputError, match=message):
        companion.respond(text)
    assert await store.turns() == []
    assert llm.requests == []


async def test_the_oldest_turns_are_dropped_in_blocks_when_the_context_is_full(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    llm = ScriptedLLM(*(f"reply {i} " + "word " * 60 for i in range(40)))
    companion = Companion(llm, store, persona, profile, context_tokens=3000, reply_tokens=200)
    for i in range(40):
        await say(companion, f"message {i} " + "word " * 60)
    sizes = [len(r.messages) for r in llm.requests]
    drops = [i for i, (a, b) in enumerate(itertools.pairwise(sizes)) if b < a]
    assert drops, "the history never shrank"
    assert all(b - a >= 2 for a, b in itertools.pairwise(drops))  # not on every turn
    assert {"role": "user", "content": ("message 39 " + "word " * 60).strip()} in llm.requests[-1].messages


async def test_who_tells_the_name_and_why(store: SQLiteStore, persona: Persona, profile: Profile) -> None:
    companion = Companion(ScriptedLLM("Hi."), store, persona, profile)
    await say(companion, "hi")
    text = companion.describe(await companion.transcript())
    assert "I'm Samantha" in text and "727,556 given names" in text and persona.why in text
    assert "said 1 thing to me" in text


async def test_a_request_it_cannot_do_gets_an_honesty_note_before_it(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    llm = ScriptedLLM("I can't send email yet.")
    await say(Companion(llm, store, persona, profile), "can you email my sister for me?")
    prompt = llm.requests[0].messages
    assert prompt[-1] == {"role": "user", "content": "can you email my sister for me?"}
    assert prompt[-2]["content"].startswith("[Theo is asking for something you cannot do yet (send email)")
    assert [t.speaker for t in await store.turns() if not t.opens_conversation] == ["event", "user", "assistant"]


async def test_the_next_day_opens_with_its_own_note_after_the_end_of_yesterday(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    clock = Clock(datetime(2026, 11, 23, 20, 0, tzinfo=UTC))
    yesterday = Companion(ScriptedLLM(*(f"Reply {i}." for i in range(10))), store, persona, profile, clock=clock)
    for i in range(10):
        clock.now += timedelta(minutes=1)
        await say(yesterday, f"line {i}")
    clock.now = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)
    llm = ScriptedLLM("Evening, Theo.", "Ha.")
    today = Companion(llm, store, persona, profile, clock=clock)
    assert "".join([d async for d in today.welcome()]) == "Evening, Theo."
    await say(today, "hi")

    first = llm.requests[0].messages
    assert first[0] == yesterday.messages([])[0]  # the same system message: the model's cache of it lasts
    prefix = len(yesterday.messages([]))  # the system message, the examples, and where the real talk begins
    replayed = [m["content"] for m in first[prefix:]]
    assert replayed[:12] == [text for i in range(4, 10) for text in (f"line {i}", f"Reply {i}.")]  # the last 12
    assert not any("November 2026" in text for text in replayed[:12])  # yesterday's opening is not replayed
    assert replayed[12] == (
        "[A new conversation. Today is Tuesday, 24 November 2026. "
        "You have known Theo since 23 November 2026 (1 day, 2 conversations).]"
    )
    assert replayed[13].startswith("[Theo is back, 22 hours after you last talked.")
    assert llm.requests[1].messages[: len(first)] == first  # append-only within the conversation
