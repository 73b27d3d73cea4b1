"""Sound as os1 handles it: mono float32 samples in [-1, 1] with their rate, read from and written to WAV files.

Everything that listens (VAD, speech to text) takes 16 kHz; a recording at another rate is resampled on the
way in (in the frequency domain, so 48 kHz speech does not alias). What cannot be used is refused with an
``AudioError`` that says what to do: a file that is not a WAV, a float or compressed WAV, nothing in it.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from os1.errors import AudioError

Samples = npt.NDArray[np.float32]
RATE = 16_000  # what VAD and speech to text take
FRAME = 512  # samples in one VAD frame: 32 ms at 16 kHz
MAX_SECONDS = 30 * 60  # a longer input file is surely not one conversation's speech


@dataclass(frozen=True)
class Audio:
    samples: Samples
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    def at(self, rate: int) -> Audio:
        """The same sound at ``rate``."""
        return self if rate == self.rate else Audio(resample(self.samples, self.rate, rate), rate)


def read_wav(path: Path) -> Audio:
    """A WAV file as mono float32 (channels are averaged). PCM of 8, 16, 24 or 32 bits."""
    try:
        with wave.open(str(path), "rb") as f:
            channels, width, rate, count = f.getnchannels(), f.getsampwidth(), f.getframerate(), f.getnframes()
            if count > MAX_SECONDS * rate:
                raise AudioError(f"{path} is {count / rate / 60:.0f} minutes long: give at most 30 minutes")
            raw = f.readframes(count)
    except FileNotFoundError:
        raise AudioError(f"no such file: {path}") from None
    except (wave.Error, EOFError) as exc:
        raise AudioError(
            f"{path} is not a WAV file os1 can read ({exc}): save it as PCM WAV, e.g. "
            f"`ffmpeg -i {path.name} -ac 1 -ar 16000 -c:a pcm_s16le out.wav`"
        ) from None
    if count == 0 or not raw:
        raise AudioError(f"{path} holds no sound (0 samples): record something first")
    samples = _pcm(raw, width, path)
    usable = len(samples) // channels * channels
    mono = samples[:usable].reshape(-1, channels).mean(axis=1, dtype=np.float32)
    return Audio(mono.astype(np.float32), rate)


def write_wav(path: Path, audio: Audio) -> None:
    """16-bit mono PCM."""
    pcm = np.clip(np.rint(audio.samples * 32767), -32768, 32767).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(audio.rate)
        f.writeframes(pcm.tobytes())


def resample(samples: Samples, rate: int, to: int) -> Samples:
    """``samples`` at ``rate`` as they sound at ``to``: the spectrum cut (or padded) to the new Nyquist
    frequency, so nothing above it folds back as noise."""
    if rate == to or not len(samples):
        return samples
    count = max(1, round(len(samples) * to / rate))
    spectrum = np.fft.rfft(samples.astype(np.float64))
    return (np.fft.irfft(spectrum, count) * (count / len(samples))).astype(np.float32)


def _pcm(raw: bytes, width: int, path: Path) -> Samples:
    if width == 1:
        return ((np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128) / 128).astype(np.float32)
    if width == 2:
        return (np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768).astype(np.float32)
    if width == 3:
        bytes3 = np.frombuffer(raw[: len(raw) // 3 * 3], dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = bytes3[:, 0] | (bytes3[:, 1] << 8) | (bytes3[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        return (value / float(1 << 23)).astype(np.float32)
    if width == 4:
        return (np.frombuffer(raw, dtype="<i4").astype(np.float64) / 2**31).astype(np.float32)
    raise AudioError(f"{path} has {width * 8}-bit samples: save it as 16-bit PCM WAV")
