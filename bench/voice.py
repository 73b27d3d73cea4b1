"""Voice latency: from the end of the user's speech to the companion's first sound, through the whole pipeline.

20 utterances go through one spoken conversation in real time (``os1.voice.devices.Files``: a 32 ms frame every
32 ms, the speaker's output pulled in step): the six phrases of a recorded human voice (``beckett.wav`` from
the moonshine-voice wheel, cut where os1's listener hears the pauses), then 14 lines of bench/chat.py's
conversation spoken by Piper. Default models: Qwen2.5 1.5B, Whisper base, Piper joe, Silero.

Per turn, on the pipeline's clock: the user's last sound -> the listener's end of turn (hang-over) -> words
written down (speech to text) -> the reply's first piece written (the language model) -> its sound synthesised
(text to speech) -> first sound played. "First audio" is earlier than "first answer audio" on turns where the
companion said a filler ("mm") while the model was still writing.

The serial sum: the same stages measured one at a time in the same run: the hang-over (a constant), each
turn's audio transcribed again alone, each reply's prompt answered again alone up to its first piece (the
conversation before the user's words read first, untimed, as the model's cache held it when they began to
speak), and each first piece synthesised again alone.
Goals: first answer audio p50 <= 2.5 s, and the pipeline <= 0.8 x the serial sum.

Usage: python bench/voice.py [--model qwen2.5-1.5b] [--stt whisper-base] [--turns 20] [--out ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from chat import LINES, PERSONA, PROFILE, model_path
from rich.console import Console
from rich.table import Table

from os1 import models
from os1.companion.companion import Companion
from os1.config import Settings
from os1.llm import Message
from os1.llm.llamacpp import LlamaCppLLM
from os1.memory.embed import ASSETS, MiniLM
from os1.memory.observe import Observer
from os1.memory.recall import Recall
from os1.memory.sqlite import SQLiteStore
from os1.voice.audio import RATE, Audio, Samples, read_wav, resample
from os1.voice.devices import Files
from os1.voice.events import SpeechEnded
from os1.voice.pipeline import Timing, VoiceConversation
from os1.voice.sentences import pieces
from os1.voice.speaker import Speaker
from os1.voice.stt import Transcript, Whisper
from os1.voice.tts import Piper
from os1.voice.vad import HANGOVER_SECONDS, Listener

console = Console()
RECORDED = Path(__file__).parent.parent / ".pytest_cache" / "d" / "os1-speech" / "beckett.wav"
REPLY_TOKENS = 120


class Mouth(LlamaCppLLM):
    """Benchmark instrument: the real model, keeping the prompt of each reply to answer it again alone."""

    prompts: list[list[Message]]

    def stream(self, messages: Sequence[Message], **options: Any) -> AsyncIterator[str]:
        if options.get("max_tokens") == REPLY_TOKENS:
            self.prompts.append(list(messages))
        return super().stream(messages, **options)


class Ears:
    """Benchmark instrument: the real speech to text, keeping the audio it read last (a turn's last reading is
    of the whole turn) to transcribe it again alone."""

    def __init__(self, stt: Whisper):
        self.stt, self.model_id = stt, stt.model_id
        self.last: Samples = np.zeros(0, np.float32)

    async def transcribe(self, audio: Samples) -> Transcript:
        self.last = audio
        return await self.stt.transcribe(audio)


def recorded_phrases() -> list[Samples]:
    """The phrases of a recorded human voice, cut where the listener hears them end."""
    if not RECORDED.exists():
        raise SystemExit(f"{RECORDED} is missing: run ./test once (it fetches the test speech)")
    return [e.audio for e in Listener().listen(read_wav(RECORDED).samples) if isinstance(e, SpeechEnded)]


async def spoken(voice: Piper, text: str) -> Samples:
    return resample(np.concatenate([chunk async for chunk in voice.speak(text)]), voice.rate, RATE)


async def run(args: argparse.Namespace, settings: Settings) -> tuple[list[Timing], dict[str, list[float]]]:
    home = Path(tempfile.mkdtemp(prefix="os1-bench-voice-"))
    (home / "models").symlink_to(models.models_dir(settings))
    store = SQLiteStore.open(home)
    await store.save_persona(PERSONA)
    await store.save_profile(PROFILE)
    llm = Mouth(model_path(args.model), context=8192, log_path=home / "llamacpp.log")
    llm.prompts = []
    companion = await Companion.load(llm, store, context_tokens=8192, reply_tokens=REPLY_TOKENS)
    assert companion is not None
    recall = Recall(store, MiniLM.from_settings(settings))
    companion.recall = recall
    companion.observer = Observer(llm, recall, {"user": PROFILE.name, "assistant": PERSONA.name})
    voice = Piper(models.installed_path(settings, "piper-joe"))
    ears = Ears(Whisper(models.installed_path(settings, args.stt).parent))
    utterances = recorded_phrases() + [await spoken(voice, line) for line in LINES[: args.turns - 6]]
    utterances = utterances[: args.turns]
    await companion.prepare()
    speaker = Speaker(voice.rate, clock=time.monotonic)
    conversation = VoiceConversation(companion, ears, voice, speaker, show=lambda who, text: None)
    turns: list[Samples] = []  # the audio of each answered turn
    for index, utterance in enumerate(utterances, 1):
        files = Files(Audio(np.concatenate([utterance, np.zeros(RATE // 4, np.float32)]), RATE), speaker)
        answered = len(conversation.timings)
        await conversation.run(files.frames(lambda: conversation.busy))
        turns += [ears.last] * (len(conversation.timings) - answered)
        last = conversation.timings[-1] if conversation.timings else None
        console.print(f"turn {index}/{len(utterances)}: {last.said if last else '(nothing heard)'!r}")
        await asyncio.sleep(1.0)  # the user listens to the end, then speaks again
    await companion.settle()  # memory work done first, so the stages alone really run alone
    alone: dict[str, list[float]] = {"stt": [], "model": [], "tts": []}
    for audio in turns:
        started = time.monotonic()
        await ears.stt.transcribe(audio)
        alone["stt"].append(time.monotonic() - started)
    for prompt in list(llm.prompts):
        said = max(i for i, message in enumerate(prompt) if message["role"] != "user") + 1  # before the new words
        await llm.read(prompt[:said])
        started = time.monotonic()
        async with aclosing(pieces(llm.stream(prompt, max_tokens=REPLY_TOKENS))) as reply:
            await anext(reply)
        alone["model"].append(time.monotonic() - started)
    for timing in conversation.timings:
        first_piece = timing.reply.split(". ")[0] if timing.reply else "Hello."
        started = time.monotonic()
        await anext(voice.speak(first_piece))
        alone["tts"].append(time.monotonic() - started)
    await llm.aclose()
    store.close()
    shutil.rmtree(home, ignore_errors=True)
    return conversation.timings, alone


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50": round(statistics.median(ordered), 2), "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 2)}


def report(timings: list[Timing], alone: dict[str, list[float]], args: argparse.Namespace) -> dict[str, Any]:
    answered = [t for t in timings if t.first_sound]
    stages = {
        "hang-over": [t.turn_ended - t.speech_ended for t in answered],
        "speech to text (waited for)": [t.transcribed - t.turn_ended for t in answered],
        "model: first piece written": [t.first_words - t.transcribed for t in answered],
        "text to speech: first sound made": [t.first_audio - t.first_words for t in answered],
        "playback started": [t.first_sound - t.first_audio for t in answered],
        "first audio out (a filler, or the answer)": [
            min(t.filler_sound or t.first_sound, t.first_sound) - t.speech_ended for t in answered
        ],
        "first answer audio": [t.first_sound - t.speech_ended for t in answered],
    }
    serial = [HANGOVER_SECONDS + stt + model + tts
              for stt, model, tts in zip(alone["stt"], alone["model"], alone["tts"], strict=False)]  # fmt: skip
    stages["serial sum of the stages alone"] = serial
    stages["speech to text alone"] = alone["stt"][: len(answered)]
    stages["model alone: first piece written"] = alone["model"][: len(answered)]
    stages["text to speech alone (first piece)"] = alone["tts"][: len(answered)]
    table = Table("seconds after the user's last sound", "p50", "p95", title=f"voice latency, {len(answered)} turns")
    summary = {name: percentiles(values) for name, values in stages.items() if values}
    for name, values in summary.items():
        table.add_row(name, f"{values['p50']:.2f}", f"{values['p95']:.2f}")
    console.print(table)
    fillers = sum(bool(t.filler) for t in answered)
    console.print(f"{fillers} of {len(answered)} turns began with a filler while the model wrote the answer")
    ratio = statistics.median(stages["first answer audio"]) / statistics.median(serial)
    p50 = summary["first answer audio"]["p50"]
    verdicts = ("met" if p50 <= 2.5 else "NOT met", "met" if ratio <= 0.8 else "NOT met")
    console.print(f"first answer audio p50 {p50:.2f} s (goal <= 2.5 s: {verdicts[0]}); "
                  f"pipeline / serial sum = {ratio:.2f} (goal <= 0.8: {verdicts[1]})")  # fmt: skip
    return {
        "summary": summary, "fillers": fillers, "ratio_to_serial": round(ratio, 3),
        "goals": {"first_answer_p50": 2.5, "ratio": 0.8},
        "model": args.model, "stt": args.stt, "tts": "piper-joe",
        "turns": [t.__dict__ for t in timings],
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="qwen2.5-1.5b")
    parser.add_argument("--stt", default="whisper-base", choices=["whisper-base", "whisper-tiny.en"])
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "voice.json"))
    args = parser.parse_args()
    settings = Settings.load()
    for name in (*ASSETS, args.stt, "piper-joe"):
        models.install(settings, name)
    timings, alone = asyncio.run(run(args, settings))
    result = report(timings, alone, args) | {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "measured_at": datetime.now(UTC).isoformat(),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1, ensure_ascii=False))
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
