"""Text to speech: the protocol, Piper (a natural voice, the ``piper`` extra, GPL-3) and espeak-ng (Debian;
robotic, but always there and instant).

``speak(text)`` yields the sound of ``text`` in chunks (Piper: one per sentence; espeak-ng: the whole text)
as soon as each is ready, at the backend's ``rate``. Closing the iterator stops the work: a barge-in does not
wait for a sentence nobody will hear.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from os1.errors import AudioError, ModelError
from os1.voice import package_dir
from os1.voice.audio import Samples


class TextToSpeech(Protocol):
    model_id: str
    rate: int

    def speak(self, text: str) -> AsyncGenerator[Samples, None]:
        """The sound of ``text``, chunk by chunk, mono float32 at ``rate``."""
        ...


class Piper:
    """A Piper voice (an .onnx file with its .onnx.json beside it), on ``threads`` onnxruntime threads."""

    def __init__(self, model: Path, *, threads: int = 1):
        package_dir("piper", extra="piper")
        import onnxruntime
        from piper import PiperConfig, PiperVoice

        config = model.with_name(model.name + ".json")
        if not model.is_file() or not config.is_file():
            raise ModelError(f"no Piper voice at {model}: run `os1 models install piper-joe`")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._voice: Any = PiperVoice(session=session, config=PiperConfig.from_dict(json.loads(config.read_text())))
        self.rate = int(self._voice.config.sample_rate)
        self.model_id = f"piper:{model.stem}"

    async def speak(self, text: str) -> AsyncGenerator[Samples, None]:
        if not text.strip():
            return
        chunks: Iterator[Any] = iter(self._voice.synthesize(text))
        while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
            yield np.asarray(chunk.audio_float_array, dtype=np.float32)


class Espeak:
    """espeak-ng through its command line; ``voice`` is one of `espeak-ng --voices=en` (e.g. "en-us+f3")."""

    rate = 22_050

    def __init__(self, voice: str = "en-us", *, words_per_minute: int = 165):
        if shutil.which("espeak-ng") is None:
            raise AudioError("espeak-ng is not installed: sudo apt-get install espeak-ng")
        self.voice = voice
        self.words_per_minute = words_per_minute
        self.model_id = f"espeak-ng:{voice}"

    async def speak(self, text: str) -> AsyncGenerator[Samples, None]:
        if not text.strip():
            return
        process = await asyncio.create_subprocess_exec(
            "espeak-ng", "-v", self.voice, "-s", str(self.words_per_minute), "--stdout", "--", text,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            wav, errors = await process.communicate()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        if process.returncode != 0:
            raise AudioError(f"espeak-ng failed ({errors.decode(errors='replace').strip()}): check `--voice`")
        yield _wav_samples(wav)


def _wav_samples(wav: bytes) -> Samples:
    """16-bit samples of a WAV written to a pipe (its size fields are not filled in, so the data runs to the end)."""
    start = wav.find(b"data")
    if wav[:4] != b"RIFF" or start < 0:
        raise AudioError("espeak-ng wrote no WAV")
    pcm = wav[start + 8 :]
    return (np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float32) / 32768).astype(np.float32)
