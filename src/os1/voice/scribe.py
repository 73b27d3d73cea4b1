"""Writing a turn down while it is spoken, so its words are ready, or nearly, when it ends.

The listener hands over the turn so far every second while the user speaks (``SpeechGrew``: the words can be
shown as they come) and again when they pause (``SpeechPaused``: most often the whole turn, read during the
hang-over that makes sure it is over). Readings run one at a time, as the cores are shared; the newest audio
waits for the reading under way, and replaces older audio that was waiting. When the turn ends, a reading
made or under way that holds every sample up to the turn's last speech frame is its transcript; otherwise
the finished turn is read as soon as the cores are free.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from os1.voice.audio import FRAME, Samples
from os1.voice.stt import SpeechToText, Transcript
from os1.voice.vad import TAIL_FRAMES


@dataclass
class _Reading:
    turn: int
    samples: int  # how much of the turn it reads
    audio: Samples
    words: asyncio.Future[Transcript]
    needed: bool = False  # a finished turn waits for it: it is never dropped


class Scribe:
    def __init__(self, stt: SpeechToText, *, shown: Callable[[str], None] = lambda words: None):
        self.stt = stt
        self._shown = shown  # the words of the turn so far, each time a reading of it ends
        self._turn = 0
        self._running: asyncio.Task[Transcript] | None = None
        self._current: _Reading | None = None
        self._waiting: list[_Reading] = []
        self._read: _Reading | None = None  # the newest finished reading of this turn

    def new_turn(self) -> None:
        """The user began another turn: what was read of the last one is of no further use."""
        self._turn += 1
        self._read = None
        self._drop_unneeded()

    def read(self, audio: Samples) -> asyncio.Future[Transcript]:
        """Read the turn so far, when the cores are free (the words are dropped, unread, when newer audio comes
        before they are begun)."""
        return self._ask(audio).words

    def words(self, turn: Samples) -> asyncio.Future[Transcript]:
        """The words of the finished ``turn``: a reading made, under way or waiting that holds all its speech
        (the turn ends ``TAIL_FRAMES`` of quiet after it), or else a new one."""
        least = len(turn) - TAIL_FRAMES * FRAME
        for reading in (*reversed(self._waiting), self._current, self._read):
            if reading is not None and reading.turn == self._turn and reading.samples >= least:
                reading.needed = True
                return reading.words
        reading = self._ask(turn)
        reading.needed = True
        return reading.words

    async def idle(self) -> None:
        """Wait for the readings under way and waiting to end."""
        while self._running is not None:
            await asyncio.wait([self._running])

    def _ask(self, audio: Samples) -> _Reading:
        words: asyncio.Future[Transcript] = asyncio.get_running_loop().create_future()
        words.add_done_callback(lambda future: future.cancelled() or future.exception())  # a dropped one is fine
        reading = _Reading(self._turn, len(audio), audio, words)
        self._drop_unneeded()
        self._waiting.append(reading)
        if self._running is None:
            self._next()
        return reading

    def _drop_unneeded(self) -> None:
        for reading in self._waiting:
            if not reading.needed:
                reading.words.cancel()
        self._waiting = [reading for reading in self._waiting if reading.needed]

    def _next(self) -> None:
        if not self._waiting:
            self._running = self._current = None
            return
        reading = self._current = self._waiting.pop(0)
        self._running = asyncio.ensure_future(self.stt.transcribe(reading.audio))
        self._running.add_done_callback(lambda task: self._finished(reading, task))

    def _finished(self, reading: _Reading, task: asyncio.Task[Transcript]) -> None:
        if reading.words.done():  # the turn that waited for it was cancelled
            pass
        elif task.cancelled():
            reading.words.cancel()
        elif (error := task.exception()) is not None:
            reading.words.set_exception(error)
        else:
            reading.words.set_result(task.result())
            if reading.turn == self._turn:
                self._read = reading
                self._shown(task.result().text)
        self._next()
