"""The companion grows at reflection time (companion/growth.py): one trait stronger or softer with a reason that
stands on a memory, an interest of its own from what the user likes; both in the stable prefix from the next
conversation on, in /who at once, and kept across a restart."""

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from os1.companion import growth
from os1.companion.companion import Companion
from os1.companion.names import TRAITS
from os1.llm import Message
from os1.memory.diary import REFLECTION_SCHEMA
from os1.memory.embed import MiniLM
from os1.memory.recall import Recall
from os1.memory.sqlite import SQLiteStore
from os1.memory.store import Inner, Interest, Memory, Persona, Profile, Reflection
from os1.testing import ScriptedLLM

NOW = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)
GROWN = {
    "change": "stronger",
    "trait": "playful",
    "why": "Theo's terrible puns about his climbing falls make me want to play along. He'd laugh.",
    "interest": "bouldering",
    "interest_why": "I keep wondering what it is like to hang from a wall by your fingertips.",
}


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Model:
    """The scripted model: nothing to extract, a short diary entry, a reflection, and ``grown`` for the growth
    request (whose schema it keeps)."""

    def __init__(self, grown: dict[str, Any]):
        self.grown = grown
        self.schemas: list[dict[str, Any]] = []

    def __call__(self, messages: Sequence[Message], schema: dict[str, Any] | None) -> str:
        asked = (schema or {}).get("properties", {})
        if "memories" in asked:
            return json.dumps({"memories": []})
        if schema == REFLECTION_SCHEMA:
            return json.dumps({"about": "Theo climbs and makes puns.", "open_threads": [], "follow_ups": []})
        if schema is not None:
            self.schemas.append(schema)
            return json.dumps({key: value for key, value in self.grown.items() if key in asked})
        return "Theo talked about climbing." if messages[0]["content"].startswith("You keep the diary") else "Mm."


@pytest.fixture
def store(home: Path, persona: Persona, profile: Profile) -> Iterator[SQLiteStore]:
    store = SQLiteStore.open(home)
    yield store
    store.close()


async def companion_with(store: SQLiteStore, embedder: MiniLM, model: Model, clock: Clock) -> Companion:
    recall = Recall(store, embedder, clock=clock)
    companion = await Companion.load(ScriptedLLM(*[model] * 40), store, clock=clock)
    assert companion is not None
    companion.remember_with(recall)
    return companion


async def known(store: SQLiteStore, embedder: MiniLM, persona: Persona, profile: Profile) -> dict[str, Memory]:
    """A home where Theo has talked about bouldering (three times) and jazz (once), and his puns."""
    await store.save_persona(persona)
    await store.save_profile(profile)
    session = await store.start_session(NOW - timedelta(days=1))
    lines = ["I love bouldering", "bouldering again tonight", "my bouldering gym has a new wall", "I like jazz"]
    turns = [await store.add_turn(session, "user", line, at=NOW - timedelta(days=1), queue=False) for line in lines]
    recall = Recall(store, embedder, clock=lambda: NOW)
    facts = {
        "bouldering": ("Theo likes bouldering.", "likes", "bouldering", turns[0]),
        "jazz": ("Theo likes jazz.", "likes", "jazz", turns[3]),
        "puns": ("Theo makes puns about his falls when climbing.", "other", "puns", turns[1]),
    }
    return {
        key: await recall.remember(
            Memory(id=0, kind="preference", text=text, source_turn_ids=(turn.id,), created_at=NOW, subject="Theo",
                   predicate=predicate, object=thing)
        )
        for key, (text, predicate, thing, turn) in facts.items()
    }  # fmt: skip


async def test_a_reflection_grows_one_trait_with_its_reason_and_an_interest(
    home: Path, store: SQLiteStore, embedder: MiniLM, persona: Persona, profile: Profile
) -> None:
    memories = await known(store, embedder, persona, profile)
    model, clock = Model(GROWN), Clock(NOW)
    companion = await companion_with(store, embedder, model, clock)
    before, system = companion.opening([]), companion.messages([])[0]["content"]
    await companion.settle()

    life = await store.inner()
    assert life is not None and life.grown_at == (await store.reflection() or pytest.fail("none")).written_at
    (change,) = life.changes
    assert (change.trait, change.change, change.before, change.after) == (
        "playful", "stronger", ("warm", "curious", "witty"), ("playful", "warm", "curious", "witty"),
    )  # fmt: skip
    assert change.why == "Theo's terrible puns about his climbing falls make me want to play along."  # one sentence
    assert (change.memory_id, change.at) == (memories["puns"].id, NOW)  # the memory it stands on
    (interest,) = life.interests
    assert (interest.topic, interest.since, interest.memory_ids) == ("bouldering", NOW, (memories["bouldering"].id,))

    (asked,) = model.schemas
    assert asked["properties"]["trait"]["enum"] == list(TRAITS)
    assert asked["properties"]["change"]["enum"][0] == "neither"  # the plainest answer changes nothing
    assert asked["properties"]["interest"]["enum"] == ["none", "bouldering", "jazz"]  # mentioned most first
    llm: ScriptedLLM = companion.llm  # type: ignore[assignment]
    reflecting, growing = (r.messages for r in llm.requests if r.schema in (REFLECTION_SCHEMA, asked))
    assert growing[:2] == reflecting  # it goes on from the reflection: the memories read are in the cache

    after = companion.opening([])
    assert after != before  # from the next conversation on
    assert companion.messages([])[0]["content"] == system  # the system message (and the model's cache of it) stays
    assert "You are now playful, warm, curious, witty." in after
    assert "Knowing Theo has made you more playful; in your own words: \"Theo's terrible puns" in after
    assert "Interests of your own, grown from your talks with Theo; bring them up now and then: bouldering (" in after

    who = companion.describe([])
    assert "I'm playful, warm, curious, witty, with a feminine voice." in who
    assert "When we met I was warm, curious, witty. Since then:" in who
    assert "I grew more playful: Theo's terrible puns about his climbing falls make me want to play along." in who
    assert "- bouldering (since 23 November 2026): I keep wondering" in who

    store.close()
    reopened = SQLiteStore.open(home)
    again = await Companion.load(ScriptedLLM(), reopened, clock=clock)
    assert again is not None and again.describe([]) == who
    reopened.close()


async def test_it_grows_once_per_reflection_and_a_trait_not_again_for_days(
    store: SQLiteStore, embedder: MiniLM, persona: Persona, profile: Profile
) -> None:
    await known(store, embedder, persona, profile)
    model, clock = Model(GROWN), Clock(NOW)
    companion = await companion_with(store, embedder, model, clock)
    await companion.settle()
    await companion.settle()  # no new reflection: nothing asked
    assert len(model.schemas) == 1

    clock.now += timedelta(days=1)
    await store.save_reflection(Reflection("Theo climbs.", (), (), clock.now, 0))  # a new reflection
    model.grown = {**GROWN, "change": "softer", "trait": "warm", "interest": "jazz", "interest_why": "Jazz is rain."}
    await companion.settle()
    assert "change" not in model.schemas[-1]["properties"]  # a day after a change, a trait is not asked about
    life = await store.inner()
    assert life is not None and len(life.changes) == 1 and [i.topic for i in life.interests] == ["bouldering", "jazz"]


async def test_a_reason_that_stands_on_no_memory_changes_nothing(
    store: SQLiteStore, embedder: MiniLM, persona: Persona, profile: Profile
) -> None:
    await known(store, embedder, persona, profile)
    model = Model({**GROWN, "why": "Everything is different now.", "interest": "none"})
    companion = await companion_with(store, embedder, model, Clock(NOW))
    await companion.settle()
    life = await store.inner()
    assert life is not None and life.changes == () and life.interests == () and life.grown_at is not None
    assert "I'm warm, curious, witty," in companion.describe([])


def test_a_trait_grows_stronger_first_and_softer_out_keeping_two_to_four() -> None:
    assert growth.changed(("warm", "curious", "witty"), "stronger", "curious") == ("curious", "warm", "witty")
    assert growth.changed(("warm", "curious", "witty"), "stronger", "warm") is None  # already first
    four = growth.changed(("warm", "curious", "witty"), "stronger", "bold")
    assert four == ("bold", "warm", "curious", "witty")
    assert growth.changed(four, "stronger", "calm") == ("calm", "bold", "warm", "curious")  # the weakest goes
    assert growth.changed(("warm", "curious", "witty"), "softer", "curious") == ("warm", "witty")
    assert growth.changed(("warm", "witty"), "softer", "warm") == ("witty", "warm")  # two stay: last instead
    assert growth.changed(("warm", "witty"), "softer", "witty") is None
    assert growth.changed(("warm", "witty"), "softer", "bold") is None  # not one of its traits
    assert growth.changed(("warm", "witty"), "neither", "bold") is None


async def test_at_most_five_interests_the_oldest_goes(
    store: SQLiteStore, embedder: MiniLM, persona: Persona, profile: Profile
) -> None:
    await known(store, embedder, persona, profile)
    old = tuple(Interest(f"topic {i}", "Why not.", NOW - timedelta(days=9 - i), ()) for i in range(5))
    await store.save_inner(Inner(interests=old))
    model = Model({**GROWN, "change": "neither"})
    companion = await companion_with(store, embedder, model, Clock(NOW))
    await companion.settle()
    life = await store.inner()
    assert life is not None
    assert [i.topic for i in life.interests] == ["topic 1", "topic 2", "topic 3", "topic 4", "bouldering"]
