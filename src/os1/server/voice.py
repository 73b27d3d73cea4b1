"""Voice in the browser: the spoken conversation of ``os1 voice``, with the WebSocket as its microphone and
speaker (docs/websocket.md, "Voice").

The client sends ``audio.start``, then the microphone's sound as binary frames (16 kHz mono 16-bit PCM, taken
with the browser's echo cancellation on), then ``audio.stop``. The server runs the same ``VoiceConversation``
as ``os1 voice``: listener, speech to text, the companion, text to speech. The companion's voice goes back as
binary frames of 20 ms, sent in real time and only while it speaks, so the server's speaker knows what was
played; when the user speaks over it, the server stops sending and tells the client to drop what it holds
(``audio.flush``), and the transcript keeps what was heard. What was heard and said comes as JSON too:
``voice.hearing`` (the user's words so far), ``voice.user`` (their turn), ``voice.reply`` (a piece of the reply
as it is spoken).

The speech models are loaded once per server, on the first ``audio.start``, and shared by every voice
conversation; each has its own listener (its VAD state) and speaker.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import numpy as np

from os1 import models
from os1.config import Settings
from os1.errors import AudioError
from os1.voice.audio import FRAME, RATE, Samples
from os1.voice.speaker import Speaker
from os1.voice.stt import SpeechToText, Whisper
from os1.voice.tts import Espeak, Piper, TextToSpeech

SEND_SECONDS = 0.02  # the companion's voice goes out in blocks this long


class Voices:
    """The speech models of a server: Whisper base, and Piper when installed (espeak-ng otherwise)."""

    def __init__(self, settings: Settings, *, stt: SpeechToText | None = None, tts: TextToSpeech | None = None):
        self.settings = settings
        self._stt, self._tts = stt, tts

    def load(self) -> tuple[SpeechToText, TextToSpeech]:
        if self._stt is None:
            folder = models.installed_path(self.settings, "whisper-base").parent
            if not folder.exists():
                models.install(self.settings, "whisper-base")
            self._stt = Whisper(folder)
        if self._tts is None:
            voice = models.installed_path(self.settings, "piper-joe")
            try:
                self._tts = Piper(voice) if voice.exists() else Espeak()
            except AudioError:
                self._tts = Espeak()
        return self._stt, self._tts


class RemoteSpeaker(Speaker):
    """The speaker of a voice conversation over the WebSocket: pausing or clearing it also tells the client
    to drop the sound it holds, so the companion falls quiet at once."""

    def __init__(self, rate: int, flush: Callable[[], None]):
        super().__init__(rate, clock=time.monotonic)
        self._flush = flush

    def pause(self) -> None:
        super().pause()
        self._flush()

    def clear(self) -> None:
        super().clear()
        self._flush()


class Line:
    """The WebSocket as the conversation's device: microphone frames in, the speaker's sound out."""

    def __init__(self, speaker: Speaker, send: Callable[[dict[str, Any] | bytes], None]):
        self.speaker = speaker
        self._send = send
        self._frames: asyncio.Queue[Samples | None] = asyncio.Queue()
        self._pending = np.zeros(0, np.float32)
        self._finished = False

    def hear(self, data: bytes) -> None:
        """Sound from the microphone: 16-bit PCM samples, any number of them."""
        if len(data) % 2:
            raise AudioError("audio frames are 16-bit samples: a frame cannot have an odd number of bytes")
        samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
        self._pending = np.concatenate([self._pending, samples])
        whole = len(self._pending) // FRAME * FRAME
        for frame in self._pending[:whole].reshape(-1, FRAME):
            self._frames.put_nowait(frame.copy())
        self._pending = self._pending[whole:]

    def stop(self) -> None:
        """The client stopped sending sound."""
        self._frames.put_nowait(None)

    def finish(self) -> None:
        """The conversation is over: ``play`` ends once the speaker has nothing more to play."""
        self._finished = True

    async def frames(self, busy: Callable[[], bool]) -> AsyncIterator[Samples]:
        """The microphone's frames until ``stop``; then silence, in real time, while the reply is still going."""
        while (frame := await self._frames.get()) is not None:
            yield frame
        while busy():
            await asyncio.sleep(FRAME / RATE)
            yield np.zeros(FRAME, np.float32)

    async def play(self) -> None:
        """Send the speaker's sound as it plays, block by block in real time, until ``finish`` and silence."""
        block = round(self.speaker.rate * SEND_SECONDS)
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while not (self._finished and not self.speaker.playing):
            next_at = max(next_at + SEND_SECONDS, loop.time())
            await asyncio.sleep(next_at - loop.time())
            if self.speaker.playing and not self.speaker.paused:
                sound = self.speaker.pull(block)
                self._send((np.clip(sound, -1, 1) * 32767).astype("<i2").tobytes())
