"""Chat latency: os1's Companion against raw llama.cpp given the very same prompts.

Measures, per turn, the time to first token (TTFT) and generation tokens/s for a scripted companion chat,
once through os1 (a real ``Companion`` over a real ``LlamaCppLLM``) and once through a bare
``xllamacpp.Server`` loaded with the same parameters and sent the same requests. Prints a table, writes JSON.
Targets: os1's TTFT at the last turn <= 1.15 x raw, generation >= 0.95 x raw.

How the comparison is kept fair:
- A first os1 pass records every request the companion makes (not counted). The raw side then replays those
  exact messages and options; timed passes alternate raw / os1, each loading the model anew.
- Replies must not diverge, or raw's KV cache would hold other reply tokens than its next prompt contains.
  ``Companion`` samples at temperature 0.7 with no seed, so both sides get one extra request field,
  ``"seed"`` (the only change to os1): sampling stays as in use, but is repeatable. Replies that still
  differ from the recording, and prompt_n / cache_n per turn, are reported so a reader can check.
- Both sides first answer the same 1-token warm-up request, so turn 1 does not pay for the model's first call.

Usage: python bench/chat.py [--model qwen2.5-1.5b] [--turns 20] [--reps 2] [--max-tokens 80] [--threads 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from os1 import models
from os1.companion.companion import Companion
from os1.config import Settings
from os1.llm import complete
from os1.llm.llamacpp import LlamaCppLLM
from os1.memory.sqlite import SQLiteStore
from os1.memory.store import Persona, Profile

SEED = 1234
CONTEXT = 8192
WARM_UP = [{"role": "user", "content": "hi"}]
NOW = datetime(2025, 3, 14, 21, 30, tzinfo=UTC)  # a fixed clock: the date in the system prompt never changes
PERSONA = Persona(
    name="Wren",
    why="a wren is tiny but sings loud enough to fill a valley, and I liked that.",
    traits=("curious", "warm", "a little teasing"),
    voice="feminine",
    created_at=NOW,
    names_considered=31_402,
)
PROFILE = Profile(
    name="Sam",
    answers={
        "name": "Sam",
        "social": "Social, but I need a lot of time alone to recharge.",
        "mother": "Close. She worries too much and calls every other day.",
        "days": "Work at a design agency, climbing twice a week, trying to cook more.",
        "want": "Someone to talk to at the end of the day who actually remembers what I said.",
        "voice": "A woman, I think.",
    },
    created_at=NOW,
)
LINES = [
    "hey. long day.",
    "work was a mess, my manager moved the deadline up a week without asking anyone",
    "yeah I'm mostly annoyed. I had plans this weekend",
    "my sister's birthday. we were going to drive up to the lake",
    "maybe I can still go saturday and work sunday. ugh",
    "do you think I'm bad at saying no?",
    "ha, fair. ok here's a joke for you: why did the scarecrow win an award?",
    "because he was outstanding in his field",
    "I made pasta tonight, first time I cooked all week",
    "just garlic, chili and olive oil. the lazy classic",
    "my mom called while I was eating. she worries about me living alone",
    "she means well. it just makes me feel like a kid",
    "sometimes I wonder if I should move back closer to home",
    "I like my city though. I'd miss the little bakery downstairs",
    "what would you do if you could go anywhere for a day?",
    "ok but if you had to pick a place",
    "I've been sleeping badly. I keep waking up at 4am thinking about work",
    "not really, I just lie there and scroll",
    "you're right, the phone goes in the kitchen tonight",
    "thanks for listening. it helps more than I thought",
    "tell me something good before I go to bed",
    "goodnight, Wren",
]


class SeededLlamaCppLLM(LlamaCppLLM):
    """os1's backend, unchanged except that every request carries a fixed seed."""

    def request(self, messages: Any, **options: Any) -> dict[str, Any]:
        return {**super().request(messages, **options), "seed": SEED}


class Recorder:
    """Benchmark instrument: passes each call through to the real backend and keeps what was asked."""

    def __init__(self, llm: LlamaCppLLM):
        self.llm, self.model_id, self.calls = llm, llm.model_id, []

    def stream(self, messages: Any, **options: Any) -> Any:
        self.calls.append((list(messages), options))
        return self.llm.stream(messages, **options)


def turn_record(start: float, first: float | None, last: float | None, timings: dict[str, Any], reply: str) -> dict:
    n = timings.get("predicted_n", 0)
    ms = timings.get("predicted_ms") or 0
    return {
        "ttft_s": (first or float("nan")) - start,
        "prompt_n": timings.get("prompt_n"),
        "cache_n": timings.get("cache_n"),
        "predicted_n": n,
        "gen_tps_llama": n / ms * 1000 if ms else None,
        "gen_tps_wall": (n - 1) / (last - first) if n > 1 and first and last and last > first else None,
        "reply": reply,
    }


async def os1_pass(path: Path, args: argparse.Namespace, work: Path, name: str) -> tuple[list[dict], list]:
    store = SQLiteStore.open(work / name)
    await store.save_persona(PERSONA)
    await store.save_profile(PROFILE)
    llm = SeededLlamaCppLLM(path, threads=args.threads, context=CONTEXT, log_path=work / "llamacpp.log")
    recorder = Recorder(llm)
    turns = []
    try:
        await complete(llm, WARM_UP, max_tokens=1)
        companion = Companion(recorder, store, PERSONA, PROFILE, reply_tokens=args.max_tokens, clock=lambda: NOW)
        for line in LINES[: args.turns]:
            parts: list[str] = []
            first = last = None
            start = time.perf_counter()
            async for delta in companion.respond(line):
                last = time.perf_counter()
                first = first or last
                parts.append(delta)
            turns.append(turn_record(start, first, last, llm.last_timings, "".join(parts)))
    finally:
        await llm.aclose()
        store.close()
    return turns, recorder.calls


def raw_pass(spec: LlamaCppLLM, calls: list) -> list[dict]:
    import xllamacpp

    server = xllamacpp.Server(spec.params())
    turns = []
    try:
        server.handle_chat_completions(spec.request(WARM_UP, max_tokens=1), lambda chunk: False)
        for messages, options in calls:
            seen: dict[str, Any] = {"first": None, "last": None, "timings": {}, "parts": []}

            def on_chunk(chunk: dict[str, Any], seen: dict[str, Any] = seen) -> bool:
                now = time.perf_counter()
                seen["timings"] = chunk.get("timings", seen["timings"])
                for choice in chunk.get("choices") or ():
                    if text := (choice.get("delta") or {}).get("content"):
                        seen["first"] = seen["first"] or now
                        seen["last"] = now
                        seen["parts"].append(text)
                return False

            start = time.perf_counter()
            result = server.handle_chat_completions(spec.request(messages, **options), on_chunk)
            if isinstance(result, dict) and "error" in result:
                raise RuntimeError(f"llama.cpp refused the request: {result['error']}")
            turns.append(turn_record(start, seen["first"], seen["last"], seen["timings"], "".join(seen["parts"])))
    finally:
        del server
    return turns


def summarise(turns: list[dict]) -> dict[str, float]:
    def median(key: str, rows: list[dict]) -> float:
        values = [row[key] for row in rows if row[key] is not None]
        return statistics.median(values) if values else float("nan")

    return {
        "ttft_turn_1": turns[0]["ttft_s"],
        "ttft_turn_n": turns[-1]["ttft_s"],
        "ttft_median_2_n": median("ttft_s", turns[1:]),
        "gen_tps_llama": median("gen_tps_llama", turns),
        "gen_tps_wall": median("gen_tps_wall", turns),
        "prompt_n_turn_n": turns[-1]["prompt_n"],
        "cache_n_turn_n": turns[-1]["cache_n"],
    }


ROWS = [  # key, label, target on os1/raw (None: no target), lower is better
    ("ttft_turn_1", "TTFT turn 1 (s)", None, True),
    ("ttft_turn_n", "TTFT turn {n} (s)", 1.15, True),
    ("ttft_median_2_n", "median TTFT turns 2..{n} (s)", None, True),
    ("gen_tps_llama", "generation tok/s, llama.cpp", 0.95, False),
    ("gen_tps_wall", "generation tok/s, wall clock", 0.95, False),
    ("prompt_n_turn_n", "prompt tokens computed at turn {n}", None, True),
    ("cache_n_turn_n", "prompt tokens reused at turn {n}", None, False),
]


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.2f}"


def model_path(name: str) -> Path:
    if name.endswith(".gguf") or Path(name).exists():
        return Path(name).expanduser()
    settings = Settings.load()
    path = models.installed_path(settings, name)
    if not path.exists():
        print(f"installing {name} into {path.parent} ...")
        models.install(settings, name)
    return path


async def measure(path: Path, args: argparse.Namespace) -> tuple[list[dict], list[dict]]:
    """The recording pass, then ``args.reps`` times a raw pass and an os1 pass."""
    spec = SeededLlamaCppLLM(path, threads=args.threads, context=CONTEXT)  # builds requests and params only
    with tempfile.TemporaryDirectory(prefix="os1-bench-") as tmp:
        work = Path(tmp)
        print(f"{path.name}, {args.turns} turns, {args.threads} threads: recording pass (os1, not counted)")
        recording, calls = await os1_pass(path, args, work, "recording")
        reps = []
        for rep in range(1, args.reps + 1):
            print(f"rep {rep}/{args.reps}: raw llama.cpp")
            raw = raw_pass(spec, calls)
            print(f"rep {rep}/{args.reps}: os1")
            os1, _ = await os1_pass(path, args, work, f"rep{rep}")
            reps.append({"raw": raw, "os1": os1})
    await spec.aclose()
    return recording, reps


def report(path: Path, args: argparse.Namespace, recording: list[dict], reps: list[dict]) -> None:
    summary: dict[str, dict[str, Any]] = {}
    for key, label, target, lower in ROWS:
        side = {s: statistics.median(summarise(r[s])[key] for r in reps) for s in ("os1", "raw")}
        ratio = side["os1"] / side["raw"] if side["raw"] else float("nan")
        met = None if target is None else (ratio <= target if lower else ratio >= target)
        summary[key] = {**side, "ratio": ratio, "target": target, "met": met, "label": label.format(n=args.turns)}
    recorded = [turn["reply"] for turn in recording]
    checks = {  # the comparison is only fair if both sides said and cached the same things
        f"{s}_replies_not_as_recorded": sum(
            t["reply"] != want for r in reps for t, want in zip(r[s], recorded, strict=True)
        )
        for s in ("os1", "raw")
    }
    checks["turns_with_other_prompt_n"] = sum(
        a["prompt_n"] != b["prompt_n"] for r in reps for a, b in zip(r["os1"], r["raw"], strict=True)
    )

    table = Table(title=f"chat, {path.name}, {args.turns} turns, median of {args.reps} rep(s)")
    for column in ("", "os1", "raw", "os1/raw", "target", "met?"):
        table.add_column(column, justify="right" if column else "left")
    for (_, _, _, lower), row in zip(ROWS, summary.values(), strict=True):
        target = "" if row["target"] is None else f"{'≤' if lower else '≥'} {row['target']:.2f}"
        met = "" if row["met"] is None else ("yes" if row["met"] else "NO")
        table.add_row(row["label"], _number(row["os1"]), _number(row["raw"]), f"{row['ratio']:.2f}", target, met)
    console = Console()
    console.print(table)
    total = args.reps * args.turns
    console.print(
        f"replies not as recorded: os1 {checks['os1_replies_not_as_recorded']}/{total}, "
        f"raw {checks['raw_replies_not_as_recorded']}/{total}; turns where os1 and raw computed a different "
        f"number of prompt tokens: {checks['turns_with_other_prompt_n']}/{total}. Load average, last 15 min: "
        f"{os.getloadavg()[2]:.1f} on {os.cpu_count()} CPUs, of which this benchmark accounts for about {args.threads}"
    )

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_1_5_15_min": os.getloadavg(),  # at the end; well above --threads: others used the CPU
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "xllamacpp": version("xllamacpp"),
        "model": {"file": path.name, "bytes": path.stat().st_size},
        "settings": {k: v for k, v in vars(args).items() if k != "out"} | {"context": CONTEXT, "seed": SEED},
        "summary": summary,
        "checks": checks,
        "lines": LINES[: args.turns],
        "recording": recording,
        "reps": reps,
    }
    out.write_text(json.dumps(data, indent=1, default=str) + "\n", encoding="utf-8")
    console.print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-1.5b", help="catalogue name or path to a .gguf file")
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=80)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="bench/results/chat.json")
    args = parser.parse_args()
    if not 1 <= args.turns <= len(LINES):
        parser.error(f"--turns must be between 1 and {len(LINES)} (not {args.turns})")
    if args.reps < 1 or args.max_tokens < 2 or args.threads < 1:
        parser.error("--reps and --threads must be at least 1, --max-tokens at least 2")
    path = model_path(args.model)
    recording, reps = asyncio.run(measure(path, args))
    report(path, args, recording, reps)


if __name__ == "__main__":
    main()
