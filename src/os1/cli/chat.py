"""``os1 chat``: the conversation in the terminal, with the setup interview the first time.

Input is read on the main thread while the companion's loop runs in its own (cli/loop.py), so memory work goes
on between messages. Ctrl-C while a reply streams cancels that reply (what was already said is kept, marked as
cut off); Ctrl-C at the prompt only reminds how to leave.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Callable

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from os1.cli.console import ensure_model, err, out, show_stream
from os1.cli.loop import Loop
from os1.companion.companion import Companion, check_message
from os1.companion.languages import Locale, from_environment
from os1.companion.onboarding import GREETING, Interview
from os1.companion.renaming import refused_at_naming
from os1.config import Settings
from os1.errors import InputError, OS1Error
from os1.llm import LLM, open_llm
from os1.memory.embed import MiniLM
from os1.memory.recall import CORPORA, Recall
from os1.memory.sqlite import SQLiteStore

REEMBED_QUIETLY = 200  # fewer records than this are embedded in a blink, without a progress bar
HELP = """\
/who     who I am and why I'm called what I'm called, how I feel and why, how I've changed, what I care about
/rename  I choose another name (from those I chose from)
/help    this list
/quit    leave (Ctrl-D works too; Ctrl-C stops a reply)"""


@click.command()
@click.option("--once", is_flag=True, help="Read one message from standard input, print the reply, exit.")
def chat(once: bool) -> None:
    """Talk with your companion (the first time, meet it)."""
    settings = Settings.load()
    message = check_message(_decode(sys.stdin.buffer.read(), "standard input")) if once else None
    ensure_model(settings)
    store = SQLiteStore.open(settings.home)
    llm = open_llm(settings)
    llm.warm_up()
    recall = Recall(store, MiniLM.from_settings(settings))
    runner = Loop()
    try:
        runner.run(reembed(recall))
        if message is not None:
            _once(runner, llm, store, recall, settings, message)
        else:
            _conversation(runner, llm, store, recall, settings)
    finally:
        runner.cancel_pending()
        runner.run(llm.aclose())
        runner.close()
        store.close()


def _once(runner: Loop, llm: LLM, store: SQLiteStore, recall: Recall, settings: Settings, text: str) -> None:
    companion = runner.run(
        Companion.load(llm, store, context_tokens=settings.context, locale=_locale(), keep_prefix=True)
    )
    if companion is None:
        raise OS1Error("os1 is not set up yet: run `os1` in a terminal first, to meet your companion")
    companion.remember_with(recall)
    runner.run(show_stream(companion.persona.name, companion.respond(text)))
    runner.run(companion.settle())  # what was said is in memory before the command returns


def _conversation(runner: Loop, llm: LLM, store: SQLiteStore, recall: Recall, settings: Settings) -> None:
    read = _reader()
    companion = runner.run(
        Companion.load(llm, store, context_tokens=settings.context, locale=_locale(), keep_prefix=True)
    )
    first: str | None = ""  # what the user said right after the naming, if it was not about the name
    if companion is None:
        companion = _interview(runner, llm, store, settings, read)
        if companion is None:
            return
        first = _named(runner, companion, read)  # None: they left
    else:
        _show_recent(runner, companion)
    left = first is None
    companion.remember_with(recall)
    _speak(runner, companion.persona.name, companion.welcome())
    out.print("[dim](/help for commands)[/]")
    while not left and (line := first or _ask(read, "you")) is not None:
        first = None
        command = line.strip().lower()
        if command in ("/quit", "/exit", "/bye"):
            break
        if command == "/help":
            out.print(HELP, markup=False)
        elif command == "/who":
            runner.run(companion.look_inward())
            out.print(companion.describe(runner.run(companion.transcript())), markup=False)
        elif command == "/rename":
            _rename(runner, companion)
        elif command.startswith("/"):
            err.print(f"unknown command {line.strip()!r}; /help lists them", markup=False)
        elif line.strip():
            try:
                _speak(runner, companion.persona.name, companion.respond(line))
            except InputError as exc:
                err.print(f"[bold red]error:[/] {exc}")
    _settle(runner, companion)


async def reembed(recall: Recall) -> None:
    """Embed what is not yet searchable by meaning (the last few turns, or everything after a change of embedding
    model) before recall uses it; with a progress bar when it takes a while."""
    missing = sum([len(await recall.store.unembedded(corpus, recall.model)) for corpus in CORPORA])
    if missing < REEMBED_QUIETLY:
        await recall.reembed()
        return
    err.print(f"Making {missing:,} memories and turns searchable by meaning ({recall.model}).")
    with Progress(TextColumn("embedding"), BarColumn(), MofNCompleteColumn(), console=err) as bar:
        task = bar.add_task("memories", total=None)
        await recall.reembed(lambda done, total: bar.update(task, completed=done, total=total))


def _settle(runner: Loop, companion: Companion) -> None:
    """Finish remembering before leaving; Ctrl-C leaves at once and the rest waits for next time."""
    if not runner.run(companion.store.queued_turns(limit=1)):
        return
    out.print("[dim](remembering what you told me; Ctrl-C to leave now)[/]")
    try:
        runner.run(companion.settle())
    except KeyboardInterrupt:
        out.print("[dim](the rest is kept for next time)[/]")
    except OS1Error as exc:
        err.print(f"[bold red]error:[/] memory could not be updated now ({exc}); it is kept for next time")


def _interview(
    runner: Loop, llm: LLM, store: SQLiteStore, settings: Settings, read: Callable[[str], str | None]
) -> Companion | None:
    interview = Interview(llm, store, locale=_locale())
    interview.start()
    runner.later(interview.ready())  # while the user types their name and first answer
    out.print(f"[bold cyan]OS1:[/] {GREETING}")
    answers: dict[str, str] = {}
    for key, question in interview.questions:
        out.print(f"[bold cyan]OS1:[/] {question}")
        while True:
            answer = _ask(read, "you")
            if answer is None:
                out.print("Setup was not finished; nothing was saved. Run `os1` again to start over.")
                return None
            try:
                _speak(runner, "OS1", interview.react(key, answer))
            except InputError as exc:
                out.print(f"[bold cyan]OS1:[/] {exc}", markup=True)
                continue
            answers[key] = answer
            break
    out.print("[dim]...choosing a name...[/]")
    naming = runner.run(interview.finish(answers))
    steps = naming.shortlist.steps
    out.print(
        f"[dim]I read {steps[0][1]:,} given names; "
        + "; ".join(f"{count:,} {what}" for what, count in steps[1:])
        + f"; then I looked closely at {len(naming.shortlist.names)}.[/]"
    )
    _announce(naming.persona.name, naming.persona.why)
    return Companion(
        llm, store, naming.persona, naming.profile, context_tokens=settings.context, locale=_locale(), keep_prefix=True
    )


def _named(runner: Loop, companion: Companion, read: Callable[[str], str | None]) -> str | None:
    """After the name is said, the user may turn it down ("no", "another one"), as often as they like; what they
    say otherwise is the first thing they say to their companion (None: they left)."""
    out.print('[dim](Not keen on it? Say "another one" and I\'ll choose again.)[/]')
    reading = runner.later(companion.prepare())  # the greeting's prompt is read while they read the name and answer
    while (line := _ask(read, "you")) is not None and refused_at_naming(line):
        # the prompt being read has the old name: the new choice need not wait for it (llama.cpp stops at the end
        # of the batch of 64 prompt tokens it is reading)
        reading.cancel()
        _rename(runner, companion)
        reading = runner.later(companion.prepare())
    return line


def _rename(runner: Loop, companion: Companion) -> None:
    out.print("[dim]...choosing another name...[/]")
    try:
        persona = runner.run(companion.rename())
    except KeyboardInterrupt:
        out.print("[dim](stopped; I kept my name)[/]")
        return
    except OS1Error as exc:
        err.print(f"[bold red]error:[/] {exc}; I kept my name")
        return
    _announce(persona.name, persona.why)


def _announce(name: str, why: str) -> None:
    out.print(f"[bold magenta]{name}:[/] ", end="")
    out.print(f"Call me {name}. {why}", markup=False)


def _locale() -> Locale:
    return from_environment(os.environ)


def _speak(runner: Loop, speaker: str, reply: AsyncIterator[str]) -> None:
    """Stream one reply; Ctrl-C stops it (and only it)."""
    try:
        runner.run(show_stream(speaker, reply))
    except KeyboardInterrupt:
        out.print("[dim](stopped)[/]")
    except OS1Error as exc:
        err.print(f"[bold red]error:[/] {exc}")


def _show_recent(runner: Loop, companion: Companion) -> None:
    said = [t for t in runner.run(companion.transcript()) if t.speaker != "event"][-4:]
    if said:
        out.print("[dim]-- last time --[/]")
    for turn in said:
        who = companion.persona.name if turn.speaker == "assistant" else "you"
        out.print(f"[dim]{who}: {turn.text.strip()}[/]", markup=True)


def _reader() -> Callable[[str], str | None]:
    """Read a line: with line editing on a terminal, strictly as UTF-8 from a pipe."""
    if sys.stdin.isatty():
        import readline  # noqa: F401  (gives input() history and editing)

        def from_terminal(prompt: str) -> str | None:
            try:
                return input(prompt)
            except EOFError:
                return None

        return from_terminal

    def from_pipe(prompt: str) -> str | None:
        raw = sys.stdin.buffer.readline()
        if not raw:
            return None
        line = _decode(raw, "this line").rstrip("\r\n")
        out.print(f"{prompt}{line}", markup=False)  # echo, so a piped session reads like a transcript
        return line

    return from_pipe


def _ask(read: Callable[[str], str | None], who: str) -> str | None:
    while True:
        try:
            return read(f"{who}: ")
        except KeyboardInterrupt:
            out.print("\n[dim](/quit or Ctrl-D to leave)[/]")
        except InputError as exc:
            err.print(f"[bold red]error:[/] {exc}")
        except UnicodeDecodeError as exc:
            err.print(f"[bold red]error:[/] that line is not valid UTF-8 ({exc.reason}); nothing was sent")


def _decode(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{what} is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at position {exc.start}); nothing was sent"
        ) from exc
