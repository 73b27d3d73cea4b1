"""``os1 models`` through click's runner, installing from a real local server that answers as the model hub does."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from os1 import models, models_hub
from os1.cli import cli
from os1.config import Settings
from tests.fakehub import FakeHub, running_hub, tiny_gguf

REPO, FILE = "someone/Tiny-GGUF", "tiny-q4_k_m.gguf"


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with running_hub() as hub:
        yield hub


def run(home: Path, hub: FakeHub, *args: str, **env: str) -> Result:
    environment = {"OS1_HOME": str(home), "OS1_HUB_URL": hub.url, "COLUMNS": "220", "TERM": "xterm", "NO_COLOR": "1"}
    return CliRunner().invoke(cli, ["models", *args], env={**environment, **env})


def test_install_repo_file_downloads_verifies_and_makes_it_selectable(hub: FakeHub, tmp_path: Path) -> None:
    data = tiny_gguf()
    hub.add(REPO, FILE, data)
    result = run(tmp_path, hub, "install", REPO, FILE)
    assert result.exit_code == 0, result.output
    path = tmp_path / "models" / FILE
    assert path.read_bytes() == data
    assert f"Installed and verified (sha256): {path}" in result.stderr
    assert f"Use it with OS1_MODEL={FILE}" in result.stderr
    assert f"its licence is the repository's: {hub.url}/{REPO}" in result.stderr
    assert models.resolve(Settings.load({"OS1_HOME": str(tmp_path), "OS1_MODEL": FILE})) == path

    again = run(tmp_path, hub, "install", REPO, FILE)
    assert again.exit_code == 0 and f"{FILE} is already in {tmp_path / 'models'}" in again.stdout
    assert len(hub.gets()) == 1


def test_install_reports_a_missing_file_and_keeps_nothing(hub: FakeHub, tmp_path: Path) -> None:
    hub.add(REPO, FILE, tiny_gguf())
    result = run(tmp_path, hub, "install", REPO, "tiny-q2_k.gguf")
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert f"error: {REPO} has no file 'tiny-q2_k.gguf' at revision main" in message
    assert f"{hub.url}/{REPO}/tree/main" in message and "Traceback" not in result.output
    assert not list((tmp_path / "models").glob("*"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("gpt-7",), "unknown model 'gpt-7': choose one of qwen2.5-1.5b,"),
        (("qwen2.5-3b", "--revision", "v2"), "--revision goes with a repository and a file"),
        (("Tiny-GGUF", FILE), "unknown model 'Tiny-GGUF'"),
    ],
)
def test_install_refuses_what_it_cannot_install(
    hub: FakeHub, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = run(tmp_path, hub, "install", *args)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert hub.seen == []


def test_list_shows_the_hub_catalogue_with_sizes_licences_and_what_is_installed(hub: FakeHub, tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    models_hub.installed_path(folder, "gemma-3-4b").write_bytes(tiny_gguf(1_000))
    (folder / FILE).write_bytes(tiny_gguf(1_000))
    result = run(tmp_path, hub, "list", OS1_MODEL="gemma-3-4b")
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    for name in models_hub.CATALOGUE:
        assert name in lines
    assert "Qwen Research licence" in lines["qwen2.5-3b"] and "2.1 GB" in lines["qwen2.5-3b"]
    assert "Apache-2.0" in lines["qwen2.5-7b"] and "Llama 3.2 Community licence" in lines["llama-3.2-3b"]
    assert "gemma-3-4b (selected)" in lines["gemma-3-4b"] and " yes " in lines["gemma-3-4b"]
    assert " no " in lines["qwen2.5-7b"]
    assert f"Other model files in {folder}: {FILE}" in result.stdout
    assert hub.seen == []  # listing asks the hub nothing
