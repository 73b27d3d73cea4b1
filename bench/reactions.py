"""The interview's reactions, timed: every reaction of the newcomers, as bench/companion.py times them.

Each person of bench/data/newcomers.json answers the interview through os1's own `Interview` on the real default
model, one after the other, and each model-written reaction (social, mother, days, want) is timed from the answer
handed over to its first text, with the names dataset read meanwhile as in the terminal. Self-contained (it needs
only `Interview`, `SQLiteStore` and the llama.cpp backend), so it runs on older code too, to compare in one run:

    cd <worktree of the old commit> && PYTHONPATH=src taskset -c 0 python <this file> --out old.json &
    cd <worktree of the new commit> && PYTHONPATH=src taskset -c 1 python <this file> --out new.json
    python bench/reactions.py --compare old.json new.json

then again with the cores swapped. The people follow each other without a conversation between them, so the old
code's first reaction finds its instructions still read from the person before (which favours the old code).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from os1.companion.onboarding import Interview
from os1.config import Settings
from os1.llm.llamacpp import LlamaCppLLM
from os1.memory.sqlite import SQLiteStore
from os1.models import install

DATA = Path(__file__).parent / "data" / "newcomers.json"
SEED = 1234
CONTEXT = 8192
MODEL_WRITTEN = ("social", "mother", "days", "want")


class SeededLLM(LlamaCppLLM):
    """os1's embedded backend, every request with a fixed seed (as bench/companion.py's)."""

    def request(self, messages: Any, **options: Any) -> dict[str, Any]:
        return {**super().request(messages, **options), "seed": SEED}


async def first_text(stream: Any) -> tuple[str, float]:
    start = time.perf_counter()
    first = None
    parts = []
    async for delta in stream:
        if first is None:
            first = time.perf_counter() - start
        parts.append(delta)
    return "".join(parts), first if first is not None else time.perf_counter() - start


async def run(people: list[dict[str, Any]], threads: int, work: Path) -> list[dict[str, Any]]:
    path = install(Settings.load(), "qwen2.5-1.5b")
    llm = SeededLLM(path, threads=threads, context=CONTEXT, log_path=work / "llamacpp.log")
    rows = []
    try:
        for person in people:
            store = SQLiteStore.open(Path(tempfile.mkdtemp(dir=work)))
            options: dict[str, Any] = {"rng": random.Random(SEED)}
            if "locale" in inspect.signature(Interview).parameters:  # os1 before its names knew places had none
                from os1.companion.languages import Locale

                options["locale"] = Locale.parse(person["locale"])
            interview = Interview(llm, store, **options)
            interview.start()
            if hasattr(interview, "ready"):  # os1 that reads the reactions' instructions while the user types
                await interview.ready()
            for key in MODEL_WRITTEN:
                text, first = await first_text(interview.react(key, person["answers"][key]))
                rows.append({"id": person["id"], "key": key, "ttft": first, "text": text})
            store.close()
            print(person["id"], [round(row["ttft"], 2) for row in rows[-4:]], flush=True)
    finally:
        await llm.aclose()
    return rows


def compare(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> dict[str, float]:
    def by_person(rows: list[dict[str, Any]]) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        for row in rows:
            out.setdefault(row["id"], []).append(row["ttft"])
        return out

    before, after = by_person(old), by_person(new)
    ratios = [statistics.median(after[i]) / statistics.median(before[i]) for i in after if i in before]
    figures = {
        "before_median": statistics.median(row["ttft"] for row in old),
        "after_median": statistics.median(row["ttft"] for row in new),
        "ratio_median": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
    }
    print("| reactions | before median s | after median s | after / before per person (median, range) |")
    print("|---|---|---|---|")
    print(
        f"| {len(old)} / {len(new)} | {figures['before_median']:.2f} | {figures['after_median']:.2f} | "
        f"{figures['ratio_median']:.2f} ({figures['ratio_min']:.2f} to {figures['ratio_max']:.2f}) |"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", default="", help="ids, comma-separated (default: all)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="reactions.json")
    parser.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"), help="two files this wrote: the table")
    args = parser.parse_args()
    if args.compare:
        compare(*(json.loads(Path(name).read_text(encoding="utf-8")) for name in args.compare))
        return
    people = json.loads(DATA.read_text(encoding="utf-8"))
    if args.people:
        people = [person for person in people if person["id"] in args.people.split(",")]
    work = Path(tempfile.mkdtemp(prefix="os1-reactions-"))
    rows = asyncio.run(run(people, args.threads, work))
    Path(args.out).write_text(json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
