import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from os1.companion.onboarding import keep_interview
from os1.memory.embed import MiniLM
from os1.memory.extract import FIELDS, apply, extract
from os1.memory.recall import Recall
from os1.memory.sqlite import SQLiteStore
from os1.memory.store import Turn
from os1.testing import ScriptedLLM

MARCH = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)  # a Monday
NOVEMBER = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # a Monday


def item(turn: int, text: str, subject: str, relation: str, obj: str, when: str = "", importance: int = 4) -> dict:
    return dict(zip(FIELDS, (turn, text, subject, relation, obj, when, importance), strict=True))


def answer(*items: dict) -> str:
    """The model's answer: each memory as a list, in FIELDS order."""
    return json.dumps({"memories": [[i[field] for field in FIELDS] for i in items]})


@pytest.fixture
def recall(home: Path, embedder: MiniLM) -> Iterator[Recall]:
    store = SQLiteStore.open(home)
    yield Recall(store, embedder, clock=lambda: NOVEMBER)
    store.close()


async def said(recall: Recall, speaker: str, text: str, at: datetime) -> Turn:
    session = await recall.store.start_session()
    return await recall.store.add_turn(session, speaker, text, at=at)


async def test_moving_closes_the_old_home_instead_of_deleting_it(recall: Recall) -> None:
    lisbon_turn = await said(recall, "user", "I live in Lisbon, near the river.", MARCH)
    first = await apply(recall, [lisbon_turn], [item(1, "Theo lives in Lisbon.", "Theo", "lives in", "Lisbon")], "m")
    berlin_turn = await said(recall, "user", "I moved to Berlin last month!", NOVEMBER)
    second = await apply(
        recall, [berlin_turn], [item(1, "Theo lives in Berlin.", "Theo", "lives in", "Berlin", "last month")], "m"
    )
    moved_on = datetime(2026, 10, 23, 12, 0, tzinfo=UTC)  # "last month", said on 23 November
    assert second.closed == first.stored
    lisbon = await recall.store.memory(first.stored[0].id)
    berlin = second.stored[0]
    assert lisbon is not None and lisbon.valid_to == moved_on and lisbon.valid_from == MARCH
    assert berlin.valid_from == moved_on and berlin.current
    assert berlin.source_turn_ids == (berlin_turn.id,) and lisbon.source_turn_ids == (lisbon_turn.id,)
    now = [hit.text for hit in await recall.search("where do I live?", limit=2)]
    assert now[0] == "Theo lives in Berlin."
    assert "Lisbon" in now[1]  # "where did I live before?" still has an answer (the memory or its turn)
    assert [m.text for m in await recall.store.memories()] == ["Theo lives in Berlin."]
    assert len(await recall.store.memories(include_past=True)) == 2


async def test_the_same_fact_twice_and_trivia_are_not_stored(recall: Recall) -> None:
    turn = await said(recall, "user", "I like pancakes. Also it's Monday.", NOVEMBER)
    items = [
        item(1, "Theo likes pancakes.", "Theo", "likes", "pancakes"),
        item(1, "Theo likes pancakes a lot.", "theo", "likes", "Pancakes."),
        item(1, "It is Monday.", "Theo", "other", "monday", importance=1),
        item(7, "A turn that does not exist.", "Theo", "other", "x"),
    ]
    result = await apply(recall, [turn], items, "m")
    assert [m.text for m in result.stored] == ["Theo likes pancakes."]
    assert result.skipped == 3


async def test_likes_add_up_rather_than_replace_each_other(recall: Recall) -> None:
    turn = await said(recall, "user", "I like pancakes and jazz.", NOVEMBER)
    items = [
        item(1, "Theo likes pancakes.", "Theo", "likes", "pancakes"),
        item(1, "Theo likes jazz.", "Theo", "likes", "jazz"),
    ]
    result = await apply(recall, [turn], items, "m")
    assert len(result.stored) == 2 and result.closed == []


async def test_extraction_labels_each_turn_with_its_speaker_and_asks_for_the_schema(recall: Recall) -> None:
    turns = [
        await said(recall, "user", "My sister Anna just got a job at the hospital.", NOVEMBER),
        await said(recall, "Anna", "Yes, and I start nights next Monday.", NOVEMBER + timedelta(minutes=1)),
    ]
    llm = ScriptedLLM(
        answer(item(2, "Anna starts night shifts at the hospital.", "Anna", "works at", "hospital", "next Monday"))
    )
    items = await extract(llm, turns, {"user": "Theo"})
    prompt = llm.requests[0].messages[-1]["content"]
    assert "[1] Theo (Monday 23 November 2026): My sister Anna" in prompt
    assert "[2] Anna (Monday 23 November 2026): Yes, and I start nights" in prompt
    assert llm.requests[0].schema is not None and '"lives in"' in json.dumps(llm.requests[0].schema)
    result = await apply(recall, turns, items, llm.model_id)
    anna = result.stored[0]
    assert anna.subject == "anna" and anna.source_turn_ids == (turns[1].id,)
    assert anna.valid_from == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # next Monday
    assert anna.extracted_by == "scripted"


async def test_a_miscounted_turn_is_matched_to_the_turn_that_said_it(recall: Recall) -> None:
    turns = [
        await said(recall, "user", "ugh, mondays", NOVEMBER),
        await said(recall, "user", "my nephew Leo turned seven and wants a dinosaur cake", NOVEMBER),
        await said(recall, "user", "anyway work is fine", NOVEMBER),
    ]
    result = await apply(
        recall,
        turns,
        [item(3, "Theo's nephew Leo is seven.", "Leo", "other", "seven, dinosaurs")],
        "m",
        {"user": "Theo"},
    )
    assert result.stored[0].source_turn_ids == (turns[1].id,)


async def test_a_change_of_job_that_nobody_mentioned_is_not_stored(recall: Recall) -> None:
    turn = await said(recall, "user", "I'm a nurse at St James's", MARCH)
    await apply(recall, [turn], [item(1, "Theo works as a nurse.", "Theo", "works as", "nurse")], "m")
    later = await said(recall, "user", "work stuff, the usual", NOVEMBER)
    result = await apply(recall, [later], [item(1, "Theo works as a teacher.", "Theo", "works as", "teacher")], "m")
    assert result.stored == [] and result.closed == []  # a small model's guess never closes a true memory
    assert [m.text for m in await recall.store.memories()] == ["Theo works as a nurse."]


async def test_filler_is_not_sent_to_the_model(recall: Recall) -> None:
    turns = [await said(recall, "user", text, NOVEMBER) for text in ("haha yes", "ok goodnight", "I got the job!")]
    llm = ScriptedLLM(answer())
    await extract(llm, turns, {"user": "Theo"})
    assert llm.requests[0].messages[-1]["content"] == "[3] Theo (Monday 23 November 2026): I got the job!"
    quiet = ScriptedLLM()
    assert await extract(quiet, turns[:2], {"user": "Theo"}) == [] and quiet.requests == []


async def test_what_the_turn_did_not_say_or_that_is_no_fact_is_not_kept(recall: Recall) -> None:
    """A small model copies its prompt's example, keeps requests as facts and loses who said what: each memory
    must be mostly the words of the turn it names, and a fact."""
    turns = [
        await said(recall, "user", "Ha, tell me a joke about pianos.", NOVEMBER),
        await said(recall, "user", "My sister Anna is visiting on Saturday.", NOVEMBER),
        await said(recall, "user", "I'm a bit low tonight, my old cat Pip died last month.", NOVEMBER),
        await said(recall, "user", "Can you set me an alarm for 4?", NOVEMBER),
        await said(recall, "user", "can u play some Tame Impala, my sister loves them", NOVEMBER),
    ]
    items = [
        item(1, "Sam's brother is called Tom.", "Sam", "is related to", "Tom, brother"),  # the prompt's example
        item(1, "Margo asked for a joke about pianos.", "Margo", "other", "joke"),  # a request
        item(2, "Margo tells Margo that her sister is visiting on Saturday.", "Margo", "other", "sister visiting"),
        item(2, "Margo is called Margo.", "Margo", "is called", "Margo"),
        item(2, "Margo's sister is called.", "Anna", "is called", ""),
        item(2, "Margo's sister Anna is visiting on Saturday.", "Anna", "plans to", "visit", "on Saturday"),
        item(3, "Margo's old cat Pip died last month.", "Margo", "other", "cat Pip died", "last month"),
        item(4, "Margo sets an alarm for 4.", "Margo", "other", "alarm"),  # what it was asked to do
        item(5, "Margo plays Tame Impala.", "Margo", "other", "Tame Impala"),
        item(5, "Margo's sister loves Tame Impala.", "Margo", "likes", "Tame Impala"),  # said along the way
    ]
    result = await apply(recall, turns, items, "m", {"user": "Margo", "assistant": "Wren"})
    assert [m.text for m in result.stored] == [
        "Margo's sister Anna is visiting on Saturday.",
        "Margo's old cat Pip died last month.",
        "Margo's sister loves Tame Impala.",
    ]
    assert result.skipped == 7


async def test_questions_banter_and_memories_about_no_one_are_not_kept(recall: Recall) -> None:
    """What the user asks, and what they say to the companion about the companion, states nothing about them;
    a memory must be about someone it names."""
    turns = [
        await said(recall, "user", "What exactly are you? A language model with a pleasant name?", NOVEMBER),
        await said(recall, "user", "Bet you couldn't back a 53 foot trailer into a dock.", NOVEMBER),
        await said(recall, "user", "wow. a diplomat.", NOVEMBER),
        await said(recall, "user", "I'll tell you a joke my father used to tell: what do you call a fish?", NOVEMBER),
        await said(recall, "user", "Tell me, do you remember what my daughter does over in Boston?", NOVEMBER),
        await said(recall, "user", "haha you are funny. My brother Rafael is getting married in December", NOVEMBER),
        await said(recall, "user", "What was my wife's name. You remember", NOVEMBER),
    ]
    items = [
        item(1, "Dale is a language model with a pleasant name.", "Dale", "other", "language model"),
        item(2, "Dale couldn't back a 53 foot trailer into a dock.", "Dale", "other", "trailer"),
        item(3, "Wow. a diplomat.", "Dale", "other", "diplomat"),
        item(4, "Dale told a joke his father used to tell.", "Dale", "other", "joke"),
        item(5, "Dale remembers what his daughter does in Boston.", "Dale", "other", "daughter"),
        item(6, "Dale's brother Rafael is getting married in December.", "Rafael", "plans to", "marry", "December"),
        item(6, "Dale knows about Rafael getting married in December.", "Dale", "other", "Rafael"),
        item(6, "Dale is called Rafael.", "Dale", "is called", "Rafael"),  # the user's name is the profile's
        item(7, "Dale remembers his wife's name.", "Dale", "other", "wife"),  # a question, its mark left off
    ]
    result = await apply(recall, turns, items, "m", {"user": "Dale", "assistant": "Wren"})
    assert [m.text for m in result.stored] == ["Dale's brother Rafael is getting married in December."]
    assert result.skipped == 8


async def test_the_conversations_comings_and_goings_are_not_kept_but_a_habit_is(recall: Recall) -> None:
    turns = [
        await said(recall, "user", "I'm back! couldn't sleep again", NOVEMBER),
        await said(recall, "user", "ok I should sleep, I go to bed at ten on weeknights. night!", NOVEMBER),
    ]
    items = [
        item(1, "Kev is back.", "Kev", "other", "back"),
        item(2, "Kev should sleep.", "Kev", "other", "sleep"),
        item(2, "Kev goes to bed at ten on weeknights.", "Kev", "habit", "bed", "weeknights"),
        item(2, "Kev says goodnight.", "Kev", "other", "goodnight"),
    ]
    result = await apply(recall, turns, items, "m", {"user": "Kev", "assistant": "Wren"})
    assert [m.text for m in result.stored] == ["Kev goes to bed at ten on weeknights."]


async def test_a_correction_later_in_the_batch_mends_what_is_kept(recall: Recall) -> None:
    """The user corrects a slip a line later, before the fact was kept: what is kept says it right."""
    turns = [
        await said(recall, "user", "Long haul. Phoenix to Denver mostly.", NOVEMBER),
        await said(recall, "user", "Sorry, it's Dallas, not Denver.", NOVEMBER),
        await said(recall, "user", "We have one daughter, Mira, who is reading law in Leeds.", NOVEMBER),
        await said(recall, "user", "Actually, it's Meera. I typed my own daughter's name wrongly.", NOVEMBER),
    ]
    items = [
        item(1, "Dale drives long haul from Phoenix to Denver.", "Dale", "other", "Phoenix to Denver"),
        item(3, "Dale's daughter Mira is reading law in Leeds.", "Mira", "studies", "law in Leeds"),
    ]
    result = await apply(recall, turns, items, "m", {"user": "Dale", "assistant": "Wren"})
    assert [(m.text, m.subject, m.object) for m in result.stored] == [
        ("Dale drives long haul from Phoenix to Dallas.", "dale", "phoenix to dallas"),
        ("Dale's daughter Meera is reading law in Leeds.", "meera", "law in leeds"),
    ]


async def test_a_correction_mends_what_an_earlier_batch_kept(recall: Recall) -> None:
    first = [await said(recall, "user", "We have a summer house on Styrsö. We go there every July.", NOVEMBER)]
    kept = item(1, "Erik has a summer house on Styrsö.", "Erik", "owns", "summer house on Styrsö")
    await apply(recall, first, [kept], "m", {"user": "Erik", "assistant": "Agneta"})
    later = [await said(recall, "user", "Sorry, it's Vrångö, not Styrsö. My head is tired.", NOVEMBER)]
    await apply(recall, later, [], "m", {"user": "Erik", "assistant": "Agneta"})
    assert [m.text for m in await recall.store.memories()] == ["Erik has a summer house on Vrångö."]


async def test_a_correction_leaves_the_interviews_answers_as_they_were_said(recall: Recall) -> None:
    await keep_interview(recall.store, {"days": "a crap job at a chip shop, and Styrsö"}, "Zara", NOVEMBER)
    later = [await said(recall, "user", "Sorry, it's Vrångö, not Styrsö.", NOVEMBER)]
    await apply(recall, later, [], "m", {"user": "Zara", "assistant": "Des"})
    (quoted,) = await recall.store.memories()
    assert quoted.text.endswith('Zara said: "a crap job at a chip shop, and Styrsö"')  # a quote is not rewritten


async def test_what_is_said_of_someone_else_or_of_the_companion_is_not_kept_as_the_users(recall: Recall) -> None:
    turns = [
        await said(recall, "user", "My flatmate Omar plays the cello in an orchestra, hence the noise", NOVEMBER),
        await said(recall, "user", "what are you even. some chatbot with a funny voice", NOVEMBER),
        await said(recall, "user", "I'm a computer programmer and I play the cello too, badly", NOVEMBER),
    ]
    items = [
        item(1, "Theo plays the cello in an orchestra.", "Theo", "other", "cello"),  # Omar does
        item(1, "Theo's flatmate Omar plays the cello in an orchestra.", "Omar", "other", "cello"),
        item(2, "Theo is a chatbot with a funny voice.", "Theo", "other", "chatbot"),  # what it was called
        item(3, "Theo is a computer programmer.", "Theo", "works as", "computer programmer"),
        item(3, "Theo plays the cello badly.", "Theo", "other", "cello"),
    ]
    result = await apply(recall, turns, items, "m", {"user": "Theo", "assistant": "Wren"})
    assert [m.text for m in result.stored] == [
        "Theo's flatmate Omar plays the cello in an orchestra.",
        "Theo is a computer programmer.",
        "Theo plays the cello badly.",
    ]
