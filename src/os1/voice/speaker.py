"""What the companion says, waiting to be played and then played: the one place every sound output pulls from.

The pipeline adds each spoken piece (a sentence or clause) and its audio; whatever plays sound (the sound card's
callback, or a file written in step with a recording) pulls samples as it plays them. So the speaker always
knows what was heard: the pieces played to the end, and the first words of one cut off, in proportion to how
much of its sound went out. Pause, resume and clear act on the next pull: within one audio block. A sound
that is not part of a reply (an "mm" while the reply is being written) is said ``aside``: it plays, but it is
not words the user heard, and a new reply does not cut it short.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

import numpy as np

from os1.voice.audio import Samples

ASIDE = -1  # the piece of a sound that belongs to no reply


class Speaker:
    def __init__(self, rate: int, clock: Callable[[], float]):
        self.rate = rate
        self.clock = clock
        self._sounded = False  # the current reply's first sample was played
        self._lock = threading.Lock()  # pulled from the sound card's thread
        self._queue: deque[tuple[int, Samples]] = deque()
        self._pieces: list[str] = []
        self._lengths: list[int] = []
        self._played: list[int] = []
        self._paused = False
        self._on_sound: Callable[[float], None] = lambda at: None

    def start_reply(self, on_sound: Callable[[float], None] = lambda at: None) -> None:
        """A new reply: ``on_sound`` is told when its first sample is played."""
        with self._lock:
            self._queue = deque(item for item in self._queue if item[0] == ASIDE)
            self._pieces, self._lengths, self._played = [], [], []
            self._paused = False
            self._sounded = False
            self._on_sound = on_sound

    def add_piece(self, text: str) -> int:
        with self._lock:
            self._pieces.append(text)
            self._lengths.append(0)
            self._played.append(0)
            return len(self._pieces) - 1

    def say(self, samples: Samples, piece: int = ASIDE) -> None:
        with self._lock:
            self._queue.append((piece, samples))
            if piece != ASIDE:
                self._lengths[piece] += len(samples)

    def pull(self, count: int) -> Samples:
        """The next ``count`` samples to play: silence when paused or when nothing is waiting."""
        out = np.zeros(count, np.float32)
        with self._lock:
            done = 0
            while done < count and self._queue and not self._paused:
                piece, samples = self._queue[0]
                take = min(count - done, len(samples))
                out[done : done + take] = samples[:take]
                done += take
                if piece != ASIDE:
                    self._played[piece] += take
                if take == len(samples):
                    self._queue.popleft()
                else:
                    self._queue[0] = (piece, samples[take:])
            if self._played and self._played[0] and not self._sounded:
                self._sounded = True
                self._on_sound(self.clock())
        return out

    def pause(self) -> None:
        with self._lock:
            self._paused = True

    def resume(self) -> None:
        with self._lock:
            self._paused = False

    def clear(self) -> None:
        """Drop what was not played yet."""
        with self._lock:
            self._queue.clear()
            self._paused = False

    @property
    def playing(self) -> bool:
        with self._lock:
            return bool(self._queue)

    @property
    def paused(self) -> bool:
        return self._paused

    def heard(self) -> str:
        """The words of this reply that were played: whole pieces, and of a piece cut off, the share of its
        words that matches the share of its sound played (rounded down)."""
        with self._lock:
            words: list[str] = []
            for text, length, played in zip(self._pieces, self._lengths, self._played, strict=True):
                if played == 0:
                    break
                piece = text.split()
                words += piece if played >= length else piece[: int(len(piece) * played / length)]
                if played < length:
                    break
            return " ".join(words)
