"""Writing a turn down while it is spoken, with the real Whisper: one reading at a time, the newest audio next,
and the finished turn's words taken from a reading that already holds all its speech."""

import asyncio
from pathlib import Path

import numpy as np
import pytest

from os1 import models
from os1.config import Settings
from os1.voice.audio import RATE, read_wav
from os1.voice.events import SpeechEnded, SpeechGrew, SpeechPaused, SpeechStarted
from os1.voice.scribe import Scribe
from os1.voice.stt import Transcript, Whisper
from os1.voice.vad import Listener


class Counting:
    """Test instrument: the real Whisper, noting the length of each reading and how many ran at once."""

    def __init__(self, stt: Whisper):
        self.stt, self.model_id = stt, stt.model_id
        self.read: list[int] = []
        self.running = self.most = 0

    async def transcribe(self, audio: np.ndarray) -> Transcript:
        self.read.append(len(audio))
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            return await self.stt.transcribe(audio)
        finally:
            self.running -= 1


@pytest.fixture(scope="module")
def whisper(speech_models: Settings) -> Whisper:
    return Whisper(models.installed_path(speech_models, "whisper-tiny.en").parent)


async def test_a_turn_is_read_while_spoken_and_its_words_are_ready_at_its_end(speech: Path, whisper: Whisper) -> None:
    cities = read_wav(speech / "two_cities.wav").at(RATE).samples[: 4 * RATE]  # "It was the best of times, ..."
    events = Listener().listen(cities)
    ears = Counting(whisper)
    shown: list[str] = []
    scribe = Scribe(ears, shown=shown.append)
    ended = None
    for event in events:  # all at once: readings queue behind each other
        if isinstance(event, SpeechStarted):
            scribe.new_turn()
        elif isinstance(event, SpeechGrew | SpeechPaused):
            scribe.read(event.audio)
        elif isinstance(event, SpeechEnded):
            ended = event
            words = scribe.words(event.audio)
    assert ended is not None
    heard = await words
    await scribe.idle()
    assert "best of times" in heard.text.lower()
    assert ears.most == 1  # one at a time
    assert len(ears.read) == 2  # the first reading, then only the newest waiting one: the last pause, reused
    assert ears.read[-1] == len(ended.audio) and shown[-1] == heard.text


async def test_a_new_turn_drops_what_waited_but_not_what_a_finished_turn_needs(speech: Path, whisper: Whisper) -> None:
    phrase = read_wav(speech / "Front_Left.wav").at(RATE).samples
    ears = Counting(whisper)
    scribe = Scribe(ears)
    scribe.new_turn()
    scribe.read(phrase[: RATE // 2])  # read at once
    scribe.read(phrase[:RATE])  # waits, then is dropped by the new turn
    words = scribe.words(phrase)  # the finished turn: kept
    scribe.new_turn()
    scribe.read(np.zeros(RATE, np.float32))
    assert "front" in (await words).text.lower()
    await scribe.idle()
    assert ears.read == [RATE // 2, len(phrase), RATE]
    assert await asyncio.wait_for(scribe.words(np.zeros(RATE, np.float32)), 10) == Transcript("", 0.0)
    assert len(ears.read) == 3  # that reading held the whole turn: not read again
