"""``os1 memory``: see, search, correct and forget what os1 remembers."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from os1.cli.console import ensure_model, err, out
from os1.config import Settings
from os1.errors import InputError
from os1.llm import open_llm
from os1.memory import archive, conversations
from os1.memory.embed import MiniLM
from os1.memory.observe import Observer
from os1.memory.recall import Recall
from os1.memory.sqlite import SQLiteStore
from os1.memory.store import Memory, Turn

T = TypeVar("T")


@click.group()
def memory() -> None:
    """What os1 remembers about you: list, search, show, edit, forget, import, export."""


def _with_recall(work: Callable[[Recall], Coroutine[Any, Any, T]]) -> T:
    settings = Settings.load()
    store = SQLiteStore.open(settings.home)
    try:
        return asyncio.run(work(Recall(store, MiniLM.from_settings(settings))))
    finally:
        store.close()


@memory.command("list")
@click.option("--all", "include_past", is_flag=True, help="Also what is no longer true.")
@click.option("--json", "as_json", is_flag=True, help="JSON, one object per memory.")
def list_memories(include_past: bool, as_json: bool) -> None:
    """Everything os1 remembers (what is true now, unless --all)."""
    memories = _with_recall(lambda recall: recall.store.memories(include_past=include_past))
    if as_json:
        click.echo(json.dumps([m.record() for m in memories], ensure_ascii=False, indent=1))
        return
    if not memories:
        out.print("Nothing yet. Memories are made from what you tell os1 in a conversation.")
        return
    table = Table("id", "kind", "memory", "true", box=None)
    for m in memories:
        table.add_row(str(m.id), m.kind, m.text, _validity(m.record()))
    out.print(table)
    reflection = _with_recall(lambda recall: recall.store.reflection())
    if reflection is not None:  # derived from the memories above: forgetting one of them rewrites it
        out.print(f"\n[bold]Its own notes on you[/] (written {reflection.written_at.astimezone():%d %b %Y}):")
        out.print(reflection.about, markup=False)
        for label, items in (("Under way", reflection.open_threads), ("To ask about", reflection.follow_ups)):
            if items:
                out.print(f"{label}: " + "; ".join(items), markup=False)


@memory.command()
@click.argument("query", required=False)
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True, help="A JSON list of hits.")
@click.option(
    "--queries",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file with one query per line: prints one JSON list of hits per line, in order.",
)
@click.option("--transcript/--no-transcript", default=True, show_default=True, help="Also search what was said.")
@click.option("--at", type=click.DateTime(), help="Ask as if at this moment (for 'last month' and the like).")
def search(
    query: str | None, limit: int, as_json: bool, queries: Path | None, transcript: bool, at: datetime | None
) -> None:
    """Memories, and turns of past conversations, that match QUERY by meaning and by words, best first."""
    if (query is None) == (queries is None):
        raise InputError("give a QUERY or --queries FILE (one of the two)")
    moment = at.astimezone() if at is not None else None

    def answer(recall: Recall, line: str) -> Coroutine[Any, Any, list[dict[str, Any]]]:
        if moment is not None:
            recall.clock = lambda: moment
        return _hits_json(recall, line, limit, transcript)

    if queries is not None:
        lines = [line.strip() for line in queries.read_text(encoding="utf-8").splitlines() if line.strip()]

        async def answer_all(recall: Recall) -> list[str]:
            return [json.dumps(await answer(recall, line), ensure_ascii=False) for line in lines]

        for row in _with_recall(answer_all):
            click.echo(row)
        return
    assert query is not None
    hits = _with_recall(lambda recall: answer(recall, query))
    if as_json:
        click.echo(json.dumps(hits, ensure_ascii=False))
        return
    table = Table("memory", "text", "true", "score", box=None)
    for hit in hits:
        said = f"said {hit['valid_from'][:10]}" if hit["kind"] == "turn" else _validity(hit)
        label = f"turn {hit['id']}" if hit["kind"] == "turn" else str(hit["id"])
        words = "".join(f'\n[dim]"{escape(text)}"[/dim]' for text in hit.get("said", []))
        table.add_row(label, escape(hit["text"]) + words, said, f"{hit['score']:.4f}")
    out.print(table if hits else "Nothing matches.")


@memory.command()
@click.argument("memory_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def show(memory_id: int, as_json: bool) -> None:
    """One memory, with the turns it came from."""

    async def fetch(recall: Recall) -> tuple[Memory, list[Any]]:
        found = await recall.store.memory(memory_id)
        if found is None:
            raise InputError(f"there is no memory {memory_id}: `os1 memory list --all` shows their ids")
        return found, await recall.store.turns_by_id(found.source_turn_ids)

    found, turns = _with_recall(fetch)
    if as_json:
        sources = [
            {"id": t.id, "speaker": t.speaker, "text": t.text, "forgotten": t.forgotten, "at": t.at.isoformat()}
            for t in turns
        ]
        click.echo(json.dumps({**found.record(), "sources": sources}, ensure_ascii=False, indent=1))
        return
    out.print(f"[bold]{found.text}[/]  ({found.kind}, {_validity(found.record())}, importance {found.importance:.1f})")
    out.print("From what was said:")
    for turn in turns:
        out.print(f"  [dim]{turn.at.astimezone():%d %b %Y %H:%M}[/] {turn.speaker}: {_said(turn)}", markup=True)


@memory.command()
@click.argument("memory_id", type=int)
@click.argument("text")
def edit(memory_id: int, text: str) -> None:
    """Correct the words of a memory."""
    if not text.strip():
        raise InputError("the new text is empty: to remove a memory, use `os1 memory forget`")

    async def change(recall: Recall) -> None:
        if await recall.store.memory(memory_id) is None:
            raise InputError(f"there is no memory {memory_id}: `os1 memory list --all` shows their ids")
        await recall.edit(memory_id, text.strip())

    _with_recall(change)
    out.print(f"Memory {memory_id} now reads: {text.strip()}", markup=False)


@memory.command()
@click.argument("memory_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask.")
def forget(memory_id: int, yes: bool) -> None:
    """Delete a memory for good: its words, its vector and its index entries."""
    found = _with_recall(lambda recall: recall.store.memory(memory_id))
    if found is None:
        raise InputError(f"there is no memory {memory_id}: `os1 memory list --all` shows their ids")
    if not yes and not click.confirm(f"Forget “{found.text}” for good?", default=False):
        out.print("Kept.")
        return
    _with_recall(lambda recall: recall.forget(memory_id))
    out.print("Forgotten.")


async def _hits_json(recall: Recall, query: str, limit: int, transcript: bool = True) -> list[dict[str, Any]]:
    """Hits as records: a memory's fields, or a turn's (kind "turn", valid_from = when it was said)."""
    await recall.reembed()  # turns said since the last background pass become searchable by meaning
    hits = await recall.search(query, limit=limit, transcript=transcript)
    sources = {i for hit in hits for i in hit.source_turn_ids}
    turns = {t.id: t for t in await recall.store.turns_by_id(sorted(sources))}
    names = {turn_id: turn.external_id or turn_id for turn_id, turn in turns.items()}
    rows = []
    for hit in hits:
        if hit.memory is not None:
            row = hit.memory.record()
            if hit.memory.kind != "episode":  # the words it was made from, which a small model may have blurred
                row["said"] = [turns[i].text for i in hit.source_turn_ids if i in turns and not turns[i].forgotten]
        else:
            assert hit.turn is not None
            turn = hit.turn
            row = {"id": turn.id, "kind": "turn", "speaker": turn.speaker, "text": turn.text,
                   "valid_from": turn.at.isoformat(), "valid_to": None}  # fmt: skip
        rows.append({**row, "source_turn_ids": [names.get(i, i) for i in hit.source_turn_ids],
                     "score": round(hit.score, 6)})  # fmt: skip
    return rows


@memory.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch", default=12, show_default=True, type=click.IntRange(1, 32), help="Turns per model call.")
@click.option("--model", help="A faster model for the extraction (a packaged model's name or a .gguf path).")
@click.option(
    "--diary/--no-diary",
    default=False,
    show_default=True,
    help="Also write each conversation's diary entry and the reflection now (otherwise in the background of "
    "your next conversations).",
)
def import_(file: Path, batch: int, model: str | None, diary: bool) -> None:
    """Build memory from old conversations: os1's format or a ChatGPT export (docs/import-format.md).
    A file made by `os1 memory export` is brought back exactly, without extraction."""
    data = conversations.load(file)
    if archive.is_export(data):

        async def bring_back(recall: Recall) -> tuple[int, int]:
            return await archive.restore(recall, data)

        turns, memories = _with_recall(bring_back)
        out.print(f"Restored {turns:,} turns and {memories:,} memories from {file.name}.")
        return
    sessions = conversations.parse(data, str(file))
    settings = Settings.load()
    if model:
        settings = replace(settings, model=model)
    ensure_model(settings)
    count = sum(len(s.turns) for s in sessions)
    out.print(f"{file.name}: {len(sessions):,} conversations, {count:,} turns.")
    store = SQLiteStore.open(settings.home)
    try:
        stored, seconds, queued = asyncio.run(_import(store, settings, sessions, batch, diary))
    finally:
        store.close()
    rate, whole = (queued / seconds * 60, count / seconds * 60) if seconds else (0.0, 0.0)
    out.print(
        f"Remembered {stored:,} things from {queued:,} turns in {seconds:,.0f} s ({rate:,.0f} turns per minute; "
        f"the assistant's turns are not read for memories, so {whole:,.0f} of the file's turns per minute)."
    )
    if not diary:
        out.print("The diary of each conversation will be written in the background of your next conversations.")


async def _import(
    store: SQLiteStore, settings: Settings, sessions: list[conversations.Session], batch: int, diary: bool
) -> tuple[int, float, int]:
    profile, persona = await store.profile(), await store.persona()
    names = {"user": profile.name if profile else "User", "assistant": persona.name if persona else "Assistant"}
    await conversations.keep(store, sessions)
    queued = len(await store.queued_turns(limit=1_000_000))
    llm = open_llm(settings)
    observer = Observer(llm, Recall(store, MiniLM.from_settings(settings)), names, batch=batch)
    started = time.perf_counter()
    columns = (TextColumn("extracting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns, console=err) as bar:
            task = bar.add_task("turns", total=queued)
            stored = await observer.drain(lambda done: bar.advance(task, done))
        elapsed = time.perf_counter() - started
        if diary:
            err.print("writing the diary of each conversation and the reflection ...")
            await observer.settle()
    finally:
        await llm.aclose()
    return stored, elapsed, queued


@memory.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_(file: Path | None) -> None:
    """Everything os1 remembers and every conversation, as JSON (to FILE, or printed)."""
    data = _with_recall(lambda recall: archive.export(recall.store))
    text = json.dumps(data, ensure_ascii=False, indent=1)
    if file is None:
        click.echo(text)
        return
    file.write_text(text + "\n", encoding="utf-8")
    out.print(f"Wrote {len(data['memories']):,} memories and {len(data['sessions']):,} conversations to {file}.")


def _validity(record: dict[str, Any]) -> str:
    start = record["valid_from"][:10] if record["valid_from"] else "?"
    return f"{start} to {record['valid_to'][:10]}" if record["valid_to"] else f"since {start}"


def _said(turn: Turn) -> str:
    return "[dim](forgotten at your request)[/]" if turn.forgotten else turn.text
