"""Hearing speech in real recordings: a spoken phrase is one turn, noise and silence are none, and a sound too
short to mean anything starts and drops without being confirmed."""

import itertools
from pathlib import Path

import numpy as np
import pytest

from os1.voice.audio import RATE, read_wav
from os1.voice.events import SpeechConfirmed, SpeechDropped, SpeechEnded, SpeechGrew, SpeechPaused, SpeechStarted
from os1.voice.vad import GROW_SECONDS, HANGOVER_SECONDS, SURE_SECONDS, Listener, Silero


@pytest.fixture(scope="module")
def silero() -> Silero:
    return Silero()


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.float32)


def test_a_spoken_phrase_between_silences_is_one_turn(speech: Path, silero: Silero) -> None:
    phrase = read_wav(speech / "Front_Left.wav").at(RATE).samples  # "Front, left.", 1.5 s
    silero.reset()
    heard = Listener(silero).listen(np.concatenate([silence(1.0), phrase, silence(1.0)]))
    paused = [e for e in heard if isinstance(e, SpeechPaused)]  # at "Front," and at the end
    events = [e for e in heard if not isinstance(e, SpeechPaused | SpeechGrew)]
    assert [type(e) for e in events] == [SpeechStarted, SpeechEnded]  # too short to be sure of: its words decide
    started, ended = events
    assert isinstance(ended, SpeechEnded)
    assert np.array_equal(paused[-1].audio, ended.audio) and paused[-1].at < ended.at - 0.3  # known early
    assert 1.0 <= started.at < 1.0 + len(phrase) / RATE  # heard within the phrase, not in the silence before
    assert isinstance(ended, SpeechEnded) and 0.5 < len(ended.audio) / RATE <= len(phrase) / RATE + 0.4
    assert 0.4 < ended.speech < SURE_SECONDS
    assert ended.at - (ended.started_at + len(ended.audio) / RATE) < HANGOVER_SECONDS  # ends soon after speech


@pytest.mark.parametrize("clip", ["Noise.wav", None])
def test_noise_and_silence_are_not_speech(speech: Path, silero: Silero, clip: str | None) -> None:
    sound = read_wav(speech / clip).at(RATE).samples if clip else silence(3.0)
    silero.reset()
    assert Listener(silero).listen(np.concatenate([sound, sound])) == []


def test_a_long_stretch_of_speech_is_sure_to_be_meant(speech: Path, silero: Silero) -> None:
    cities = read_wav(speech / "two_cities.wav").at(RATE).samples[: 4 * RATE]  # "It was the best of times, ..."
    silero.reset()
    heard = Listener(silero).listen(cities)
    events = [e for e in heard if not isinstance(e, SpeechPaused | SpeechGrew)]
    started, confirmed = events[:2]
    assert isinstance(started, SpeechStarted) and isinstance(confirmed, SpeechConfirmed)
    assert SURE_SECONDS - 0.1 <= confirmed.at - started.at < SURE_SECONDS + 0.6  # its pauses do not count
    grew = [e for e in heard if isinstance(e, SpeechGrew)]  # the turn so far, told while it is spoken
    ended = events[-1]
    assert isinstance(ended, SpeechEnded) and 2 <= len(grew) <= 4
    for before, after in itertools.pairwise(grew):  # a second apart (or two, when a second ends in a pause)
        seconds = (after.at - before.at) / GROW_SECONDS
        assert abs(seconds - round(seconds)) < 0.05 and len(after.audio) > len(before.audio)
    assert all(np.array_equal(e.audio, ended.audio[: len(e.audio)]) for e in grew)  # beginnings of the turn


def test_a_sound_too_short_to_mean_anything_is_dropped(speech: Path, silero: Silero) -> None:
    phrase = read_wav(speech / "Front_Left.wav").at(RATE).samples
    silero.reset()
    onset = next(e for e in Listener(silero).listen(phrase) if isinstance(e, SpeechStarted)).at
    start = int(onset * RATE)
    blip = phrase[max(0, start - 1600) : start + int(0.12 * RATE)]  # the start of "Front", like a click
    silero.reset()
    events = Listener(silero).listen(np.concatenate([silence(0.5), blip, silence(1.0)]))
    assert [type(e) for e in events] == [SpeechStarted, SpeechDropped]  # not even a pause worth writing down


def test_a_long_recording_with_pauses_gives_a_turn_per_stretch_of_speech(speech: Path, silero: Silero) -> None:
    beckett = read_wav(speech / "beckett.wav").samples  # "Ever tried. Ever failed. No matter. Try again. ..."
    silero.reset()
    ended = [e for e in Listener(silero).listen(beckett) if isinstance(e, SpeechEnded)]
    assert ended and all(e.started_at < e.at for e in ended)
    assert [e.started_at for e in ended] == sorted(e.started_at for e in ended)
    assert 4.0 < sum(len(e.audio) for e in ended) / RATE <= 10.5  # most of the 10 s is speech, with gaps
