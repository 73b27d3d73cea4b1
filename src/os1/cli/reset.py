"""``os1 reset``: forget everything about the user and the companion (asks first)."""

from __future__ import annotations

import shutil

import click

from os1.cli.console import out
from os1.config import Settings
from os1.memory.sqlite import user_db_path


@click.command()
@click.option("--yes", is_flag=True, help="Do not ask; for scripts.")
def reset(yes: bool) -> None:
    """Delete the companion, your profile and every conversation. Models stay installed."""
    settings = Settings.load()
    folder = user_db_path(settings.home).parent
    if not folder.exists():
        out.print(f"Nothing to reset: {folder} does not exist.")
        return
    out.print(f"This deletes your companion, your profile and every conversation in {folder}.")
    if not yes and not click.confirm("Delete them for good?", default=False):
        out.print("Nothing was deleted.")
        return
    shutil.rmtree(folder)
    shutil.rmtree(settings.kept, ignore_errors=True)  # the beginning of its prompt, made of what you told it
    out.print("Done. Run `os1` to meet someone new.")
