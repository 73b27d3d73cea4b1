"""Models from the hub, downloaded from a real local HTTP server that answers as the hub does (tests/fakehub.py)."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from os1 import models, models_hub
from os1.config import Settings
from os1.errors import InputError, ModelError
from tests.fakehub import FakeHub, closed_port, running_hub, tiny_gguf

REPO, FILE = "someone/Tiny-GGUF", "tiny-q4_k_m.gguf"
GIB = 2**30


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with running_hub() as hub:
        yield hub


def fetch(hub: FakeHub, into: Path, repo: str = REPO, filename: str = FILE) -> Path:
    return asyncio.run(models_hub.download(hub.url, into, repo, filename, retry_wait=0))


def test_a_file_is_downloaded_and_verified_against_the_hash_the_hub_publishes(hub: FakeHub, tmp_path: Path) -> None:
    data = tiny_gguf()
    hub.add(REPO, FILE, data)
    path = fetch(hub, tmp_path / "models")
    assert path == tmp_path / "models" / FILE and path.read_bytes() == data
    assert not list(path.parent.glob("*.partial"))
    head, get = hub.seen
    assert (head.method, head.path, head.status) == ("HEAD", f"/{REPO}/resolve/main/{FILE}", 302)
    assert head.headers["Accept-Encoding"] == "identity"
    assert get.path.startswith("/storage/") and "Range" not in get.headers  # the redirect's target, read whole


def test_a_transfer_cut_midway_resumes_with_a_range_request(hub: FakeHub, tmp_path: Path) -> None:
    data = tiny_gguf()
    hub.add(REPO, FILE, data)
    hub.cuts = [100_000]
    path = fetch(hub, tmp_path)
    first, second = hub.gets()
    assert "Range" not in first.headers
    assert (second.headers["Range"], second.status) == ("bytes=100000-", 206)
    assert path.read_bytes() == data


def test_a_server_that_ignores_the_range_is_read_again_from_the_start(hub: FakeHub, tmp_path: Path) -> None:
    data = tiny_gguf()
    hub.add(REPO, FILE, data)
    hub.cuts, hub.ignore_range = [100_000], True
    path = fetch(hub, tmp_path)
    second = hub.gets()[1]
    assert (second.headers["Range"], second.status) == ("bytes=100000-", 200)
    assert path.read_bytes() == data


def test_a_download_that_keeps_failing_keeps_what_arrived_and_the_next_run_resumes(
    hub: FakeHub, tmp_path: Path
) -> None:
    data = tiny_gguf()
    hub.add(REPO, FILE, data)
    hub.cuts = [100_000] + [0] * models_hub.RETRIES
    with pytest.raises(ModelError) as caught:
        fetch(hub, tmp_path)
    partial = tmp_path / f"{FILE}.partial"
    assert f"stopped at 100,000 of {len(data):,} bytes" in str(caught.value)
    assert f"kept in {partial}: run the same command again to resume" in str(caught.value)
    assert partial.read_bytes() == data[:100_000] and not (tmp_path / FILE).exists()

    path = fetch(hub, tmp_path)  # the next run
    assert hub.gets()[-1].headers["Range"] == "bytes=100000-"
    assert path.read_bytes() == data and not partial.exists()


def test_a_file_whose_hash_is_wrong_is_not_kept(hub: FakeHub, tmp_path: Path) -> None:
    hub.add(REPO, FILE, tiny_gguf(), published="ab" * 32)
    with pytest.raises(ModelError) as caught:
        fetch(hub, tmp_path)
    assert "but the hub publishes abababababab... for it; nothing was kept" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("repo", "filename", "message"),
    [
        (REPO, "tiny-q8_0.gguf", f"{REPO} has no file 'tiny-q8_0.gguf' at revision main"),
        (REPO, "tiny-q8_0.gguf", f"the repository's files are listed at {{hub}}/{REPO}/tree/main"),
        ("nobody/Nothing-GGUF", FILE, "there is no repository nobody/Nothing-GGUF on the model hub"),
    ],
)
def test_a_file_or_repository_that_does_not_exist_says_where_to_look(
    hub: FakeHub, tmp_path: Path, repo: str, filename: str, message: str
) -> None:
    hub.add(REPO, FILE, tiny_gguf())
    with pytest.raises(ModelError) as caught:
        fetch(hub, tmp_path, repo, filename)
    assert message.format(hub=hub.url) in str(caught.value)
    assert hub.gets() == [] and list(tmp_path.iterdir()) == []


def test_a_hub_that_cannot_be_reached_says_so_and_what_to_do(tmp_path: Path) -> None:
    hub = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(ModelError) as caught:
        asyncio.run(models_hub.download(hub, tmp_path, REPO, FILE))
    message = str(caught.value)
    assert message.startswith(f"you are offline, or the model hub cannot be reached ({hub}: ")
    assert "check the network connection and run the same command again" in message


@pytest.mark.parametrize(
    ("repo", "filename", "message"),
    [
        ("Tiny-GGUF", FILE, "'Tiny-GGUF' is not a repository on the hub: its names are owner/name"),
        (REPO, "../../.bashrc.gguf", "'../../.bashrc.gguf' is not the name of a file in a repository"),
        (REPO, "model.safetensors", "'model.safetensors' is not a GGUF file"),
    ],
)
def test_names_are_checked_before_the_hub_is_asked(
    hub: FakeHub, tmp_path: Path, repo: str, filename: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        fetch(hub, tmp_path, repo, filename)
    assert hub.seen == []


def test_a_catalogue_model_must_be_the_very_file_os1_pinned(hub: FakeHub, tmp_path: Path) -> None:
    model = models_hub.CATALOGUE["qwen2.5-3b"]
    hub.add(model.repo, model.filename, tiny_gguf(), revision=model.revision)
    with pytest.raises(ModelError) as caught:
        asyncio.run(models_hub.install(hub.url, tmp_path, "qwen2.5-3b"))
    assert f"not the 2,104,932,768 bytes with sha256 {model.sha256[:12]}... that os1 pinned" in str(caught.value)
    assert hub.seen[0].path == f"/{model.repo}/resolve/{model.revision}/{model.filename}"
    assert hub.gets() == [] and list(tmp_path.iterdir()) == []


def test_a_hub_model_is_selected_by_name_once_installed(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, model="llama-3.2-3b")
    with pytest.raises(ModelError, match=r"model llama-3.2-3b is not installed: run `os1 models install llama-3.2-3b`"):
        models.resolve(settings)
    path = models_hub.installed_path(models.models_dir(settings), "llama-3.2-3b")
    path.parent.mkdir()
    path.write_bytes(tiny_gguf(1_000))
    assert models.resolve(settings) == path


def test_a_file_from_any_repository_is_selected_by_its_name(tmp_path: Path) -> None:
    folder = models.models_dir(Settings(home=tmp_path))
    folder.mkdir()
    (folder / FILE).write_bytes(tiny_gguf(1_000))
    assert models.resolve(Settings(home=tmp_path, model=FILE)) == folder / FILE


def test_the_catalogues_share_no_name_and_every_hub_file_is_pinned() -> None:
    assert not set(models.CATALOGUE) & set(models_hub.CATALOGUE)
    for model in models_hub.CATALOGUE.values():
        assert len(model.revision) == 40 and len(model.sha256) == 64 and model.filename.endswith(".gguf")


@pytest.mark.parametrize(
    ("memory", "cores", "chosen"),
    [
        (4 * GIB, 8, None),  # too little memory
        (int(7.7 * GIB), 4, "qwen2.5-3b"),  # an "8 GB" laptop reports a little less
        (64 * GIB, 2, None),  # like this machine: two cores
        (16 * GIB, 4, "qwen2.5-3b"),
        (16 * GIB, 8, "qwen2.5-7b"),
        (None, 8, None),
    ],
)
def test_the_recommendation_follows_memory_and_cores(memory: int | None, cores: int, chosen: str | None) -> None:
    advice = models_hub.recommend(memory, cores)
    assert (advice.model.name if advice.model else None) == chosen
    assert advice.why
