"""Speaking: both voices say what they are given (checked by transcribing it back), stop when closed, and a
short "mm-hm" in either voice is too short for the listener to count as an interruption."""

from pathlib import Path

import numpy as np
import pytest

from os1 import models
from os1.config import Settings
from os1.errors import AudioError, ModelError
from os1.voice.audio import RATE, resample
from os1.voice.events import SpeechConfirmed, SpeechStarted
from os1.voice.stt import Whisper
from os1.voice.tts import Espeak, Piper, TextToSpeech
from os1.voice.vad import Listener
from tests.test_voice_stt import word_error_rate

SAID = "I booked a trip to see my dad in October. He lives by the sea now, and I miss him."


@pytest.fixture(scope="module")
def piper(speech_models: Settings) -> Piper:
    return Piper(models.installed_path(speech_models, "piper-joe"))


@pytest.fixture(scope="module")
def whisper(speech_models: Settings) -> Whisper:
    return Whisper(models.installed_path(speech_models, "whisper-base").parent)


async def spoken(voice: TextToSpeech, text: str) -> np.ndarray:
    chunks = [chunk async for chunk in voice.speak(text)]
    return resample(np.concatenate(chunks), voice.rate, RATE) if chunks else np.zeros(0, np.float32)


@pytest.mark.parametrize("voice", ["piper", "espeak"])
async def test_what_is_said_can_be_written_down_again(voice: str, piper: Piper, whisper: Whisper) -> None:
    speaker = piper if voice == "piper" else Espeak()
    chunks = [chunk async for chunk in speaker.speak(SAID)]
    assert len(chunks) == (2 if voice == "piper" else 1)  # Piper: a chunk per sentence, as soon as it is ready
    assert all(chunk.dtype == np.float32 and np.abs(chunk).max() <= 1.0 for chunk in chunks)
    heard = (await whisper.transcribe(resample(np.concatenate(chunks), speaker.rate, RATE))).text
    assert word_error_rate(heard, SAID) <= 0.15, heard


async def test_closing_the_stream_stops_the_sentences_after(piper: Piper) -> None:
    stream = piper.speak("One. Two. Three. Four. Five. Six.")
    first = await anext(stream)
    await stream.aclose()
    assert 0.2 < len(first) / piper.rate < 1.5  # one short sentence, not all six


@pytest.mark.parametrize("voice", ["piper", "espeak"])
async def test_an_mm_hm_is_heard_but_too_short_to_interrupt(voice: str, piper: Piper) -> None:
    sound = await spoken(piper if voice == "piper" else Espeak(), "Mm-hm.")
    padded = np.concatenate([np.zeros(RATE // 2, np.float32), sound, np.zeros(RATE, np.float32)])
    kinds = [type(event) for event in Listener().listen(padded)]
    assert SpeechConfirmed not in kinds and kinds.count(SpeechStarted) == 1  # heard, not sure: its words decide


async def test_empty_text_is_silence_and_bad_settings_say_what_to_do(piper: Piper, tmp_path: Path) -> None:
    assert await spoken(piper, "  ") == pytest.approx(np.zeros(0))
    assert len(await spoken(Espeak(), "")) == 0
    with pytest.raises(AudioError, match="espeak-ng failed"):
        await spoken(Espeak(voice="xx-nonexistent"), "hello")
    with pytest.raises(ModelError, match="os1 models install piper-joe"):
        Piper(tmp_path / "voice.onnx")
