"""The first hour, scored: scripted newcomers meet the real default model, and code judges what they would see.

Each person of bench/data/newcomers.json (40 of them, written and labelled by hand, none used to tune a prompt)
answers the setup interview, watches the companion choose its name, asks "What do you know about me?", says a
dozen lines on the first day (a sad one, a playful one, a request it cannot do, a question about the companion, a
correction, facts about their life) and comes back the next day. Everything runs through os1's own code on a real
model: `Interview` (reactions and naming), `Companion` with memory (recall before replies, extraction after them,
the diary and reflection when the day is over). The clock is injected: day one starts on a fixed date. What /who
shows at the end (its traits and how they changed, its mood and why, the interests it grew) goes in the transcript.

What is scored (the detectors of persona breaks and of speaking as the user are os1.companion.checks, described
there; the rest is here):
persona breaks    every text the companion wrote (reactions, the naming's reason, greetings, replies) that says
                  "as an AI", "language model", "How can I help" and the like (os1.companion.checks.BREAKS). Goal 0.
role confusion    reactions and replies that speak as the user (checks.speaks_as_user), that call the user by the
                  companion's own name (checks.greets_itself: "It's nice to meet you, Allison" from Allison), and
                  reactions to an answer that tell about the companion instead (checks.talks_about_itself). Goal 0.
names             the chosen name is no ordinary word of the user's language or of English (a lowercase entry of
                  Debian's word lists: wamerican, wbritish and the list of the user's language, unless one of these
                  lists also writes it capitalised, as a name: "Mark", "John", "Maria" are names to a speaker,
                  "Lame" and "Sky" are not; the German list, which capitalises every noun, is not read for names)
                  and not on the short list of unfortunate names below. Goal 40 of 40. Also counted, the strict
                  reading: the names that are no lowercase entry at all.
naming reason     says only true things about the user: no sentence about the user in words they did not use
                  or the questions they answered (checks.unsupported_claims), and none that speaks as them.
                  Goal 40 of 40.
what it knows     "What do you know about me?" right after the interview names at least 4 of the 6 things the
                  person's answers said (hand-labelled facts, matched by keywords; being called by their name is
                  one of the six). Goal >= 90 % of people.
asked back        the next day's question about something said on day one ("What's my dog's name?") is answered:
                  the reply has the hand-labelled answer (recall_answer). Not a goal of the issue; the promise of
                  a companion that remembers.
memory            every memory kept (diary entries and reflections aside) against the facts labelled by hand for
                  each person (their name aside: it is the profile's, and every memory names them): precision (a
                  memory is right if it states a labelled fact, not attributed to the companion, or if it was
                  judged right by hand: bench/data/newcomers-judged.json holds the verdict and its reason for each
                  kept memory that states no labelled fact, "Bex teaches PE" (Callum does) wrong, "Dale's house is
                  too quiet" right; a memory no one has judged yet counts as wrong and is listed), recall
                  (labelled facts stated by some memory); and the memories of the form "X is called X" and those
                  that give the user's facts to the companion. Goals 90 % / 70 % / 0 / 0.
speed             time to first token of each reply (from the line handed over to the first words) and generation
                  tokens/s (llama.cpp's own timing), medians; the texts the guard asked the model for again
                  ("asked" on each text: how many requests it took; "went_on": how many of them went on from
                  what was shown, which the first words did not wait for); and how
                  long the greeting takes to begin the next day (the memory work of the night used the model: the
                  prompt's stable beginning is loaded from where the model kept it, as the terminal does, and the
                  rest is read again). Nobody types
                  here; what the terminal has the model read while the user types their name and first answer
                  (the reactions' instructions, ~13 s on one thread) is read before the interview starts, so
                  the first reaction is timed as a user who took that long to type both would see it. The same
                  for what it reads while the user reads the chosen name and answers (the greeting's prompt)
                  and while they read the list "What do you know about me?" gets (written without the model):
                  each reading is awaited and its time recorded (read_ahead_seconds, list_read_seconds), which
                  is what a user who answers at once waits longer. The same for what the model reads on after
                  each greeting and reply, up to where the user's next words begin (Companion.ready, where the
                  code has it): awaited, its time kept on the text as read_on. Each text also keeps the time to
                  the model's own first text (model_ttft): what the first words shown waited for beyond it is
                  the guard's; and, when the guard asked more than once, what the model wrote each time (tries).

Usage: python bench/companion.py [--people N or id,id,...] [--model qwen2.5-1.5b] [--out FILE] [--work DIR]
A person's result is kept in --work as soon as they are done, so a run that is stopped goes on where it stopped
(with the same --work). Needs Debian's word lists: apt-get install wamerican wbritish wfrench wngerman wspanish
witalian wportuguese wbrazilian wdutch wswedish wpolish.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from os1 import models
from os1.companion.checks import (
    greets_itself,
    persona_break,
    speaks_as_user,
    talks_about_itself,
    unsupported_claims,
)
from os1.companion.companion import Companion
from os1.companion.onboarding import GREETING, Interview
from os1.companion.prompt import QUESTIONS
from os1.config import Settings
from os1.llm.llamacpp import LlamaCppLLM
from os1.memory.embed import ASSETS, MiniLM
from os1.memory.recall import Recall
from os1.memory.sqlite import SQLiteStore
from os1.memory.store import Memory

DATA = Path(os.environ.get("OS1_NEWCOMERS", Path(__file__).parent / "data" / "newcomers.json"))
JUDGED = DATA.with_name(f"{DATA.stem}-judged.json")  # kept memories that state no labelled fact, judged by hand
SEED = 1234
CONTEXT = 8192
START = datetime(2026, 3, 12, 19, 0, tzinfo=UTC)  # day one, a Thursday evening
TYPING = timedelta(seconds=45)  # the clock moves this much between lines
ASK = "What do you know about me?"
DICTIONARIES = {
    "en": ("american-english", "british-english"),
    "fr": ("french",),
    "de": ("ngerman",),
    "es": ("spanish",),
    "it": ("italian",),
    "pt": ("portuguese", "brazilian"),
    "nl": ("dutch",),
    "sv": ("swedish",),
    "pl": ("polish",),
}
# Given names that read as something unfortunate in English though they are not ordinary dictionary words.
UNFORTUNATE = frozenset("dick fanny randy gaylord willy titty dong wang lame moron dumb bimbo".split())
SCRIPTED = {"question", "naming", "reaction:name", "reaction:voice"}  # not the model's words (the reason: below)
SKIPPED_KINDS = {"episode", "reflection"}  # the diary and its notes summarise; they are not facts kept


class SeededLLM(LlamaCppLLM):
    """os1's embedded backend, unchanged except that every request carries a fixed seed (repeatable runs), and
    the requests for a text to show (not a reading, not an extraction) are counted: the guard's retries, and
    those of them that go on from what was shown (the messages end with it, as the assistant's)."""

    texts_asked = 0
    texts_gone_on = 0
    first_text_at: float | None = None  # when the model's first text of what ``timed`` times came

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.tries: list[str] = []  # what the model wrote for what ``timed`` times, request by request, as read

    async def stream(self, messages: Any, **options: Any) -> AsyncIterator[str]:
        written = []
        try:
            async for text in super().stream(messages, **options):
                if self.first_text_at is None:
                    self.first_text_at = time.perf_counter()
                written.append(text)
                yield text
        finally:
            if options.get("schema") is None and options.get("max_tokens", 512) > 1:
                self.tries.append("".join(written))

    def request(self, messages: Any, **options: Any) -> dict[str, Any]:
        if options.get("schema") is None and options.get("max_tokens", 512) > 1:
            self.texts_asked += 1
            self.texts_gone_on += messages[-1]["role"] == "assistant"
        return {**super().request(messages, **options), "seed": SEED}


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def tick(self, by: timedelta = TYPING) -> None:
        self.now += by


# The interview's questions, as os1 quotes them when it keeps an answer ("Asked whether Dale is social or
# anti-social, Dale said: ..."): their words are not the user's, so they match no fact.
QUESTION_WORDS = re.compile(r"\bsocial or anti-social\b|\bwants? from (a|their) companion\b", re.I)


def matches(keywords: list[list[str]], text: str) -> bool:
    """Every group has an alternative that begins a word of ``text`` (the interview's questions aside)."""
    lowered = QUESTION_WORDS.sub(" ", text).lower()
    return all(any(re.search(rf"(?<![\w]){re.escape(alt.lower())}", lowered) for alt in group) for group in keywords)


def dictionary_words(language: str) -> tuple[set[str], set[str]]:
    """The lowercase words of Debian's lists for ``language`` and English, and the words these lists also write
    capitalised, as names ("Mark", "John", "Maria", never "lame" or "sky"): every list but the German one, which
    capitalises every noun, capitalises proper nouns only (the French and Spanish lists have none)."""
    words: set[str] = set()
    names: set[str] = set()
    for name in (*DICTIONARIES.get(language, ()), *DICTIONARIES["en"]):
        path = Path("/usr/share/dict") / name
        if not path.exists():
            sys.exit(f"{path} is missing: apt-get install wamerican wbritish wfrench wngerman wspanish witalian "
                     "wportuguese wbrazilian wdutch wswedish wpolish")  # fmt: skip
        listed = path.read_text(encoding="utf-8", errors="replace").split()
        words |= {w for w in listed if w.islower()}
        if name != "ngerman":
            names |= {w.lower() for w in listed if w.istitle()}
    return words, names


def name_problem(name: str, language: str, words: set[str], names: set[str]) -> str | None:
    """Why a speaker would not take ``name`` for a name: an unfortunate word, or an ordinary word of their language
    or English that neither list writes as a name (a speaker takes "Mark" and "John" for names)."""
    if name.lower() in UNFORTUNATE:
        return "unfortunate"
    if name.lower() in words and name.lower() not in names:
        return f"an ordinary word ({language} or English)"
    return None


async def timed(stream: Any, llm: SeededLLM) -> tuple[str, dict[str, Any]]:
    """The whole text of a stream, and what is kept about it: its time to first text (ttft), llama.cpp's
    generation tokens/s (tps), how many times the model was asked for it (asked; more than once: the guard asked
    again), how many of those went on from what was shown (went_on), the time to the model's own first text
    (model_ttft: what the first text shown waited for beyond it is the guard's), and, when it was asked more than
    once, what the model wrote each time (tries, as far as each was read)."""
    asked, gone_on = llm.texts_asked, llm.texts_gone_on
    start = time.perf_counter()
    first = None
    parts = []
    llm.last_timings, llm.first_text_at, llm.tries = {}, None, []
    async for delta in stream:
        if first is None:
            first = time.perf_counter() - start
        parts.append(delta)
    speed = llm.last_timings.get("predicted_per_second")
    kept: dict[str, Any] = {
        "ttft": first,
        "model_ttft": None if llm.first_text_at is None else llm.first_text_at - start,
        "tps": speed,
        "asked": llm.texts_asked - asked,
        "went_on": llm.texts_gone_on - gone_on,
    }
    if kept["asked"] > 1:
        kept["tries"] = llm.tries
    return "".join(parts), kept


async def read_on(companion: Companion) -> float | None:
    """Wait while the model reads on after a greeting or reply, as it does while the user reads it (None: this
    version of os1 does not); the seconds, which a user who answers at once would wait longer."""
    if not hasattr(companion, "ready"):
        return None
    began = time.perf_counter()
    await companion.ready()
    return time.perf_counter() - began


async def meet(person: dict[str, Any], llm: SeededLLM, embedder: MiniLM, work: Path) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(dir=work, prefix=f"{person['id']}-"))
    store = SQLiteStore.open(home)
    clock = Clock(START)
    said: list[dict[str, Any]] = []
    began = time.perf_counter()

    def note(who: str, text: str, kind: str, **extra: Any) -> None:
        said.append({"who": who, "kind": kind, "text": text, **extra})

    options: dict[str, Any] = {"clock": clock, "rng": random.Random(SEED)}
    if "locale" in inspect.signature(Interview).parameters:  # os1 before its names knew places had none
        from os1.companion.languages import Locale

        options["locale"] = Locale.parse(person["locale"])
    interview = Interview(llm, store, **options)
    interview.start()
    await interview.ready()  # as the terminal has it done while the user types their name and first answer
    answers = person["answers"]
    for key, question in interview.questions:
        note("os1", question, "question")
        note("user", answers[key], "answer")
        reaction, kept = await timed(interview.react(key, answers[key]), llm)
        note("os1", reaction, f"reaction:{key}", **kept)
        clock.tick()
    naming_began = time.perf_counter()
    naming = await interview.finish(answers)
    naming_seconds = time.perf_counter() - naming_began
    persona, profile = naming.persona, naming.profile
    note("os1", f"Call me {persona.name}. {persona.why}", "naming")

    recall = Recall(store, embedder, clock=clock)
    companion = Companion(llm, store, persona, profile, context_tokens=CONTEXT, clock=clock, keep_prefix=True)
    companion.remember_with(recall)
    reading_began = time.perf_counter()
    await companion.prepare()  # as the terminal has it done while the user reads the name and answers
    read_ahead_seconds = time.perf_counter() - reading_began  # what a user who answers at once waits longer
    text, kept = await timed(companion.welcome(), llm)
    note("os1", text, "welcome", **kept, read_on=await read_on(companion))

    async def say(line: str, kind: str, companion: Companion) -> str:
        clock.tick()
        note("user", line, kind)
        reply, kept = await timed(companion.respond(line), llm)
        note("os1", reply, f"reply:{kind}", **kept, read_on=await read_on(companion))
        return reply

    knows = await say(ASK, "ask", companion)
    reading_began = time.perf_counter()
    await companion.prepare()  # the list (written without the model) is read by it while the user reads it
    list_read_seconds = time.perf_counter() - reading_began  # what a user who answers at once waits longer
    for line, kind in zip(person["day1"], person["kinds1"], strict=True):
        await say(line, kind, companion)
    await companion.settle()

    clock.now = START + timedelta(days=1, hours=0, minutes=30)
    companion = await Companion.load(llm, store, context_tokens=CONTEXT, clock=clock, keep_prefix=True)
    assert companion is not None
    companion.remember_with(recall)
    text, kept = await timed(companion.welcome(), llm)
    note("os1", text, "welcome:next day", **kept, read_on=await read_on(companion))
    for line, kind in zip(person["day2"], person["kinds2"], strict=True):
        await say(line, kind, companion)
    await companion.settle()
    who = companion.describe(await store.turns())  # what /who shows at the end of day two
    memories = await store.memories(include_past=True)
    store.close()
    return {
        "id": person["id"],
        "locale": person["locale"],
        "style": person["style"],
        "name": persona.name,
        "why": persona.why,
        "traits": list(persona.traits),
        "voice": persona.voice,
        "user_name": profile.name,
        "shortlist": list(naming.shortlist.names),
        "steps": [list(step) for step in naming.shortlist.steps],
        "naming_seconds": naming_seconds,
        "read_ahead_seconds": read_ahead_seconds,
        "list_read_seconds": list_read_seconds,
        "knows": knows,
        "said": said,
        "who_shows": who,
        "memories": [_memory(m) for m in memories],
        "seconds": time.perf_counter() - began,
    }


def _memory(memory: Memory) -> dict[str, Any]:
    return {
        "kind": memory.kind,
        "text": memory.text,
        "subject": memory.subject,
        "current": memory.current,
        "source_turn_ids": list(memory.source_turn_ids),
    }


def score(
    person: dict[str, Any], result: dict[str, Any], dictionary: tuple[set[str], set[str]], judged: dict[str, bool]
) -> dict[str, Any]:
    """How one person's first hour went; ``judged``: the verdicts by hand on memories that state no labelled fact."""
    facts = {fact["id"]: fact for fact in person["facts"]}
    kept_facts = {fid: fact for fid, fact in facts.items() if fid != "name"}  # the name is the profile's, not memory's
    companion = result["name"]
    answers = list(person["answers"].values())
    said = result["said"]
    breaks, confused = [], []
    heard = ""  # what the user said last
    for line in said:
        if line["who"] == "user":
            heard = line["text"]
        elif line["kind"] not in SCRIPTED:
            if persona_break(line["text"]):
                breaks.append(line["text"])
            reaction = line["kind"].startswith("reaction") and talks_about_itself(line["text"])
            by_its_name = greets_itself(line["text"], companion)  # the user called by the companion's own name
            if reaction or by_its_name or (heard and speaks_as_user(line["text"], heard)):
                confused.append(line["text"])
    reason = f"Call me {companion}. {result['why']}"
    asked = [QUESTIONS[key] for key in person["answers"] if key in QUESTIONS]  # what they answered is theirs too
    untrue = unsupported_claims(result["why"], [*answers, *asked], result["user_name"])
    if swapped := speaks_as_user(re.sub(r'"[^"]*"', '""', reason), " ".join(answers)):
        untrue.append(swapped)
    named = [key for key in person["interview_facts"] if matches(facts[key]["keywords"], result["knows"])]
    asked_back = [line["text"] for line in said if line["kind"] == "reply:recall"]
    kept = [m for m in result["memories"] if m["kind"] not in SKIPPED_KINDS]
    right, wrong, unjudged, called_self, given_away = [], [], [], [], []
    found: set[str] = set()
    for memory in kept:
        text = memory["text"]
        if re.search(r"\b(\w+) is called \1\b", text, re.I) or re.search(r"\bis called\W*$", text, re.I):
            called_self.append(text)
        about_companion = (memory["subject"] or "").lower() == companion.lower() or text.lower().startswith(
            companion.lower()
        )
        stated = [fid for fid, fact in kept_facts.items() if matches(fact["keywords"], text)]
        verdict = judged.get(text)
        if stated and about_companion and any(facts[f]["about"] == "user" for f in stated):
            given_away.append(text)
            wrong.append(text)
        elif verdict is False:
            wrong.append(text)
        elif stated:
            right.append(text)
            found.update(stated)
        elif verdict:
            right.append(text)
        else:
            wrong.append(text)
            unjudged.append(text)
    ttfts = [s["ttft"] for s in said if s["kind"].startswith("reply") and s.get("ttft") is not None]
    speeds = [s["tps"] for s in said if s.get("tps")]
    greeted = [s["ttft"] for s in said if s["kind"] == "welcome:next day" and s.get("ttft") is not None]
    read_on = [s["read_on"] for s in said if s["kind"].startswith("reply") and s.get("read_on") is not None]
    return {
        "outputs": sum(s["who"] == "os1" and s["kind"] != "question" for s in said),
        "persona_breaks": breaks,
        "role_confusion": confused,
        "name_problem": name_problem(companion, person["locale"][:2], *dictionary),
        "name_a_word": companion.lower() in dictionary[0],  # the strict reading: a word even if also a name
        "reason_untrue": untrue,
        "knows_named": named,
        "recalled": bool(asked_back) and matches(person["recall_answer"], asked_back[0]),
        "memories": len(kept),
        "memories_right": right,
        "memories_wrong": wrong,
        "memories_unjudged": unjudged,
        "facts": len(kept_facts),
        "facts_found": sorted(found),
        "called_self": called_self,
        "given_away": given_away,
        "asked_again": [s["text"] for s in said if s.get("asked", 1) > 1],
        "gone_on": [s["text"] for s in said if s.get("went_on", 0)],
        "ttft_median": statistics.median(ttfts) if ttfts else None,
        "tps_median": statistics.median(speeds) if speeds else None,
        "greeting_next_day": greeted[0] if greeted else None,
        "read_on_median": statistics.median(read_on) if read_on else None,
    }


def summary(scores: list[dict[str, Any]]) -> dict[str, Any]:
    people = len(scores)
    kept = sum(s["memories"] for s in scores)
    facts = sum(s["facts"] for s in scores)
    ttfts = [s["ttft_median"] for s in scores if s["ttft_median"] is not None]
    speeds = [s["tps_median"] for s in scores if s["tps_median"] is not None]
    greeted = [s["greeting_next_day"] for s in scores if s.get("greeting_next_day") is not None]
    read_on = [s["read_on_median"] for s in scores if s.get("read_on_median") is not None]
    return {
        "people": people,
        "outputs": sum(s["outputs"] for s in scores),
        "persona_breaks": sum(len(s["persona_breaks"]) for s in scores),
        "role_confusion": sum(len(s["role_confusion"]) for s in scores),
        "names_acceptable": sum(s["name_problem"] is None for s in scores),
        "names_no_word": sum(not s["name_a_word"] for s in scores),
        "reasons_true": sum(not s["reason_untrue"] for s in scores),
        "knows_4_of_6": sum(len(s["knows_named"]) >= 4 for s in scores),
        "recalled": sum(s["recalled"] for s in scores),
        "memory_precision": sum(len(s["memories_right"]) for s in scores) / kept if kept else 0.0,
        "memory_recall": sum(len(s["facts_found"]) for s in scores) / facts if facts else 0.0,
        "memories": kept,
        "unjudged": sum(len(s["memories_unjudged"]) for s in scores),
        "called_self": sum(len(s["called_self"]) for s in scores),
        "given_away": sum(len(s["given_away"]) for s in scores),
        "asked_again": sum(len(s.get("asked_again", ())) for s in scores),
        "gone_on": sum(len(s.get("gone_on", ())) for s in scores),
        "ttft_median": statistics.median(ttfts) if ttfts else None,
        "tps_median": statistics.median(speeds) if speeds else None,
        "greeting_next_day": statistics.median(greeted) if greeted else None,
        "read_on_median": statistics.median(read_on) if read_on else None,
    }


def table(total: dict[str, Any], results: list[dict[str, Any]]) -> Table:
    people = total["people"]
    rows = [
        ("persona breaks", f"{total['persona_breaks']} in {total['outputs']} texts", "0"),
        ("role confusion", f"{total['role_confusion']} in {total['outputs']} texts", "0"),
        ("names acceptable", f"{total['names_acceptable']} of {people}", f"{people} of {people}"),
        ("  of them, no lowercase dictionary word at all", f"{total['names_no_word']} of {people}", ""),
        ("naming reason true", f"{total['reasons_true']} of {people}", f"{people} of {people}"),
        ('"what do you know" names >= 4 of 6', f"{total['knows_4_of_6']} of {people}", ">= 90 %"),
        ("the next day, answers what it was told", f"{total['recalled']} of {people}", f"{people} of {people}"),
        (
            "memory precision",
            f"{total['memory_precision']:.0%} of {total['memories']} ({total['unjudged']} not judged yet)",
            ">= 90 %",
        ),
        ("memory recall", f"{total['memory_recall']:.0%}", ">= 70 %"),
        ('"X is called X" memories', str(total["called_self"]), "0"),
        ("user's facts given to the companion", str(total["given_away"]), "0"),
        ("texts asked for again by the guard", f"{total['asked_again']} in {total['outputs']} texts", ""),
        ("  of them, gone on from what was shown", str(total["gone_on"]), ""),
        ("time to first token, median (s)", _num(total["ttft_median"]), "no slower"),
        ("generation, median (tokens/s)", _num(total["tps_median"]), "no slower"),
        ("the next day's greeting, first word (s)", _num(total["greeting_next_day"]), ""),
        ("reading on after a reply, median (s)", _num(total["read_on_median"]), ""),
    ]
    out = Table("measure", "result", "goal", title=f"The first hour: {people} newcomers", box=None)
    for row in rows:
        out.add_row(*row)
    names = ", ".join(f"{r['name']}" for r in results)
    out.caption = f"names chosen: {names}"
    return out


def transcript(result: dict[str, Any], scored: dict[str, Any]) -> str:
    """One person's first hour as it read, with what was scored against it."""
    name = result["name"]
    lines = [f"OS1: {GREETING}"]  # as the terminal begins
    for said in result["said"]:
        if said["kind"] == "welcome:next day":
            lines.append("\n-- the next day --")
        if said["who"] == "user":
            lines.append(f"you: {said['text']}")
        else:
            who = name if said["kind"].startswith(("welcome", "reply")) else "OS1"
            if said["kind"] == "naming":  # as the terminal shows it
                steps = result["steps"]
                narrowed = "; ".join(f"{count:,} {what}" for what, count in steps[1:])
                lines.append("...choosing a name...")
                lines.append(f"I read {steps[0][1]:,} given names; {narrowed}; then I looked closely at "
                             f"{len(result['shortlist'])}.")  # fmt: skip
                who = name
            lines.append(f"{who}: {said['text']}")
    kept = "\n".join(f"- {m['text']}" for m in result["memories"] if m["kind"] not in SKIPPED_KINDS)
    if "who_shows" in result:  # runs before /who showed an inner life did not record it
        lines += ["", "you: /who", result["who_shows"]]
    flags = [
        *(f"persona break: {text}" for text in scored["persona_breaks"]),
        *(f"role confusion: {text}" for text in scored["role_confusion"]),
        *(f"reason not true: {text}" for text in scored["reason_untrue"]),
        *([f"name: {scored['name_problem']}"] if scored["name_problem"] else []),
    ]
    return (
        f"# {result['user_name']} ({result['style']}, {result['locale']})\n\n"
        f"Verbatim from the default model, through os1's own code; the lines after `you:` are the script.\n\n"
        f"```text\n" + "\n".join(lines) + "\n```\n\n"
        f'What the checks found: {"; ".join(flags) if flags else "nothing"}. "What do you know about me?" named '
        f"{len(scored['knows_named'])} of the 6 things from the interview.\n\n"
        f"Memories kept ({len(scored['memories_right'])} of {scored['memories']} right; "
        f"{len(scored['facts_found'])} of {scored['facts']} labelled facts found):\n\n{kept}\n"
    )


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


async def run(args: argparse.Namespace, people: list[dict[str, Any]], settings: Settings, path: Path) -> dict[str, Any]:
    console = Console()
    work = Path(args.work)
    llm = SeededLLM(path, threads=args.threads, context=CONTEXT, log_path=work / "llamacpp.log", kept=work / "kept")
    embedder = MiniLM.from_settings(settings)
    dictionaries: dict[str, tuple[set[str], set[str]]] = {}
    judged = {
        who: {verdict["memory"]: verdict["right"] for verdict in verdicts}
        for who, verdicts in json.loads(JUDGED.read_text(encoding="utf-8")).items()
    }
    results, scores = [], []
    try:
        for index, person in enumerate(people, 1):
            done = work / f"{person['id']}.json"
            if done.exists():
                result = json.loads(done.read_text(encoding="utf-8"))
            else:
                result = await meet(person, llm, embedder, work)
                done.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
            language = person["locale"][:2]
            dictionary = dictionaries.setdefault(language, dictionary_words(language))
            scored = score(person, result, dictionary, judged.get(person["id"], {}))
            results.append(result)
            scores.append(scored)
            console.print(
                f"{index}/{len(people)} {person['id']}: {result['name']} ({result['seconds']:.0f} s); breaks "
                f"{len(scored['persona_breaks'])}, confusion {len(scored['role_confusion'])}, knows "
                f"{len(scored['knows_named'])}/6, memories {len(scored['memories_right'])}/{scored['memories']} right, "
                f"facts {len(scored['facts_found'])}/{scored['facts']}"
            )
    finally:
        await llm.aclose()
    total = summary(scores)
    console.print(table(total, results))
    record = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_15min": os.getloadavg()[2]},
        "settings": {k: v for k, v in vars(args).items() if k not in ("out", "work")} | {"seed": SEED},
        "summary": total,
        "people": [{"result": r, "score": s} for r, s in zip(results, scores, strict=True)],
    }
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", default="", help="how many of the newcomers (from the first), or their ids")
    parser.add_argument("--model", default="qwen2.5-1.5b", help="a catalogue name or a path to a .gguf file")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--home", default="", help="the os1 home whose models are used (default: OS1_HOME)")
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "os1-companion-bench"))
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "companion.json"))
    parser.add_argument("--transcripts", default="", help="also write each person's first hour to this folder")
    args = parser.parse_args()
    people = json.loads(DATA.read_text(encoding="utf-8"))
    if args.people.isdigit():
        people = people[: int(args.people)]
    elif args.people:
        people = [p for p in people if p["id"] in args.people.split(",")]
    settings = Settings(home=Path(args.home).expanduser()) if args.home else Settings.load()
    for name in ASSETS:
        models.install(settings, name)
    path = models.install(settings, args.model) if args.model in models.CATALOGUE else Path(args.model)
    Path(args.work).mkdir(parents=True, exist_ok=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    record = asyncio.run(run(args, people, settings, path))
    if args.transcripts:
        folder = Path(args.transcripts)
        folder.mkdir(parents=True, exist_ok=True)
        for person in record["people"]:
            text = transcript(person["result"], person["score"])
            (folder / f"{person['result']['id']}.md").write_text(text, encoding="utf-8")
    Path(args.out).write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
