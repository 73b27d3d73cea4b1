"""Hearing when someone speaks: Silero VAD v6, and the rules that turn its guesses into turns.

Silero (the ONNX file that ships inside faster-whisper, run here with onnxruntime on one thread, ~0.1 ms per
frame) gives every 32 ms frame a probability of speech. ``Listener`` turns those into events:

- ``SpeechStarted`` after ``ONSET_FRAMES`` frames of speech in a row (64 ms), so whatever the companion is
  saying can pause well within 200 ms of the user's first sound;
- ``SpeechConfirmed`` once ``SURE_SECONDS`` of speech were heard in the utterance: no "mm-hm" is that long
  (Piper's and espeak-ng's are 0.67 and 0.77 s of speech to Silero), so a reply can be cancelled at once;
- ``SpeechGrew`` every ``GROW_SECONDS`` of the turn while it is being spoken, with the audio so far;
- ``SpeechPaused`` after ``TAIL_FRAMES`` frames of silence, with the audio the turn will have if the silence
  lasts: speech to text can start on it during the hang-over;
- ``SpeechEnded`` after ``HANGOVER_SECONDS`` of silence: the utterance, with ``PREROLL_SECONDS`` before its
  first speech frame so the first syllable is not clipped. Whether a short one interrupts is for its words
  to say (an "mm-hm" or a cough does not), which is the pipeline's call;
- ``SpeechDropped`` instead, when it held less than ``MIN_SPEECH_SECONDS`` of speech: a knock, a click.

Speech is a frame at or above ``ON`` and silence one below ``OFF`` (hysteresis: a soft syllable in the middle
of a word does not end it).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from os1.errors import AudioError
from os1.voice import package_dir
from os1.voice.audio import FRAME, RATE, Samples
from os1.voice.events import (
    Heard,
    SpeechConfirmed,
    SpeechDropped,
    SpeechEnded,
    SpeechGrew,
    SpeechPaused,
    SpeechStarted,
)

ON, OFF = 0.5, 0.35
ONSET_FRAMES = 2
MIN_SPEECH_SECONDS = 0.2
SURE_SECONDS = 1.0
HANGOVER_SECONDS = 0.5
PREROLL_SECONDS = 0.2
CONTEXT = 64  # samples of the previous frame Silero v6 reads with each new one
GROW_SECONDS = 1.0
TAIL_FRAMES = 3  # silence kept at the end of a turn (~100 ms), and heard before a pause is told


class Silero:
    """Silero VAD v6: speech probability of one 512-sample frame at 16 kHz, keeping its state between frames."""

    def __init__(self) -> None:
        import onnxruntime

        path = package_dir("faster_whisper") / "assets" / "silero_vad_v6.onnx"
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(CONTEXT, np.float32)

    def __call__(self, frame: Samples) -> float:
        if frame.shape != (FRAME,):
            raise AudioError(f"a VAD frame is {FRAME} samples at {RATE} Hz, not {frame.shape}")
        window = np.concatenate([self._context, frame]).astype(np.float32)[None, :]
        probability, self._h, self._c = self._session.run(None, {"input": window, "h": self._h, "c": self._c})
        self._context = frame[-CONTEXT:]
        return float(probability[0])


class Listener:
    """Frames in, events out (see the module's docstring). Feed it every frame of the microphone, in order."""

    def __init__(self, vad: Silero | None = None) -> None:
        self.vad = vad or Silero()
        self.frames = 0
        self._preroll: deque[Samples] = deque(maxlen=round(PREROLL_SECONDS * RATE / FRAME))
        self._utterance: list[Samples] = []
        self._run = 0  # speech frames in a row, before an utterance starts
        self._speech = 0  # speech frames in the utterance
        self._quiet = 0  # silent frames since the last speech frame
        self._started_at = 0.0
        self._confirmed = False

    @property
    def now(self) -> float:
        return self.frames * FRAME / RATE

    @property
    def hearing(self) -> bool:
        return bool(self._utterance)

    def feed(self, frame: Samples) -> list[Heard]:
        probability = self.vad(frame)
        self.frames += 1
        if not self._utterance:
            self._run = self._run + 1 if probability >= ON else 0
            self._preroll.append(frame)
            if self._run < ONSET_FRAMES:
                return []
            self._utterance = list(self._preroll)
            self._speech, self._quiet, self._confirmed = self._run, 0, False
            self._started_at = self.now - self._run * FRAME / RATE
            self._preroll.clear()
            return [SpeechStarted(self.now)]
        self._utterance.append(frame)
        if probability >= ON or (probability >= OFF and self._quiet == 0):
            self._speech += 1
            self._quiet = 0
        else:
            self._quiet += 1
        events: list[Heard] = []
        if not self._confirmed and self._speech * FRAME / RATE >= SURE_SECONDS:
            self._confirmed = True
            events.append(SpeechConfirmed(self.now))
        meant = self._speech * FRAME / RATE >= MIN_SPEECH_SECONDS
        if self._quiet == 0 and len(self._utterance) % round(GROW_SECONDS * RATE / FRAME) == 0:
            events.append(SpeechGrew(self.now, np.concatenate(self._utterance)))
        if self._quiet == TAIL_FRAMES and meant:
            events.append(SpeechPaused(self.now, self._audio()))
        if self._quiet * FRAME / RATE >= HANGOVER_SECONDS:
            audio = self._audio()
            speech = self._speech * FRAME / RATE
            events.append(SpeechEnded(self.now, audio, self._started_at, speech) if meant else SpeechDropped(self.now))
            self._utterance, self._run = [], 0
        return events

    def _audio(self) -> Samples:
        """The utterance up to ``TAIL_FRAMES`` after its last speech frame."""
        return np.concatenate(self._utterance[: len(self._utterance) - self._quiet + TAIL_FRAMES])

    def listen(self, samples: Samples) -> list[Heard]:
        """Every event in a whole recording at 16 kHz; silence is added at its end, so speech that runs to the
        last sample still ends."""
        silence = -len(samples) % FRAME + round(HANGOVER_SECONDS * RATE / FRAME + 1) * FRAME
        padded = np.concatenate([samples, np.zeros(silence, np.float32)])
        return [event for frame in padded.reshape(-1, FRAME) for event in self.feed(frame)]
