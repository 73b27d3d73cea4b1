"""The naming's narrowing: how long it takes, where the user lives and in which voice, and what it keeps.

The dataset is read once (as onboarding reads it, in the background while the interview runs). For each case the
narrowing (`names.shortlist`) is timed on its first run, which reads any word list this process has not read yet
(English's in the first case; the locale's language's when it is new), and then as the naming runs it, with the
lists of English and the locale's language already read (onboarding reads them in the background with the
dataset): the median of --reps runs. The JSON keeps every case's steps.

Usage: python bench/naming.py [--reps 5] [--out bench/results/naming.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from os1.companion.languages import UNKNOWN, Locale, Place, place_for
from os1.companion.names import read_dataset, shortlist

ANSWERS = ["Theo", "Social, I guess. But people wear me out after a while.", "A woman."]
CASES = [  # locale, voice
    (UNKNOWN, "feminine"),
    (Locale("en", "US"), "neutral"),
    (Locale("en", "GB"), "feminine"),
    (Locale("de", "DE"), "masculine"),
    (Locale("de", "CH"), "neutral"),
    (Locale("fr", "FR"), "feminine"),
    (Locale("it", "IT"), "neutral"),
    (Locale("es", "MX"), "masculine"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "naming.json")
    args = parser.parse_args()

    started = time.perf_counter()
    total, names = read_dataset()
    read_seconds = time.perf_counter() - started
    rows = []
    for locale, voice in CASES:
        place = place_for(locale, ANSWERS)

        def narrow(place: Place = place, voice: str = voice) -> tuple[float, list[tuple[str, int]]]:
            started = time.perf_counter()
            short = shortlist(total, names, voice=voice, traits=["warm", "curious", "wry"], avoid=ANSWERS,
                              place=place, rng=random.Random(1))  # fmt: skip
            return time.perf_counter() - started, list(short.steps)

        cold, steps = narrow()
        warm = [narrow()[0] for _ in range(args.reps)]
        rows.append({"locale": f"{locale.language or '-'}_{locale.country or '-'}", "voice": voice,
                     "cold_ms": round(cold * 1000, 1), "warm_ms": round(statistics.median(warm) * 1000, 1),
                     "steps": steps})  # fmt: skip

    table = Table(title=f"Narrowing {total:,} given names (dataset read in {read_seconds:.1f} s, once)")
    for column in ("locale", "voice", "first run (ms)", "lists read (ms)", "where", "kept"):
        table.add_column(column)
    for row in rows:
        where = next((f"{what} ({count:,})" for what, count in row["steps"][2:] if what.startswith("given ")), "-")
        table.add_row(row["locale"], row["voice"], f"{row['cold_ms']:.0f}", f"{row['warm_ms']:.0f}", where,
                      f"{row['steps'][-1][1]}")  # fmt: skip
    Console(width=150).print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "machine": platform.platform(),
        "dataset_read_s": round(read_seconds, 1),
        "reps": args.reps,
        "cases": rows,
    }
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
