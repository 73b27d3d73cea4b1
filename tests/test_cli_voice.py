"""``os1 voice`` as a user runs it: through files with the real small model, and refusing bad audio."""

import asyncio
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from os1 import models
from os1.config import Settings
from os1.memory.sqlite import SQLiteStore
from os1.voice.audio import RATE, Audio, read_wav, write_wav
from tests.test_cli import os1

pytestmark = pytest.mark.model


@pytest.fixture
def voiced_home(set_up_home: Path, speech_models: Settings) -> Path:
    """A set-up home with Whisper tiny.en linked in from the test cache (espeak-ng speaks)."""
    source = models.installed_path(speech_models, "whisper-tiny.en").parent
    (set_up_home / "models" / source.name).symlink_to(source)
    return set_up_home


def test_a_recording_is_answered_out_loud_and_kept_in_the_transcript(
    voiced_home: Path, small_model_path: Path, speech: Path, tmp_path: Path
) -> None:
    said = read_wav(speech / "Front_Left.wav").at(RATE).samples  # "Front, left."
    gap = np.zeros(RATE // 2, np.float32)
    write_wav(tmp_path / "in.wav", Audio(np.concatenate([gap, said, gap]), RATE))
    result = os1(voiced_home, small_model_path, "voice", "--input", str(tmp_path / "in.wav"),
                 "--output", str(tmp_path / "out.wav"), "--stt", "whisper-tiny.en", "--voice", "espeak")  # fmt: skip
    assert result.returncode == 0, result.stderr
    # what was heard, as heard: "Front, left." with AVX-512, "front left" on AVX2 alone (Whisper's int8 kernels)
    assert re.search(r"^you: front,? left\.?$", result.stdout, re.IGNORECASE | re.MULTILINE)
    assert "Samantha: " in result.stdout  # the companion's words, as it speaks them
    out = read_wav(tmp_path / "out.wav")
    assert out.rate == 22_050 and out.seconds > 2
    sound = np.flatnonzero(np.abs(out.samples) > 0.05)
    assert len(sound) and sound[0] / out.rate > len(said) / RATE  # it answered after it was spoken to
    store = SQLiteStore.open(voiced_home)
    turns = [t for t in asyncio.run(store.turns()) if t.speaker != "event"]
    store.close()
    assert [t.speaker for t in turns] == ["user", "assistant"] and turns[0].text.lower().startswith("front")


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not a wav at all", "is not a WAV file os1 can read"), (None, "no such file")],
)
def test_bad_input_audio_is_refused_before_anything_loads(
    set_up_home: Path, small_model_path: Path, tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "in.wav"
    if content is not None:
        path.write_bytes(content)
    result = os1(set_up_home, small_model_path, "voice", "--input", str(path))
    assert result.returncode == 1 and message in result.stderr
    result = os1(set_up_home, small_model_path, "voice", "--output", str(tmp_path / "out.wav"))
    assert result.returncode == 1 and "--output goes with --input" in result.stderr


def test_the_launcher_passes_its_arguments_to_the_command_not_to_the_installer() -> None:
    """``./os1 voice --input ...`` checks the Debian speech packages, then runs ``os1 voice`` with its options."""
    launcher = Path(__file__).parent.parent / "os1"
    env = {**os.environ, "OS1_EXTRAS": "dev"}  # the environment ./test set up: nothing to install
    result = subprocess.run([str(launcher), "voice", "--input", "x.wav", "--help"], env=env, capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Talk with your companion out loud." in result.stdout and "Installing" not in result.stderr
