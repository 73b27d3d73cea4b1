"""Where frames come from and where the speaker's sound goes: the sound card, or files.

``SoundCard`` opens the default microphone at 16 kHz and the default output at the voice's rate (PortAudio
through sounddevice); the output's callback pulls from the ``Speaker``. ``Files`` plays a recording in as if it
were the microphone, on the wall clock (a 32 ms frame every 32 ms), and writes what the speaker plays at the
moment it plays it, so the output file lines up with the input: barge-in and timing behave as they would live.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import numpy as np

from os1.errors import AudioError
from os1.voice import package_dir
from os1.voice.audio import FRAME, RATE, Audio, Samples
from os1.voice.speaker import Speaker

NO_DEVICE = "no microphone or speaker was found: plug one in (headphones are best), or talk through files: " \
    "os1 voice --input in.wav --output out.wav"  # fmt: skip


class Files:
    def __init__(self, recording: Audio, speaker: Speaker, *, tail_seconds: float = 60.0):
        self.recording = recording.at(RATE)
        self.speaker = speaker
        self.tail_seconds = tail_seconds  # the longest wait for the companion to finish once the recording ends
        self._played: list[Samples] = []

    async def frames(self, busy: Callable[[], bool]) -> AsyncIterator[Samples]:
        """The recording, frame by frame in real time, then silence while ``busy()`` (at most ``tail_seconds``)."""
        loop = asyncio.get_running_loop()
        samples = self.recording.samples
        padded = np.concatenate([samples, np.zeros(-len(samples) % FRAME, np.float32)]).reshape(-1, FRAME)
        start = loop.time()
        index = 0
        while index < len(padded) or (busy() and index * FRAME / RATE < self.recording.seconds + self.tail_seconds):
            await asyncio.sleep(max(0.0, start + index * FRAME / RATE - loop.time()))
            wanted = round((index + 1) * FRAME / RATE * self.speaker.rate) - round(
                index * FRAME / RATE * self.speaker.rate
            )
            self._played.append(self.speaker.pull(wanted))
            yield padded[index] if index < len(padded) else np.zeros(FRAME, np.float32)
            index += 1

    @property
    def played(self) -> Audio:
        """What the speaker played, from the recording's first frame on."""
        return Audio(np.concatenate(self._played) if self._played else np.zeros(0, np.float32), self.speaker.rate)


class SoundCard:
    def __init__(self, speaker: Speaker):
        try:
            package_dir("sounddevice")
            import sounddevice
        except OSError as exc:  # sounddevice found no PortAudio library
            raise AudioError(f"PortAudio is missing ({exc}): sudo apt-get install libportaudio2") from None
        self._sd: Any = sounddevice
        self.speaker = speaker
        inputs = [d for d in self._sd.query_devices() if d["max_input_channels"] > 0]
        outputs = [d for d in self._sd.query_devices() if d["max_output_channels"] > 0]
        if not inputs or not outputs or -1 in list(self._sd.default.device):
            raise AudioError(NO_DEVICE)

    async def frames(self, busy: Callable[[], bool]) -> AsyncIterator[Samples]:
        """Microphone frames until cancelled (Ctrl-C), while the speaker plays through the default output."""
        loop = asyncio.get_running_loop()
        heard: asyncio.Queue[Samples] = asyncio.Queue()

        def record(indata: Any, frames: int, time: Any, status: Any) -> None:
            loop.call_soon_threadsafe(heard.put_nowait, indata[:, 0].astype(np.float32).copy())

        def play(outdata: Any, frames: int, time: Any, status: Any) -> None:
            outdata[:, 0] = self.speaker.pull(frames)

        try:
            microphone = self._sd.InputStream(samplerate=RATE, channels=1, dtype="float32", blocksize=FRAME,
                                              callback=record)  # fmt: skip
            output = self._sd.OutputStream(samplerate=self.speaker.rate, channels=1, dtype="float32",
                                           blocksize=self.speaker.rate // 50, callback=play)  # fmt: skip
        except self._sd.PortAudioError as exc:
            raise AudioError(f"{NO_DEVICE} ({exc})") from None
        with microphone, output:
            while True:
                yield await heard.get()
