"""Reading and writing sound: real recordings at their own rates, and every kind of bad file refused clearly."""

import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from os1.errors import AudioError
from os1.voice.audio import RATE, Audio, read_wav, resample, write_wav


def tone(hertz: float, rate: int, seconds: float = 1.0) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * hertz * np.arange(int(rate * seconds)) / rate)).astype(np.float32)


def loudest(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[spectrum.argmax()])


def test_recordings_are_read_at_their_own_rate_and_brought_to_16k(speech: Path) -> None:
    beckett = read_wav(speech / "beckett.wav")
    assert beckett.rate == RATE and round(beckett.seconds, 2) == 9.96
    cities = read_wav(speech / "two_cities.wav")
    assert cities.rate == 48_000
    at_16k = cities.at(RATE)
    assert at_16k.rate == RATE and abs(at_16k.seconds - cities.seconds) < 0.001
    assert at_16k.samples.min() >= -1 and at_16k.samples.max() <= 1


def test_resampling_keeps_what_is_heard_and_drops_what_cannot_be() -> None:
    kept = resample(tone(1000, 48_000), 48_000, RATE)
    assert len(kept) == RATE and loudest(kept, RATE) == 1000 and abs(np.abs(kept).max() - 0.5) < 0.01
    folded = resample(tone(10_000, 48_000), 48_000, RATE)  # above 8 kHz: would alias to 6 kHz if merely decimated
    assert np.abs(folded).max() < 0.01


def test_a_written_file_reads_back_and_stereo_becomes_mono(tmp_path: Path) -> None:
    sound = Audio(tone(440, 22_050, 0.5), 22_050)
    write_wav(tmp_path / "out.wav", sound)
    again = read_wav(tmp_path / "out.wav")
    assert again.rate == 22_050 and np.abs(again.samples - sound.samples).max() < 1e-4
    left, right = tone(440, RATE), np.zeros(RATE, dtype=np.float32)
    with wave.open(str(tmp_path / "stereo.wav"), "wb") as f:
        f.setnchannels(2)
        f.setsampwidth(2)
        f.setframerate(RATE)
        f.writeframes((np.stack([left, right], axis=1) * 32767).astype("<i2").tobytes())
    mono = read_wav(tmp_path / "stereo.wav")
    assert len(mono.samples) == RATE and abs(np.abs(mono.samples).max() - 0.25) < 0.01


def float_wav(path: Path) -> None:
    data = tone(440, RATE, 0.1).tobytes()
    header = b"RIFF" + (36 + len(data)).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little")
    header += (3).to_bytes(2, "little") + (1).to_bytes(2, "little") + RATE.to_bytes(4, "little")
    header += (RATE * 4).to_bytes(4, "little") + (4).to_bytes(2, "little") + (32).to_bytes(2, "little")
    path.write_bytes(header + b"data" + len(data).to_bytes(4, "little") + data)


def empty_wav(path: Path) -> None:
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(RATE)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: path.write_text("hello, this is not audio"), "is not a WAV file os1 can read"),
        (float_wav, "is not a WAV file os1 can read"),  # IEEE float: say how to convert it
        (empty_wav, "holds no sound (0 samples)"),
        (lambda path: path.write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt "), "is not a WAV file os1 can read"),
        (lambda path: None, "no such file"),
    ],
)
def test_audio_that_cannot_be_used_is_refused_with_what_to_do(
    tmp_path: Path, make: Callable[[Path], object], message: str
) -> None:
    path = tmp_path / "in.wav"
    make(path)
    with pytest.raises(AudioError) as caught:
        read_wav(path)
    assert message in str(caught.value)
    if "not a WAV" in message:
        assert "ffmpeg -i in.wav -ac 1 -ar 16000 -c:a pcm_s16le out.wav" in str(caught.value)
