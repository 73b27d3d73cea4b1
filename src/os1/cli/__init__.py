"""The ``os1`` command: one module per command group. Plain ``os1`` is ``os1 chat``."""

from __future__ import annotations

import sys

import click

from os1 import __version__
from os1.cli.chat import chat
from os1.cli.console import err
from os1.cli.doctor import doctor
from os1.cli.memory import memory
from os1.cli.models import models
from os1.cli.reset import reset
from os1.cli.serve import serve
from os1.cli.voice import voice
from os1.errors import InputError, OS1Error


class _Main(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except InputError as exc:
            err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
            sys.exit(2)
        except OS1Error as exc:
            err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
            sys.exit(1)


@click.group(cls=_Main, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="os1")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """os1: a companion that talks with you, remembers you, and has a mind of its own.

    Run `os1` with no command to talk (the first time, it sets itself up and chooses its name).
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(chat)


for command in (chat, doctor, memory, models, reset, serve, voice):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="os1")
