"""A spoken conversation through the whole pipeline, in real time, on a scripted duplex stream: recorded
speech in, the companion's voice out, and the user speaking over it."""

import time
from pathlib import Path

import numpy as np
import pytest

from os1 import models
from os1.companion.companion import Companion
from os1.config import Settings
from os1.errors import AudioError
from os1.memory.sqlite import SQLiteStore
from os1.testing import ScriptedLLM
from os1.voice.audio import RATE, Audio, read_wav, resample
from os1.voice.devices import NO_DEVICE, Files, SoundCard
from os1.voice.events import SpeechStarted
from os1.voice.pipeline import VoiceConversation, backchannel, spoken
from os1.voice.speaker import Speaker
from os1.voice.stt import Whisper
from os1.voice.tts import Espeak
from os1.voice.vad import Listener

REPLY = (
    "Oh, I love that you asked. Let me tell you about the sea near my old town. Every morning the fishing boats "
    "came back with the tide. The gulls followed them all the way in. People waited on the harbour wall with "
    "baskets. Then the market opened and everyone argued about prices. It was loud and wonderful."
)


@pytest.fixture(scope="module")
def whisper(speech_models: Settings) -> Whisper:
    return Whisper(models.installed_path(speech_models, "whisper-tiny.en").parent)


def gap(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.float32)


async def espeak(text: str) -> np.ndarray:
    voice = Espeak()
    return resample(np.concatenate([c async for c in voice.speak(text)]), voice.rate, RATE)


async def converse(
    home: Path, recording: np.ndarray, whisper: Whisper, *replies: str, delay: float = 0.01
) -> tuple[VoiceConversation, Files, SQLiteStore]:
    store = SQLiteStore.open(home)
    llm = ScriptedLLM(*replies, delay=delay)
    companion = await Companion.load(llm, store)
    assert companion is not None
    voice = Espeak()
    speaker = Speaker(voice.rate, clock=time.monotonic)
    conversation = VoiceConversation(companion, whisper, voice, speaker)
    files = Files(Audio(recording, RATE), speaker)
    await conversation.run(files.frames(lambda: conversation.busy))
    return conversation, files, store


def onsets(recording: np.ndarray) -> list[float]:
    return [e.at for e in Listener().listen(recording) if isinstance(e, SpeechStarted)]


def loud(audio: Audio, start: float, end: float) -> float:
    part = audio.samples[int(start * audio.rate) : int(end * audio.rate)]
    return float(np.abs(part).max()) if len(part) else 0.0


async def test_speaking_over_the_companion_stops_it_and_keeps_only_what_was_heard(
    set_up_home: Path, speech: Path, whisper: Whisper
) -> None:
    hello = read_wav(speech / "Front_Left.wav").at(RATE).samples  # "Front, left."
    cities = read_wav(speech / "two_cities.wav").at(RATE).samples[: 5 * RATE]  # "It was the best of times..."
    recording = np.concatenate([gap(0.5), hello, gap(5.0), cities, gap(0.5)])
    conversation, files, store = await converse(set_up_home, recording, whisper, REPLY, "Go on, I'm listening.")
    first = conversation.timings[0]  # what bench/voice.py reports, in order
    assert first.speech_ended < first.turn_ended <= first.transcribed < first.first_words <= first.first_audio
    assert first.first_audio <= first.first_sound and first.reply.startswith("Oh, I love that you asked.")
    llm: ScriptedLLM = conversation.companion.llm  # type: ignore[assignment]
    assert llm.requests[0].messages in llm.read_ahead  # read at the last pause: the reply only had to be written
    played = files.played
    reply_starts = files.played.samples.nonzero()[0][0] / played.rate
    barge_in = onsets(recording)[1]  # the second utterance, heard by the listener
    assert reply_starts < barge_in - 1.0  # the companion was talking when the user began
    assert loud(played, barge_in - 1.0, barge_in) > 0.05
    assert loud(played, barge_in + 0.2, barge_in + 3.0) < 0.01  # quiet within 200 ms of the user's onset
    turns = [t for t in await store.turns() if t.speaker != "event"]
    store.close()
    assert [t.speaker for t in turns] == ["user", "assistant", "user", "assistant"]
    cut = turns[1]
    assert cut.interrupted and cut.text and REPLY.startswith(cut.text[:-1]) and len(cut.text) < len(REPLY) / 2
    assert "best of times" in turns[2].text.lower()
    assert turns[3].text == "Go on, I'm listening."  # and the new words were answered


async def test_an_mm_hm_over_the_companion_lets_it_go_on(set_up_home: Path, speech: Path, whisper: Whisper) -> None:
    hello = read_wav(speech / "Front_Left.wav").at(RATE).samples
    recording = np.concatenate([gap(0.5), hello, gap(5.0), await espeak("Mm-hm."), gap(0.5)])
    _conversation, files, store = await converse(set_up_home, recording, whisper, REPLY)
    turns = [t for t in await store.turns() if t.speaker != "event"]
    store.close()
    assert [t.speaker for t in turns] == ["user", "assistant"]  # the mm-hm is not a turn
    assert turns[1].text == REPLY and not turns[1].interrupted
    heard = files.played
    mm_hm = onsets(recording)[1]
    assert loud(heard, mm_hm + 3.0, mm_hm + 6.0) > 0.05  # it went on talking after the pause


def test_what_counts_as_only_listening() -> None:
    assert all(backchannel(text) for text in ["", "Mm-hm.", "Yeah.", "Okay, okay.", "(coughs)", "[cough]", "Uh-huh"])
    assert not any(backchannel(text) for text in ["Wait.", "Stop, please", "Yeah, but what about Anna?"])
    assert spoken("(coughs) [laughs]") == "" and spoken("Wait, (coughs) stop!") == "wait stop"


def test_without_a_sound_card_the_message_says_what_to_do() -> None:
    with pytest.raises(AudioError) as caught:  # this machine has no sound card
        SoundCard(Speaker(22_050, clock=time.monotonic))
    assert str(caught.value).startswith(NO_DEVICE)


@pytest.mark.parametrize("delay", [0.2, 0.0])
async def test_a_slow_reply_is_preceded_by_a_filler_never_the_same_twice(
    set_up_home: Path, speech: Path, whisper: Whisper, delay: float
) -> None:
    hello = read_wav(speech / "Front_Left.wav").at(RATE).samples
    recording = np.concatenate([gap(0.5), hello, gap(6.0), hello, gap(0.5)])
    reply, again = "Well, let me think about that for a moment. Yes.", "Hmm, that one is harder to say. Maybe."
    conversation, _, store = await converse(set_up_home, recording, whisper, reply, again, delay=delay)
    turns = [t for t in await store.turns() if t.speaker == "assistant"]
    store.close()
    first, second = conversation.timings
    assert first.filler == "Mm." and first.filler_sound < first.first_sound  # no reply timed yet: expect slow
    if delay:  # the model stays slow: another filler, not the same one
        assert second.filler == "Hmm." and second.filler_sound < second.first_sound
    else:  # the first reply started at once, so the second needs none
        assert second.filler == ""
    assert [t.text for t in turns] == [reply, again]  # a filler is a sound, not words of the reply
