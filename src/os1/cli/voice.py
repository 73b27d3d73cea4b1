"""``os1 voice``: talk out loud with the same companion (persona, memory, transcript) as ``os1 chat``.

Through the default microphone and speaker, or through files: ``--input in.wav --output out.wav`` plays the
recording in as if spoken, in real time, and writes what the companion said at the moments it said it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import time
from collections.abc import Callable
from pathlib import Path

import click

from os1 import models
from os1.cli.chat import reembed
from os1.cli.console import ensure_model, err, install_with_progress, out
from os1.cli.loop import Loop
from os1.companion.companion import Companion
from os1.config import Settings
from os1.errors import AudioError, OS1Error
from os1.llm import open_llm
from os1.memory.embed import MiniLM
from os1.memory.recall import Recall
from os1.memory.sqlite import SQLiteStore
from os1.voice.audio import read_wav, write_wav
from os1.voice.devices import Files, SoundCard
from os1.voice.pipeline import VoiceConversation
from os1.voice.speaker import Speaker
from os1.voice.stt import Whisper
from os1.voice.tts import Espeak, Piper, TextToSpeech

REPLY_TOKENS = 120  # a spoken reply is a few sentences: more would be a speech, not an answer
HEADPHONES = "Headphones are best: through loudspeakers, os1 hears itself and stops to listen. Ctrl-C to leave."


@click.command()
@click.option("--input", "input_path", type=click.Path(dir_okay=False, path_type=Path),
              help="A WAV recording to play in as the microphone.")  # fmt: skip
@click.option("--output", "output_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write what the companion said (WAV), in step with --input.")  # fmt: skip
@click.option("--stt", type=click.Choice(["whisper-base", "whisper-tiny.en"]), default="whisper-base",
              show_default=True, help="Speech to text model.")  # fmt: skip
@click.option("--voice", type=click.Choice(["piper", "espeak"]), default=None,
              help="Piper (natural; the 'piper' extra) or espeak-ng. Default: Piper when installed.")  # fmt: skip
def voice(input_path: Path | None, output_path: Path | None, stt: str, voice: str | None) -> None:
    """Talk with your companion out loud."""
    if output_path is not None and input_path is None:
        raise AudioError("--output goes with --input: give the recording to answer")
    settings = Settings.load()
    recording = read_wav(input_path) if input_path is not None else None  # bad audio is refused before any load
    ensure_model(settings)
    for name in [stt, *(["piper-joe"] if voice != "espeak" and _has_piper() else [])]:
        if not models.installed_path(settings, name).exists():
            install_with_progress(settings, name)
    speech = _voice(settings, voice)
    store = SQLiteStore.open(settings.home)
    llm = open_llm(settings)
    runner = Loop()
    try:
        llm.warm_up()
        recall = Recall(store, MiniLM.from_settings(settings))
        runner.run(reembed(recall))
        companion = runner.run(
            Companion.load(llm, store, context_tokens=settings.context, reply_tokens=REPLY_TOKENS, keep_prefix=True)
        )
        if companion is None:
            raise OS1Error("os1 is not set up yet: run `os1` in a terminal first, to meet your companion")
        companion.remember_with(recall)
        err.print(f"{companion.persona.name} is getting ready to listen ...")
        runner.run(companion.prepare())
        listen = Whisper(models.installed_path(settings, stt).parent)
        speaker = Speaker(speech.rate, clock=time.monotonic)
        conversation = VoiceConversation(companion, listen, speech, speaker, show=_shower(companion.persona.name))
        if recording is not None:
            files = Files(recording, speaker)
            runner.run(conversation.run(files.frames(lambda: conversation.busy)))
            for timing in conversation.timings:
                t = timing.speech_ended
                err.print(f"(answered {timing.first_sound - t:.1f} s after you stopped speaking: heard "
                          f"{timing.transcribed - t:.1f} s, first words {timing.first_words - t:.1f} s, "
                          f"first audio {timing.first_audio - t:.1f} s)")  # fmt: skip
            if output_path is not None:
                write_wav(output_path, files.played)
                err.print(f"Wrote what {companion.persona.name} said to {output_path} ({files.played.seconds:.1f} s).")
        else:
            card = SoundCard(speaker)
            err.print(HEADPHONES)
            with contextlib.suppress(KeyboardInterrupt):
                runner.run(conversation.run(card.frames(lambda: conversation.busy)))
        runner.run(companion.settle())
    finally:
        runner.cancel_pending()
        runner.run(llm.aclose())
        runner.close()
        store.close()


def _has_piper() -> bool:
    return importlib.util.find_spec("piper") is not None


def _voice(settings: Settings, choice: str | None) -> TextToSpeech:
    if choice == "piper" or (choice is None and _has_piper()):
        return Piper(models.installed_path(settings, "piper-joe"))
    return Espeak()


def _shower(name: str) -> Callable[[str, str], None]:
    """Prints the conversation; on a terminal, the words of a turn still being spoken show on a line of their
    own that the next line replaces."""
    live = err.is_terminal

    def show(who: str, text: str) -> None:
        if live:
            err.file.write("\r\x1b[K")
        if who == "hearing":
            if live and text:
                err.file.write(f"you: {text} ...")
            err.file.flush()
            return
        out.print(f"{'you' if who == 'user' else name}: {text}", markup=False, highlight=False)

    return show
