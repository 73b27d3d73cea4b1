"""What the voice pipeline's stages tell each other: small frozen records, each stamped with the time on the
pipeline's clock (seconds of sound heard since it started)."""

from __future__ import annotations

from dataclasses import dataclass

from os1.voice.audio import Samples


@dataclass(frozen=True)
class SpeechStarted:
    """The user may be speaking (a few frames of speech): the companion stops talking for now."""

    at: float


@dataclass(frozen=True)
class SpeechConfirmed:
    """Too long to be an "mm-hm" or a cough: surely an interruption, so what the companion says is cancelled."""

    at: float


@dataclass(frozen=True)
class SpeechDropped:
    """It stopped before it was long enough to count: the companion may go on where it stopped."""

    at: float


@dataclass(frozen=True)
class SpeechGrew:
    """The user is still speaking, ``vad.GROW_SECONDS`` more than when last told: ``audio`` is the turn so far
    (its words can be shown while they are said)."""

    at: float
    audio: Samples


@dataclass(frozen=True)
class SpeechPaused:
    """The user went quiet: if the quiet lasts, ``audio`` is the turn (so its words can be written down while
    the listener waits to be sure the turn is over)."""

    at: float
    audio: Samples


@dataclass(frozen=True)
class SpeechEnded:
    """The user finished a turn: their words, from a little before the first sound to the end of the last."""

    at: float
    audio: Samples
    started_at: float
    speech: float  # seconds of it that were speech


Heard = SpeechStarted | SpeechConfirmed | SpeechDropped | SpeechGrew | SpeechPaused | SpeechEnded
