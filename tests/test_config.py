from pathlib import Path

import pytest

from os1.config import DEFAULT_MODEL, Settings
from os1.errors import ConfigError


def test_defaults_use_the_embedded_model(tmp_path: Path) -> None:
    settings = Settings.load({"OS1_HOME": str(tmp_path)})
    assert settings.home == tmp_path
    assert settings.model == DEFAULT_MODEL
    assert settings.backend == "llamacpp"


def test_environment_wins_over_the_settings_file(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('model = "qwen2.5-0.5b"\nthreads = 3\nllm_url = "http://a:1/v1"\n')
    settings = Settings.load({"OS1_HOME": str(tmp_path), "OS1_THREADS": "1"})
    assert settings.model == "qwen2.5-0.5b"
    assert settings.threads == 1
    assert settings.backend == "openai"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("threads = 0\n", "threads must be a whole number of at least 1 (not 0)"),
        ('modle = "x"\n', "unknown setting 'modle'"),
        ("model = \n", "is not valid TOML"),
        ('hub_url = "huggingface.co"\n', "hub_url must be a URL starting with https:// or http://"),
    ],
)
def test_a_bad_settings_file_is_named_with_the_bad_value(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "config.toml").write_text(text)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings.load({"OS1_HOME": str(tmp_path)})
