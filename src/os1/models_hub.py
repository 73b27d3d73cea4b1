"""Chat models from a public model hub: a short catalogue of stronger instruct GGUFs, and a download that resumes
and verifies.

The hub is Hugging Face's (``OS1_HUB_URL``, default https://huggingface.co), asked the way its own client,
huggingface_hub, asks it: first a HEAD on ``{hub}/{repo}/resolve/{revision}/{file}`` that does not follow the
redirect. For a file kept in Git LFS (every GGUF), that answer's ``X-Linked-Etag`` is the file's sha256,
``X-Linked-Size`` its size and ``Location`` where its bytes are. Then a GET of that location, appended to
``$OS1_HOME/models/<file>.partial`` and hashed as it arrives. A connection that is cut is resumed with
``Range: bytes=N-`` (a server that ignores the range is read again from the start), and a later run resumes
from the same .partial file. Only a file of the right size and sha256 is renamed into place; one that does not
match is deleted. The catalogue pins each file's commit, size and sha256 (each confirmed against several
independent public records); any other file is checked against the hash the hub publishes, read before the
download begins.

The HTTP client is aiohttp, already os1's for the OpenAI-compatible backend: it does not follow a redirect when
asked not to, streams a body in chunks with a timeout on each read, and tells a refused connection, a cut body
and a timeout apart by their exception classes. It is imported when a download begins, not with this module.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import quote, urljoin, urlsplit

from os1 import __version__
from os1.errors import InputError, ModelError

if TYPE_CHECKING:  # aiohttp is imported where a download begins: listing and choosing models need none of it
    import aiohttp

Progress = Callable[[int, int, str], None]  # (bytes done, bytes in all, what is happening)

RETRIES = 3  # attempts in a row that bring no new byte before a download gives up (and keeps what it has)
_SHA256 = re.compile(r"[0-9a-f]{64}")
_REPO = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")


@dataclass(frozen=True)
class HubModel:
    name: str
    title: str
    repo: str
    revision: str  # a commit, so the file behind a name never changes
    filename: str
    size: int
    sha256: str
    memory_gb: float  # resident at os1's 8,192-token context: weights + f16 KV cache + ~0.3 GB of buffers
    licence: str
    licence_url: str
    note: str


CATALOGUE: dict[str, HubModel] = {
    model.name: model
    for model in (
        HubModel(
            name="qwen2.5-3b",
            title="Qwen2.5-3B-Instruct Q4_K_M",
            repo="Qwen/Qwen2.5-3B-Instruct-GGUF",
            revision="7dabda4d13d513e3e842b20f0d435c732f172cbe",
            filename="qwen2.5-3b-instruct-q4_k_m.gguf",
            size=2_104_932_768,
            sha256="626b4a6678b86442240e33df819e00132d3ba7dddfe1cdc4fbb18e0a9615c62d",
            memory_gb=2.8,
            licence="Qwen Research licence (not for commercial use)",
            licence_url="https://huggingface.co/Qwen/Qwen2.5-3B-Instruct-GGUF/blob/main/LICENSE",
            note="the default's family and chat format at twice its size; about half as fast",
        ),
        HubModel(
            name="qwen2.5-7b",
            title="Qwen2.5-7B-Instruct Q4_K_M",
            repo="bartowski/Qwen2.5-7B-Instruct-GGUF",
            revision="8911e8a47f92bac19d6f5c64a2e2095bd2f7d031",
            filename="Qwen2.5-7B-Instruct-Q4_K_M.gguf",
            size=4_683_074_240,
            sha256="65b8fcd92af6b4fefa935c625d1ac27ea29dcb6ee14589c55a8f115ceaaa1423",
            memory_gb=5.5,
            licence="Apache-2.0",
            licence_url="https://huggingface.co/Qwen/Qwen2.5-7B-Instruct",
            note="the strongest here; wants 16 GB and 8 cores to answer at a comfortable pace",
        ),
        HubModel(
            name="llama-3.2-3b",
            title="Llama-3.2-3B-Instruct Q4_K_M",
            repo="unsloth/Llama-3.2-3B-Instruct-GGUF",
            revision="e7d0997e49c9cb00d88b4c1a6a16aa894b0bbc31",
            filename="Llama-3.2-3B-Instruct-Q4_K_M.gguf",
            size=2_019_377_600,
            sha256="6c99cc00ae910f6a532a80022cb4bc1939094527a089c29294b841c0bd87f74d",
            memory_gb=3.3,
            licence="Llama 3.2 Community licence",
            licence_url="https://huggingface.co/meta-llama/Llama-3.2-3B-Instruct/blob/main/LICENSE.txt",
            note="Meta's 3B instruct model: a different voice from Qwen's",
        ),
        HubModel(
            name="gemma-3-4b",
            title="Gemma-3-4B-it Q4_K_M",
            repo="unsloth/gemma-3-4b-it-GGUF",
            revision="5a3566e716d80f709ed7b79817eaf7733d2a1fce",
            filename="gemma-3-4b-it-Q4_K_M.gguf",
            size=2_489_894_016,
            sha256="04a43a22e8d2003deda5acc262f68ec1005fa76c735a9962a8c77042a74a7d19",
            memory_gb=3.9,
            licence="Gemma Terms of Use",
            licence_url="https://ai.google.dev/gemma/terms",
            note="Google's 4B instruct model, text only (its image encoder is a file of its own)",
        ),
    )
}


@dataclass(frozen=True)
class Remote:
    """What the hub says of a file before any of it is downloaded."""

    url: str  # where the bytes are: the redirect's target, or the file's own address
    size: int
    sha256: str


@dataclass(frozen=True)
class Advice:
    model: HubModel | None  # None: the packaged default suits this machine best
    why: str


def lookup(name: str) -> HubModel:
    try:
        return CATALOGUE[name]
    except KeyError:
        raise ModelError(f"unknown hub model {name!r}: choose one of {', '.join(CATALOGUE)}") from None


def installed_path(directory: Path, name: str) -> Path:
    return directory / lookup(name).filename


def recommend(memory: int | None, cores: int | None) -> Advice:
    """The catalogue model that suits a machine with ``memory`` bytes and ``cores`` CPU cores, and why.

    On a CPU, prompt reading scales with cores and writing with memory bandwidth: a 3B model is about half as
    fast as the packaged 1.5B, a 7B about a quarter. Below 8 GB a bigger model crowds out speech and the rest of
    the machine; on fewer than 4 cores a 3B makes every first reply twice as slow. The 3B chosen is Qwen's: the
    same family and chat format as the default, which os1's prompts were tuned on."""
    if not memory or not cores:
        return Advice(None, "the memory and cores of this machine could not be read")
    gb = memory / 2**30
    machine = f"{gb:.0f} GB of memory and {cores} core{'s' if cores > 1 else ''}"
    if gb < 7.5:  # a machine sold as "8 GB" reports a little less
        return Advice(None, f"{machine}: a bigger model would crowd out speech and the rest of the machine")
    if cores < 4:
        return Advice(None, f"{machine}: on fewer than 4 cores a 3B model replies about half as fast")
    if gb >= 15 and cores >= 8:
        return Advice(CATALOGUE["qwen2.5-7b"], f"{machine}: room and cores enough for a 7B model")
    return Advice(CATALOGUE["qwen2.5-3b"], f"{machine}: room for a 3B model (a 7B wants 16 GB and 8 cores)")


async def install(
    hub: str, directory: Path, name: str, progress: Progress | None = None, retry_wait: float = 1.0
) -> Path:
    """Download and verify a catalogue model into ``directory``: its pinned commit, size and sha256."""
    model = lookup(name)
    pinned = (model.size, model.sha256)
    return await download(hub, directory, model.repo, model.filename, revision=model.revision, pinned=pinned,
                          progress=progress, retry_wait=retry_wait)  # fmt: skip


async def download(
    hub: str,
    directory: Path,
    repo: str,
    filename: str,
    *,
    revision: str = "main",
    pinned: tuple[int, str] | None = None,
    progress: Progress | None = None,
    retry_wait: float = 1.0,
) -> Path:
    """Download ``filename`` of the hub repository ``repo`` into ``directory`` and check its size and sha256
    (``pinned``, or what the hub publishes); a no-op when a file of that name is there. After a cut, the next
    attempt waits ``retry_wait`` seconds."""
    _check_names(repo, filename, revision)
    target = directory / Path(filename).name
    if _ready(target):
        return target
    import aiohttp

    report = progress or (lambda done, total, what: None)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=60)
    async with aiohttp.ClientSession(timeout=timeout, headers={"User-Agent": f"os1/{__version__}"}) as session:
        remote = await metadata(session, hub, repo, filename, revision)
        if pinned is not None and (remote.size, remote.sha256) != pinned:
            raise ModelError(
                f"the hub now serves {repo}/{filename} at {revision[:12]} as {remote.size:,} bytes with sha256 "
                f"{remote.sha256[:12]}..., not the {pinned[0]:,} bytes with sha256 {pinned[1][:12]}... that os1 "
                "pinned: nothing was downloaded; check OS1_HUB_URL, or update os1"
            )
        part = await asyncio.to_thread(_Partial, target.with_name(target.name + ".partial"), remote.size, report)
        _check_space(directory, remote.size - part.size, filename)
        await _fetch(session, hub, remote, part, retry_wait)
    report(remote.size, remote.size, "checking sha256")
    if part.digest.hexdigest() != remote.sha256:
        part.path.unlink()
        raise ModelError(
            f"{filename}: the {remote.size:,} bytes downloaded have sha256 {part.digest.hexdigest()[:12]}..., "
            f"but the hub publishes {remote.sha256[:12]}... for it; nothing was kept. Run the command again: if "
            "it fails the same way, the file or the network between you and the hub is not to be trusted"
        )
    part.path.replace(target)
    return target


async def metadata(session: aiohttp.ClientSession, hub: str, repo: str, filename: str, revision: str) -> Remote:
    """HEAD on the file's address without following the redirect to the file's storage (only a relative one,
    which is a renamed repository), as huggingface_hub's ``get_hf_file_metadata`` does."""
    import aiohttp

    url = f"{hub}/{repo}/resolve/{quote(revision, safe='')}/{quote(filename)}"
    for _ in range(5):
        try:  # identity: the size and hash must be those of the file itself, not of a compressed copy
            async with session.head(url, allow_redirects=False, headers={"Accept-Encoding": "identity"}) as reply:
                status, headers = reply.status, reply.headers
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ModelError(_unreachable(hub, exc)) from exc
        location = headers.get("Location")
        if not (300 <= status < 400 and location and not urlsplit(location).netloc):
            break
        url = urljoin(url, location)
    if status >= 400 or (300 <= status < 400 and not location):
        raise ModelError(_refusal(status, headers, hub, repo, filename, revision))
    etag = (headers.get("X-Linked-Etag") or headers.get("ETag") or "").removeprefix("W/").strip('"').lower()
    size = headers.get("X-Linked-Size") or headers.get("Content-Length") or ""
    if not _SHA256.fullmatch(etag) or not size.isdigit():
        raise ModelError(
            f"the hub published no sha256 and size for {repo}/{filename} (ETag {etag or 'none'}, size "
            f"{size or 'none'}), so it could not be checked: os1 installs only files it can verify"
        )
    return Remote(urljoin(url, location) if location else url, int(size), etag)


class _Partial:
    """The ``.partial`` file of a download, and the sha256 of the bytes it holds so far."""

    def __init__(self, path: Path, total: int, report: Progress) -> None:
        self.path, self.total, self.report = path, total, report
        self.digest = hashlib.sha256()
        self.size = 0
        if path.exists() and path.stat().st_size > total:
            path.unlink()  # not a beginning of this file
        if path.exists():
            with path.open("rb") as f:
                while chunk := f.read(4 << 20):
                    self.digest.update(chunk)
                    self.size += len(chunk)
                    report(self.size, total, "reading the .partial file")

    def restart(self) -> None:
        self.path.write_bytes(b"")
        self.digest = hashlib.sha256()
        self.size = 0

    def append(self, out: BinaryIO, chunk: bytes) -> None:
        if self.size + len(chunk) > self.total:
            out.close()
            self.path.unlink()
            raise ModelError(
                f"the server sent more than the {self.total:,} bytes the hub published for {self.path.stem}: "
                "nothing was kept; run the command again"
            )
        out.write(chunk)
        self.digest.update(chunk)
        self.size += len(chunk)
        self.report(self.size, self.total, "downloading")


class _Cut(Exception):
    """A GET that broke off, and how many bytes it had brought by then."""

    def __init__(self, received: int, cause: BaseException) -> None:
        super().__init__(str(cause) or type(cause).__name__)
        self.received, self.cause = received, cause


async def _fetch(session: aiohttp.ClientSession, hub: str, remote: Remote, part: _Partial, wait: float) -> None:
    """Fill ``part`` from ``remote``, resuming after a cut; give up after RETRIES attempts in a row that bring
    nothing, keeping what arrived for the next run."""
    import aiohttp

    stalled = 0
    while part.size < remote.size:
        error: BaseException | None = None
        try:
            received = await _get(session, remote, part)
        except _Cut as cut:
            received, error = cut.received, cut.cause
        stalled = 0 if received else stalled + 1
        if part.size < remote.size and stalled >= RETRIES:
            where = _unreachable(hub, error) + ". " if isinstance(error, aiohttp.ClientConnectorError) else ""
            raise ModelError(
                f"{where}The download of {part.path.stem} stopped at {part.size:,} of {remote.size:,} bytes "
                f"({error or 'the server closed the connection'}); what arrived is kept in {part.path}: run the "
                "same command again to resume"
            ) from error
        if part.size < remote.size:
            await asyncio.sleep(wait)


async def _get(session: aiohttp.ClientSession, remote: Remote, part: _Partial) -> int:
    """One GET of the rest of the file; returns how many bytes it brought (a _Cut says it when it breaks off)."""
    import aiohttp

    headers = {"Accept-Encoding": "identity"}
    if part.size:
        headers["Range"] = f"bytes={part.size}-"
    received = 0
    try:
        async with session.get(remote.url, headers=headers) as response:
            if response.status == 206 and not response.headers.get("Content-Range", "").startswith(
                f"bytes {part.size}-"
            ):
                part.restart()  # not the range asked for: ask for the whole file next time
                return 0
            if response.status not in (200, 206):
                if response.status == 416:
                    part.restart()  # the range is past the file's end: what is kept is not a beginning of it
                raise ModelError(
                    f"the hub's storage answered {response.status} for {part.path.stem} "
                    f"({(await response.text(errors='replace'))[:200]!r}): run the same command again later"
                )
            if response.status == 200 and part.size:
                part.restart()  # the server ignored the range: the body is the whole file
            with part.path.open("ab") as out:
                async for chunk in response.content.iter_chunked(1 << 20):
                    part.append(out, chunk)
                    received += len(chunk)
    except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError, TimeoutError) as exc:
        raise _Cut(received, exc) from exc
    return received


def _check_names(repo: str, filename: str, revision: str) -> None:
    if not _REPO.fullmatch(repo):
        raise InputError(f"{repo!r} is not a repository on the hub: its names are owner/name, e.g. Qwen/Qwen2.5-3B")
    parts = filename.split("/")
    if "\\" in filename or ".." in parts or "" in parts:
        raise InputError(f"{filename!r} is not the name of a file in a repository, e.g. model-q4_k_m.gguf")
    if not filename.lower().endswith(".gguf"):
        raise InputError(f"{filename!r} is not a GGUF file: os1 runs .gguf models; pick one of the repository's")
    if not revision or revision.strip() != revision:
        raise InputError(f"{revision!r} is not a revision: use main, a branch, a tag or a commit")


def _ready(target: Path) -> bool:
    """Whether ``target`` is already there; if not, its folder is made."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.exists()


def _check_space(directory: Path, needed: int, filename: str) -> None:
    free = shutil.disk_usage(directory).free
    if needed > free:
        raise ModelError(
            f"{filename} needs {needed / 1e9:,.1f} GB more in {directory}, which has {free / 1e9:,.1f} GB free: "
            "make room, or set OS1_HOME to a disk with space"
        )


def _unreachable(hub: str, exc: BaseException | None) -> str:
    return (
        f"you are offline, or the model hub cannot be reached ({hub}: {exc or 'no answer'}): check the network "
        "connection and run the same command again (a download that was cut off resumes where it stopped); "
        "OS1_HUB_URL points os1 at a mirror of the hub"
    )


def _refusal(status: int, headers: Mapping[str, str], hub: str, repo: str, filename: str, revision: str) -> str:
    code = headers.get("X-Error-Code", "")
    files = f"{hub}/{repo}/tree/{revision}"
    if code == "GatedRepo" or (status == 403 and not code):
        return (
            f"{repo} is gated: the hub wants you to sign in and accept its terms, which os1 does not do; download "
            f"the file in a browser and set OS1_MODEL to its path, or pick a repository that is not gated"
        )
    if code == "RepoNotFound" or (status == 401 and not code):
        return (
            f"there is no repository {repo} on the model hub (or it is private): check the name (owner/name, "
            f"case-sensitive) at {hub}/{repo}, or look for GGUF repositories at {hub}/models?search=gguf"
        )
    if code == "RevisionNotFound":
        return f"{repo} has no revision {revision!r}: use main, a branch, a tag or a commit (see {hub}/{repo})"
    if code == "EntryNotFound" or status == 404:
        return (
            f"{repo} has no file {filename!r} at revision {revision} (or the repository does not exist): file "
            f"names are case-sensitive; the repository's files are listed at {files}"
        )
    if status == 429:
        return "the model hub is limiting requests (429): wait a few minutes and run the command again"
    if status >= 500:
        return f"the model hub answered {status}, a fault on its side: try again later"
    return f"the model hub answered {status} for {repo}/{filename}: check the names at {files}"
