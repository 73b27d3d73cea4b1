import shutil
from pathlib import Path

import pytest

from os1 import models
from os1.config import Settings
from os1.errors import ModelError


def test_the_installer_assembled_a_verified_file(small_model_path: Path) -> None:
    model = models.CATALOGUE["smollm2-135m"]
    assert small_model_path.name == model.filename
    assert models.verify(small_model_path, model)
    assert not list(small_model_path.parent.glob("*.partial"))


def test_a_tampered_file_fails_verification(small_model_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / small_model_path.name
    shutil.copyfile(small_model_path, copy)
    with copy.open("r+b") as f:
        f.seek(1_000_000)
        f.write(b"\x00\x01\x02\x03")
    assert not models.verify(copy, models.CATALOGUE["smollm2-135m"])


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("qwen2.5-1.5b", "model qwen2.5-1.5b is not installed: run `os1 models install qwen2.5-1.5b`"),
        ("minilm-l6-int8", "minilm-l6-int8 is not a chat model"),
        ("/nowhere/mine.gguf", "no model file at /nowhere/mine.gguf"),
        ("gpt-7", "unknown model 'gpt-7'"),
    ],
)
def test_resolving_a_model_that_cannot_be_used_says_what_to_do(tmp_path: Path, model: str, message: str) -> None:
    with pytest.raises(ModelError) as caught:
        models.resolve(Settings(home=tmp_path, model=model))
    assert message in str(caught.value)


def test_any_local_gguf_path_is_accepted(small_model_path: Path, tmp_path: Path) -> None:
    assert models.resolve(Settings(home=tmp_path, model=str(small_model_path))) == small_model_path
