"""``os1 doctor`` through click's runner: what it advises, and the local LLM server it finds (a real one, faked)."""

from pathlib import Path

from click.testing import CliRunner, Result

from os1 import models_hub
from os1.cli import cli
from tests.fakehub import closed_port
from tests.test_llm_local import OLLAMA_TAGS, json_server


def doctor(home: Path, *args: str, **env: str) -> Result:
    environment = {"OS1_HOME": str(home), "COLUMNS": "250", "TERM": "xterm", "NO_COLOR": "1", **env}
    return CliRunner().invoke(cli, ["doctor", *args], env=environment)


def test_doctor_finds_a_local_ollama_and_says_how_to_use_it(tmp_path: Path) -> None:
    with json_server({"/api/tags": OLLAMA_TAGS}) as ollama:
        result = doctor(tmp_path, OLLAMA_HOST=ollama.removeprefix("http://"))
    line = next(line for line in result.stdout.splitlines() if "LLM servers here" in line)
    assert f"Ollama at {ollama}/v1 with qwen2.5:3b, llama3.2:latest" in line
    assert f"use it with OS1_LLM_URL={ollama}/v1 OS1_LLM_MODEL=qwen2.5:3b" in line


def test_doctor_says_when_no_local_server_answers(tmp_path: Path) -> None:
    port = closed_port()
    result = doctor(tmp_path, OLLAMA_HOST=f"127.0.0.1:{port}")
    assert f"none answering (Ollama at http://127.0.0.1:{port}" in result.stdout


def test_doctor_advises_a_model_for_this_machine(tmp_path: Path) -> None:
    result = doctor(tmp_path)
    line = next(line for line in result.stdout.splitlines() if "a better model" in line)
    assert "GB of memory and" in line and "core" in line


def test_a_hub_model_that_is_not_installed_gets_its_install_command(tmp_path: Path) -> None:
    result = doctor(tmp_path, OS1_MODEL="qwen2.5-7b")
    assert result.exit_code == 1
    assert "not installed: Qwen2.5-7B-Instruct Q4_K_M" in result.stdout
    assert "os1 models install qwen2.5-7b    # 4.7 GB, from the model hub" in result.stdout


def test_verify_checks_a_hub_model_against_its_pinned_hash(tmp_path: Path) -> None:
    path = models_hub.installed_path(tmp_path / "models", "llama-3.2-3b")
    path.parent.mkdir()
    path.write_bytes(b"GGUF not really")
    result = doctor(tmp_path, "--verify", OS1_MODEL="llama-3.2-3b")
    assert "(Llama 3.2 Community licence) (sha256 MISMATCH)" in result.stdout
    assert f"rm {path} && os1 models install llama-3.2-3b" in result.stdout
