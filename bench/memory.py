"""Memory: retrieval quality against plain BM25 and plain dense search, recall latency at scale, and what
background extraction costs (and that replies do not wait for it).

Three sections, each printed as a table and written to one JSON file:

quality     Three conversation sets in bench/data, each a conversation and questions whose answers sit in known
            turns: "companion" (a user and their companion, 24+ sessions over ten months, 160+ questions, with
            updates and contradictions; recall's weights were chosen on its odd-numbered questions), "friends"
            (a chat between two friends imported while the user is absent, ten months, questions about either
            of them: who said it, when, what changed, what follows) and "paraphrase" (a user and their companion,
            asked in other words than the answer's, or for what follows from it); the last two are held out.
            Each is imported with `os1 memory import`, the same pipeline and model as a user's import (turns per
            minute reported), and each question is asked, at its own date, of three retrievers: plain BM25 and
            plain dense search (the same MiniLM, cosine), both over "speaker: text" strings, and os1's recall
            (memories and transcript, fused; time-aware). Every retriever gives a ranked list of turns (os1's
            hits are replaced by the turns they came from, in order, so a hit naming several turns uses up
            several places); recall@k is the share of a question's answer turns found in the first k.
            Goal on every set: os1 >= 1.2 x the better baseline at recall@10, and never below either baseline in
            any kind of question. Where the set has facts labelled per turn (friends, paraphrase), what the import
            kept is scored against them (``extraction_scored``). Goals: >= 85 % of memories state a labelled
            fact about the right person, <= 2 % name the wrong one, >= 70 % of the facts kept.
latency     One user's store with N memories and N transcript turns (synthetic texts, random unit vectors:
            the search does the same work whatever the vectors hold), N in 1k / 10k / 100k; p50 / p95 of a
            whole `Recall.search` (embedding the query, both corpora, fusion) and of one over the memories
            only, against embedding the query alone and one FTS5 query alone. Goal: p95 <= 20 ms at 100k.
extraction  A scripted chat (bench/chat.py's lines) through a real Companion, twice on one loaded model: memory
            off, then memory on (recall before every reply, extraction in the background after it), with the
            same pause after each reply, as if the user were typing. Time to first token per turn, medians
            compared as a ratio; then the seconds the extraction of one turn takes.

Usage: python bench/memory.py [--sections quality,latency,extraction] [--sets companion,friends,paraphrase]
                              [--model qwen2.5-1.5b] [--sizes ...]
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import hashlib
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from chat import LINES, PERSONA, PROFILE, model_path
from rich.console import Console
from rich.table import Table

from os1.companion.companion import Companion
from os1.config import Settings
from os1.llm.llamacpp import LlamaCppLLM
from os1.memory.embed import ASSETS, MiniLM
from os1.memory.observe import Observer
from os1.memory.recall import Recall
from os1.memory.sqlite import SQLiteStore
from os1.memory.store import Memory, Profile
from os1.memory.words import STOPWORDS

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class ConversationSet:
    """A conversation to import, the questions asked of it, the facts a careful reader labelled per turn (if any),
    and what the user who imports it is called (None: the user is neither of the speakers)."""

    stem: str
    user: str | None

    @property
    def sessions(self) -> Path:
        return DATA / f"{self.stem}-sessions.json"

    @property
    def questions(self) -> Path:
        return DATA / f"{self.stem}-questions.json"

    @property
    def facts(self) -> Path:
        return DATA / f"{self.stem}-facts.json"


SETS = {
    "companion": ConversationSet("memory", "Nora"),
    "friends": ConversationSet("memory-friends", None),
    "paraphrase": ConversationSet("memory-paraphrase", "Gabe"),
}
TUNED = "companion"  # recall's weights were chosen on its odd-numbered questions; every other question is held out
METHODS = ("bm25", "dense", "os1")
KS = (5, 10)
console = Console()


# --- quality ---------------------------------------------------------------------------------------------------


async def imported_home(work: Path, chosen: ConversationSet, model: Path, batch: int) -> tuple[Path, dict[str, Any]]:
    """A home holding a conversation set imported by `os1 memory import`, by a user of the set's name (cached by
    the set's and the model's digest, so the slow import runs once)."""
    sessions = chosen.sessions
    key = sessions.read_bytes() + model.name.encode() + str(batch).encode() + str(chosen.user).encode()
    digest = hashlib.sha256(key).hexdigest()[:12]
    home = work / f"import-{digest}"
    report = home / "import.json"
    if report.exists():
        return home, json.loads(report.read_text())
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    (home / "models").symlink_to(Settings.load().home / "models")  # the installed models, not a second copy
    if chosen.user:
        store = SQLiteStore.open(home)
        await store.save_profile(Profile(chosen.user, {}, datetime(2026, 1, 1, tzinfo=UTC)))
        store.close()
    env = {**os.environ, "OS1_HOME": str(home), "OS1_MODEL": str(model)}
    console.print(f"importing {sessions.name} with {model.name} (batch {batch}); this is the slow part")
    started = time.perf_counter()
    done = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "os1", "memory", "import", str(sessions), "--batch", str(batch),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = (part.decode() for part in await done.communicate())
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the import failed:\n{out}\n{err}")
    said = re.search(r"Remembered ([\d,]+) things from ([\d,]+) turns in ([\d,]+) s", out)
    assert said, out
    memories, turns, extracting = (int(group.replace(",", "")) for group in said.groups())
    result = {
        "model": model.name,
        "batch": batch,
        "turns_extracted": turns,
        "memories": memories,
        "extraction_seconds": extracting,
        "turns_per_minute": round(turns / extracting * 60, 1),
        "wall_seconds": round(seconds, 1),
        "cli_output": out.strip(),
    }
    report.write_text(json.dumps(result, indent=1))
    return home, result


def embedding_model() -> MiniLM:
    """os1's embedding model, installed into the os1 home first if it is missing."""
    for name in ASSETS:
        model_path(name)
    return MiniLM.from_settings(Settings.load())


def recall_at(ranked: list[str], answers: list[str], k: int) -> float:
    return len(set(ranked[:k]) & set(answers)) / len(answers)


class Baselines:
    """The fair baselines: plain BM25 (SQLite FTS5, porter stemming, any of the question's meaningful words, as
    os1's own word search asks) and plain dense search (the same MiniLM, cosine), both over "speaker: text", so
    that who said a turn is as searchable to them as its words."""

    def __init__(self, turns: list[tuple[str, str, str]], embedder: MiniLM):  # (id, speaker, text)
        self.ids = [turn_id for turn_id, _, _ in turns]
        strings = [f"{speaker}: {text}" for _, speaker, text in turns]
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE turns USING fts5(text, tokenize='porter unicode61')")
        self.db.executemany("INSERT INTO turns (rowid, text) VALUES (?, ?)", enumerate(strings))
        self.embedder = embedder
        self.matrix = np.vstack([embedder.embed(strings[i : i + 64]) for i in range(0, len(strings), 64)])

    def bm25(self, question: str, depth: int) -> list[str]:
        words = dict.fromkeys(w for w in re.findall(r"\w+", question.lower()) if len(w) > 1 and w not in STOPWORDS)
        if not words:
            return []
        match = " OR ".join(f'"{word}"' for word in words)
        rows = self.db.execute(
            "SELECT rowid FROM turns WHERE turns MATCH ? ORDER BY bm25(turns) LIMIT ?", (match, depth)
        )
        return [self.ids[row] for (row,) in rows]

    def dense(self, question: str, depth: int) -> list[str]:
        (vector,) = self.embedder.embed([question])
        return [self.ids[i] for i in np.argsort(-(self.matrix @ vector))[:depth]]


def matches(keywords: list[list[str]], text: str) -> bool:
    """Every group of a fact's keywords has an alternative that begins a word of ``text``."""
    lowered = text.lower()
    return all(any(re.search(rf"(?<!\w){re.escape(alt.lower())}", lowered) for alt in group) for group in keywords)


def copied(memory: str, said: str) -> bool:
    """A memory that is its turn's words over again: nearly all of its words (names aside) were said, in the
    order said, and it keeps most of the turn (a raw copy adds nothing the transcript does not hold)."""
    kept = re.findall(r"[a-z']+", memory.lower())
    heard = re.findall(r"[a-z']+", said.lower())
    if not kept or not heard:
        return False
    common = difflib.SequenceMatcher(None, kept, heard, autojunk=False).get_matching_blocks()
    shared = sum(block.size for block in common)
    return shared >= 0.8 * len(kept) and shared >= 0.6 * len(heard)


def extraction_scored(
    memories: list[Memory], label: dict[int, str], said: dict[str, str], chosen: ConversationSet
) -> dict[str, Any]:
    """What the import kept, against the facts labelled per turn: a memory is right if it states a fact of the
    turns it came from (every keyword group matched) and names the person the fact is about (by subject or in its
    words; "user" facts by the user's name or "user"); it names the wrong person if it states such a fact but names
    only other people; otherwise it states nothing a careful reader noted (trivia, or not what was said). A fact is
    kept if a right memory came from one of its turns."""
    facts = json.loads(chosen.facts.read_text())
    of_turn: dict[str, list[dict[str, Any]]] = {}
    for fact in facts:
        for turn_id in fact["turn_ids"]:
            of_turn.setdefault(turn_id, []).append(fact)

    def names(memory: Memory, about: str) -> bool:
        called = {about.lower()} | ({"user", (chosen.user or "").lower()} - {""} if about == "user" else set())
        words = set(re.findall(r"[\w'-]+", f"{memory.subject or ''} {memory.text}".lower().replace("'s", "")))
        return bool(called & words)

    right, wrong_person, unlabelled, copies = [], [], [], []
    kept: set[str] = set()
    for memory in memories:
        sources = [label[i] for i in memory.source_turn_ids if i in label]
        stated = [
            fact for turn_id in sources for fact in of_turn.get(turn_id, []) if matches(fact["keywords"], memory.text)
        ]
        about_right = [fact for fact in stated if names(memory, fact["about"])]
        if about_right:
            right.append(memory.text)
            kept.update(fact["id"] for fact in about_right)
        elif stated:
            wrong_person.append(f"{memory.text} (the fact is about {stated[0]['about']}: {stated[0]['text']})")
        else:
            unlabelled.append(memory.text)
        if any(copied(memory.text, said[turn_id]) for turn_id in sources):
            copies.append(memory.text)
    count = len(memories)
    return {
        "memories": count,
        "facts": len(facts),
        "precision": round(len(right) / count, 3) if count else 0.0,
        "wrong_person": round(len(wrong_person) / count, 3) if count else 0.0,
        "facts_kept": round(len(kept) / len(facts), 3) if facts else 0.0,
        "raw_copies": len(copies),
        "stating_no_labelled_fact": len(unlabelled),
        "examples": {"wrong person": wrong_person[:20], "no labelled fact": unlabelled[:20], "raw copies": copies[:20]},
    }


async def quality_of(name: str, args: argparse.Namespace, work: Path, embedder: MiniLM) -> dict[str, Any]:
    """One set: imported, asked every question at its own date, scored against both baselines."""
    chosen = SETS[name]
    home, imported = await imported_home(work, chosen, model_path(args.model), args.batch)
    store = SQLiteStore.open(home)
    recall = Recall(store, embedder)
    await recall.reembed()
    turns = {turn.id: turn for turn in await store.turns()}
    label = {turn_id: turn.external_id or str(turn_id) for turn_id, turn in turns.items()}
    plain = Baselines([(label[i], t.speaker, t.text) for i, t in sorted(turns.items())], embedder)
    depth = max(KS)

    async def os1(question: str) -> list[str]:
        ranked: list[str] = []
        for hit in await recall.search(question, limit=depth):
            ranked.extend(label[i] for i in hit.source_turn_ids if label[i] not in ranked)
        return ranked

    rows = []
    for q in json.loads(chosen.questions.read_text()):
        asked = datetime.fromisoformat(q["asked_at"]).replace(tzinfo=UTC)
        recall.clock = lambda asked=asked: asked
        row = {"id": q["id"], "kind": q["kind"], "question": q["question"], "answers": q["answer_turn_ids"]}
        for method, ranked in (
            ("bm25", plain.bm25(q["question"], depth)),
            ("dense", plain.dense(q["question"], depth)),
            ("os1", await os1(q["question"])),
        ):
            row[method] = {f"r@{k}": recall_at(ranked, q["answer_turn_ids"], k) for k in KS} | {"top": ranked[:depth]}
        rows.append(row)
    extraction = None
    if chosen.facts.exists():
        kept = [m for m in await store.memories(include_past=True) if m.kind not in ("episode", "reflection")]
        said = {label[i]: turn.text for i, turn in turns.items()}
        extraction = extraction_scored(kept, label, said, chosen)
        console.print(
            f"{name}: of {extraction['memories']} memories kept, {extraction['precision']:.0%} state a labelled fact "
            f"about the right person (goal >= 85 %), {extraction['wrong_person']:.1%} name the wrong person "
            f"(goal <= 2 %); {extraction['facts_kept']:.0%} of {extraction['facts']} labelled facts kept (goal >= "
            f"70 %); {extraction['raw_copies']} raw copies of their turn, {extraction['stating_no_labelled_fact']} "
            "stating no labelled fact"
        )
    store.close()
    groups = {"all": rows}
    if name == TUNED:
        groups |= {"odd (weights chosen)": rows[1::2], "even (held out)": rows[::2]}
    groups |= {kind: [row for row in rows if row["kind"] == kind] for kind in sorted({row["kind"] for row in rows})}
    summary: dict[str, Any] = {}
    for group, chosen in groups.items():
        summary[group] = {"questions": len(chosen)} | {
            f"{method} r@{k}": round(statistics.fmean(row[method][f"r@{k}"] for row in chosen), 3)
            for method in METHODS
            for k in KS
        }
        better = max(summary[group]["bm25 r@10"], summary[group]["dense r@10"])
        summary[group]["ratio r@10"] = round(summary[group]["os1 r@10"] / better, 3) if better else None
    held = "the weights were chosen on its odd questions" if name == TUNED else "held out"
    table = Table("questions", "n", *(f"{m} r@{k}" for m in METHODS for k in KS), "os1 / better r@10",
                  title=f"{name}: recall of the answer turns ({held})")  # fmt: skip
    for group, values in summary.items():
        ratio = values["ratio r@10"]
        table.add_row(group, str(values["questions"]), *(f"{values[f'{m} r@{k}']:.2f}" for m in METHODS for k in KS),
                      "-" if ratio is None else f"{ratio:.2f}")  # fmt: skip
    console.print(table)
    ratio = summary["all"]["ratio r@10"]
    console.print(
        f"{name}: os1 r@10 / better baseline r@10 = {ratio:.2f} (goal >= 1.2: {'met' if ratio >= 1.2 else 'NOT met'});"
        f" import: {imported['turns_extracted']} turns in {imported['extraction_seconds']} s = "
        f"{imported['turns_per_minute']} turns/min ({imported['memories']} memories, {imported['model']})"
    )
    return {
        "import": imported, "extraction": extraction, "summary": summary, "ratio_r10": ratio, "goal": 1.2,
        "questions": rows,
    }  # fmt: skip


async def quality(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    embedder = embedding_model()
    return {name: await quality_of(name, args, work, embedder) for name in args.sets}


# --- latency ---------------------------------------------------------------------------------------------------

PEOPLE = ["Anna", "Marek", "Jo", "Priya", "Tom", "Lena", "Sam", "Noor", "Ivan", "Chloe", "Ben", "Aiko"]
DOINGS = ["likes", "visited", "talked about", "worries about", "cooked", "bought", "wants to learn", "argued about"]
THINGS = [
    "sailing", "the bakery downstairs", "a new job in Berlin", "her sister's wedding", "climbing", "jazz",
    "the dentist", "a trip to Lisbon", "the garden", "a beagle called Biscuit", "night shifts", "piano",
]  # fmt: skip
LATENCY_QUERIES = [
    "where do I live now?", "what's my sister's job?", "what did I say about my mother last month?",
    "when is the dentist?", "what music do I like", "who is Marek", "what did I cook in March?",
    "how was I feeling lately", "what pet do I have", "what was I worried about before the trip?",
]  # fmt: skip


async def filled_store(path: Path, size: int, dim: int, model_id: str) -> SQLiteStore:
    store = SQLiteStore(path)
    rng = np.random.default_rng(size)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    session = await store.start_session(start)
    texts = [
        f"{PEOPLE[i % 12]} {DOINGS[i // 12 % 8]} {THINGS[i // 96 % 12]} ({i})." for i in range(size)
    ]  # distinct, with shared words, as a long life's memories are
    for i, text in enumerate(texts):
        at = start + timedelta(minutes=10 * i)
        turn = await store.add_turn(session, "user", f"so {text.lower()}", at=at, queue=False)
        await store.add_memory(Memory(id=0, kind="fact", text=text, source_turn_ids=(turn.id,), created_at=at))
    for corpus in ("memories", "transcript"):
        vectors = rng.standard_normal((size, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        await store.put_vectors(corpus, model_id, list(zip(range(1, size + 1), vectors, strict=True)))
    return store


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return {"p50": round(statistics.median(ordered) * 1000, 2), "p95": round(p95 * 1000, 2)}


async def timed_searches(size: int, embedder: MiniLM, work: Path, reps: int) -> dict[str, dict[str, float]]:
    console.print(f"latency: filling a store with {size:,} memories and {size:,} turns")
    path = work / f"latency-{size}.db"
    path.unlink(missing_ok=True)
    store = await filled_store(path, size, embedder.dim, embedder.model_id)
    recall = Recall(store, embedder, clock=lambda: datetime(2026, 11, 23, 20, tzinfo=UTC))
    await recall.search("warm up")  # loads the vector matrices once, as an open store does
    parts = {
        "recall": lambda q: recall.search(q, limit=10),
        "recall, memories only": lambda q: recall.search(q, limit=10, transcript=False),
        "embed query": lambda q: asyncio.to_thread(embedder.embed, [q]),
        "fts query": lambda q: store.search_text("memories", q, limit=50),
    }
    samples: dict[str, list[float]] = {part: [] for part in parts}
    for _ in range(reps):
        for query in LATENCY_QUERIES:
            for part, run in parts.items():
                started = time.perf_counter()
                await run(query)
                samples[part].append(time.perf_counter() - started)
    store.close()
    path.unlink(missing_ok=True)
    return {part: percentiles(values) for part, values in samples.items()}


async def latency(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    embedder = embedding_model()
    results = {str(size): await timed_searches(size, embedder, work, args.latency_reps) for size in args.sizes}
    table = Table("memories", "+ turns", "p50 ms", "p95 ms", "memories only p50", "p95", "embed query p50",
                  "fts query p50", title="recall latency, one user")  # fmt: skip
    for size, values in results.items():
        both, alone = values["recall"], values["recall, memories only"]
        table.add_row(f"{int(size):,}", f"{int(size):,}", f"{both['p50']:.1f}", f"{both['p95']:.1f}",
                      f"{alone['p50']:.1f}", f"{alone['p95']:.1f}", f"{values['embed query']['p50']:.1f}",
                      f"{values['fts query']['p50']:.1f}")  # fmt: skip
    console.print(table)
    largest = results[str(max(args.sizes))]
    for label, part in (("memories and transcript", "recall"), ("memories only", "recall, memories only")):
        p95 = largest[part]["p95"]
        verdict = "met" if p95 <= 20 else "NOT met"
        console.print(f"p95 at {max(args.sizes):,}, {label}: {p95:.1f} ms (goal <= 20 ms: {verdict})")
    return {"sizes": results, "goal_p95_ms_at_100k": 20}


# --- extraction --------------------------------------------------------------------------------------------------


async def chat(llm: LlamaCppLLM, home: Path, memory: bool, turns: int, pause: float) -> list[dict[str, Any]]:
    """Per reply: time to first token, prompt tokens llama.cpp computed, and whether memory added a note."""
    shutil.rmtree(home, ignore_errors=True)  # a fresh companion every run
    store = SQLiteStore.open(home)
    await store.save_persona(PERSONA)
    await store.save_profile(PROFILE)
    companion = await Companion.load(llm, store, context_tokens=8192, reply_tokens=80)
    assert companion is not None
    if memory:
        recall = Recall(store, embedding_model())
        companion.recall = recall
        companion.observer = Observer(llm, recall, {"user": PROFILE.name, "assistant": PERSONA.name})
    replies = []
    for line in LINES[:turns]:
        notes = sum(t.speaker == "event" for t in await store.turns())
        started = time.perf_counter()
        first = None
        async for _ in companion.respond(line):
            first = first or time.perf_counter()
        replies.append({
            "ttft": (first or time.perf_counter()) - started,
            "prompt_n": llm.last_timings.get("prompt_n"),
            "noted": sum(t.speaker == "event" for t in await store.turns()) > notes,
        })  # fmt: skip
        await asyncio.sleep(pause)  # the user reads and types; memory works meanwhile
    await companion.settle()
    store.close()
    return replies


async def extraction_cost(llm: LlamaCppLLM, home: Path) -> list[float]:
    """Seconds to extract one turn: the memory-on chat's turns, queued again and drained one at a time."""
    store = SQLiteStore.open(home)
    recall = Recall(store, embedding_model())
    observer = Observer(llm, recall, {"user": PROFILE.name}, batch=1)
    session = await store.start_session()
    seconds = []
    for line in LINES[: len(LINES) // 2]:
        await store.add_turn(session, "user", line)
        started = time.perf_counter()
        await observer.drain()
        seconds.append(time.perf_counter() - started)
    store.close()
    return seconds


async def extraction(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    path = model_path(args.model)
    llm = LlamaCppLLM(path, threads=2, context=8192)
    try:
        results: dict[str, Any] = {"pause_seconds": args.pause, "turns": args.turns}
        for label, memory in (("memory off", False), ("memory on", True)):
            console.print(f"extraction: a {args.turns}-turn chat, {label}")
            results[label] = await chat(llm, work / label.replace(" ", "-"), memory, args.turns, args.pause)
        console.print("extraction: seconds per turn")
        results["extract_seconds"] = await extraction_cost(llm, work / "memory-on")
    finally:
        await llm.aclose()
    off, on = ([reply["ttft"] for reply in results[label][1:]] for label in ("memory off", "memory on"))
    plain = [r["ttft"] for r in results["memory on"][1:] if not r["noted"]]  # turns where memory added nothing
    noted = [r["ttft"] for r in results["memory on"][1:] if r["noted"]]
    results["median_ttft_off"], results["median_ttft_on"] = (
        round(statistics.median(off), 3),
        round(statistics.median(on), 3),
    )
    results["median_ttft_on_without_note"] = round(statistics.median(plain), 3) if plain else None
    results["ratio"] = round(statistics.median(on) / statistics.median(off), 3)
    per_turn = statistics.median(results["extract_seconds"])
    results["median_extract_seconds"] = round(per_turn, 2)
    base = statistics.median(off)
    table = Table(
        "turns 2..N", "memory off", "memory on", "on / off", title=f"replies while memory works ({path.name})"
    )
    table.add_row("median time to first token (s)", f"{base:.2f}", f"{statistics.median(on):.2f}",
                  f"{statistics.median(on) / base:.2f}")  # fmt: skip
    if plain:
        table.add_row(f"  turns where memory added no note ({len(plain)})", "", f"{statistics.median(plain):.2f}",
                      f"{statistics.median(plain) / base:.2f}")  # fmt: skip
    if noted:
        table.add_row(f"  turns with a memory note ({len(noted)})", "", f"{statistics.median(noted):.2f}",
                      f"{statistics.median(noted) / base:.2f}")  # fmt: skip
    computed = [
        statistics.median(r["prompt_n"] or 0 for r in results[label][1:]) for label in ("memory off", "memory on")
    ]
    table.add_row("median prompt tokens computed", f"{computed[0]:.0f}", f"{computed[1]:.0f}", "")
    table.add_row("extraction of one turn (s, median)", "", f"{per_turn:.1f}", "")
    console.print(table)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default="quality,latency,extraction")
    parser.add_argument("--model", default="qwen2.5-1.5b", help="catalogue name or path to a .gguf file")
    parser.add_argument("--batch", type=int, default=12, help="turns per extraction call in the import")
    parser.add_argument("--sets", default=",".join(SETS), help="the conversation sets of the quality section")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--latency-reps", type=int, default=20)  # 200 searches: a steady p95
    parser.add_argument("--turns", type=int, default=12, help="chat turns in the extraction section")
    parser.add_argument("--pause", type=float, default=6.0, help="seconds between a reply and the next line")
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "os1-bench-memory"))
    parser.add_argument("--out", default="bench/results/memory.json")
    args = parser.parse_args()
    args.sizes = [int(size) for size in args.sizes.split(",")]
    args.sets = args.sets.split(",")
    if unknown := set(args.sets) - set(SETS):
        parser.error(f"unknown sets: {', '.join(sorted(unknown))} (known: {', '.join(SETS)})")
    sections = {"quality": quality, "latency": latency, "extraction": extraction}
    chosen = args.sections.split(",")
    if unknown := set(chosen) - set(sections):
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    results = json.loads(out.read_text()) if out.exists() else {}
    results["machine"] = {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()}
    for name in chosen:
        results[name] = asyncio.run(sections[name](args, work)) | {"measured_at": datetime.now(UTC).isoformat()}
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    console.print(f"wrote {out}")


if __name__ == "__main__":
    main()
