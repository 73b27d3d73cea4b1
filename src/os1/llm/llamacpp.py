"""The embedded backend: llama.cpp in this process, through xllamacpp's server API.

One model per process: xllamacpp's servers do not reliably come and go many times in one process. One slot,
one worker thread: requests run one at a time (parallel slots add no throughput on a few cores),
and the slot keeps its KV cache between requests, so a prompt that starts like the previous one only pays
for its new tokens. ``return_progress`` makes llama.cpp call back every batch while it reads the prompt,
which is where a cancel is noticed even before the first token: every batch of 64 tokens, ~1 s with the 1.5B
model on 2 cores (128 took ~2 s and was only 2.5 % faster; 32 took 0.7 s and was 20 % slower).

What a prompt begins with can be kept on disk (``read(messages, keep=True)``): llama.cpp saves the slot's KV
state to a file in ``kept`` and loads it back, in milliseconds, whenever that beginning is asked for again and
the slot holds something else (memory work ran, or the app was restarted), instead of reading it again. The
files go through llama.cpp's own slot endpoint on its loopback port, behind this process's key.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import secrets
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from os1.config import Settings
from os1.errors import LLMBadResponse, LLMError, LLMUnavailable
from os1.llm import Characters, Message, complete
from os1.models import resolve

_DONE = object()
KEPT_FILES = 3  # prompt beginnings kept on disk, the newest (a rename or another model makes a new one)
_KEPT_SUFFIX = ".kv"
_native_log_lock = threading.Lock()
_native_log_path: Path | None = None


class LlamaCppLLM:
    def __init__(
        self,
        path: Path,
        *,
        threads: int = 2,
        context: int = 8192,
        log_path: Path | None = None,
        kept: Path | None = None,
    ):
        """``kept``: the folder where prompt beginnings read with ``keep`` are saved (none: they are not)."""
        self.path = path
        self.threads = threads
        self.context = context
        self.log_path = log_path
        self.kept = kept
        self.model_id = f"llamacpp:{path.name}"
        self.continues = True  # an assistant message given last is gone on from, its words kept in the cache
        self.last_timings: dict[str, Any] = {}
        self._key = secrets.token_urlsafe(24)
        self._asked: list[Message] = []  # the messages of the last request, whose KV state the slot holds
        self._server: Any = None
        self._served = False  # a request has completed on this server, so its loop is running
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="os1-llamacpp")

    @classmethod
    def from_settings(cls, settings: Settings) -> LlamaCppLLM:
        return cls(
            resolve(settings),
            threads=settings.threads,
            context=settings.context,
            log_path=settings.home / "logs" / "llamacpp.log",
            kept=settings.kept,
        )

    async def read(self, messages: Sequence[Message], *, keep: bool = False) -> None:
        """Read ``messages`` into the slot (the one token generated is the price of the prompt being read). With
        ``keep`` and a ``kept`` folder: loaded from the file kept for them, if any, and kept in one otherwise."""
        if not (keep and self.kept is not None):
            await complete(self, messages, max_tokens=1)
            return
        if self._asked[: len(messages)] == list(messages):
            return  # the slot holds them already
        name = _kept_name(self.model_id, self.context, messages)
        if await self._on_worker(lambda: self._restored(name)):
            self._asked = list(messages)
            return
        await complete(self, messages, max_tokens=1)
        await self._on_worker(lambda: self._keep(name))

    async def _on_worker(self, job: Callable[[], bool]) -> bool:
        """Run ``job`` where requests run, after every request asked before it."""
        return await asyncio.get_running_loop().run_in_executor(self._worker, job)

    def _restored(self, name: str) -> bool:
        """Whether the slot now holds what the file ``name`` kept; a file that cannot be loaded (from a llama.cpp
        of another version, or damaged) is removed."""
        assert self.kept is not None
        if not (self.kept / name).exists():
            return False
        if self._slot("restore", name):
            return True
        (self.kept / name).unlink(missing_ok=True)
        return False

    def _keep(self, name: str) -> bool:
        """Save what the slot holds to the file ``name``, for this user only; the oldest files beyond
        ``KEPT_FILES`` go."""
        assert self.kept is not None
        if not self._slot("save", name):
            return False
        (self.kept / name).chmod(0o600)
        for old in sorted(self.kept.glob(f"*{_KEPT_SUFFIX}"), key=lambda f: f.stat().st_mtime)[:-KEPT_FILES]:
            old.unlink(missing_ok=True)
        return True

    def _slot(self, action: str, name: str) -> bool:
        """Have llama.cpp save the slot's KV state to ``name`` in ``kept``, or restore it from there; whether it
        did."""
        self._ensure_server()
        request = urllib.request.Request(
            f"{self._server.listening_address}/slots/0?action={action}",
            data=json.dumps({"filename": name}).encode(),
            headers={"Authorization": f"Bearer {self._key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def warm_up(self) -> None:
        self._worker.submit(self._ensure_server)  # a failure here is raised again by the first request

    def request(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 512,
        schema: dict[str, Any] | None = None,
        temperature: float = 0.7,
        avoid: Mapping[str, float] | None = None,
    ) -> dict[str, Any]:
        """The llama.cpp request ``stream`` sends for these arguments."""
        request: dict[str, Any] = {
            "messages": list(messages),
            "stream": True,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "repeat_penalty": 1.1,
            "cache_prompt": True,
            "return_progress": True,
        }
        if avoid:
            request["logit_bias"] = [[text, -penalty] for text, penalty in avoid.items()]
        if schema is not None:
            request["response_format"] = {"type": "json_schema", "json_schema": {"schema": schema}}
        return request

    async def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 512,
        schema: dict[str, Any] | None = None,
        temperature: float = 0.7,
        avoid: Mapping[str, float] | None = None,
    ) -> AsyncIterator[str]:
        request = self.request(messages, max_tokens=max_tokens, schema=schema, temperature=temperature, avoid=avoid)
        self._asked = list(messages)
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[Any] = asyncio.Queue()
        cancelled = threading.Event()

        def on_chunk(chunk: dict[str, Any]) -> bool:
            loop.call_soon_threadsafe(chunks.put_nowait, chunk)
            return cancelled.is_set()  # True tells llama.cpp to stop and free the slot

        def run() -> None:
            try:
                self._ensure_server()
                result = self._server.handle_chat_completions(request, on_chunk)
                self._served = True
                if isinstance(result, dict) and "error" in result:
                    on_chunk(result)
            except BaseException as exc:  # delivered to the reader, which re-raises it in its own task
                loop.call_soon_threadsafe(chunks.put_nowait, exc)
            finally:
                loop.call_soon_threadsafe(chunks.put_nowait, _DONE)

        job = asyncio.wrap_future(self._worker.submit(run))
        characters = Characters()
        try:
            while (chunk := await chunks.get()) is not _DONE:
                if isinstance(chunk, BaseException):
                    raise chunk
                if "error" in chunk:
                    raise _translate(chunk["error"], self.context)
                if "timings" in chunk:
                    self.last_timings = chunk["timings"]
                for choice in chunk.get("choices") or ():
                    if text := characters.add((choice.get("delta") or {}).get("content") or ""):
                        yield text
            if text := characters.end():
                yield text
        finally:
            cancelled.set()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(job)  # the slot is free again once this returns

    async def aclose(self) -> None:
        def unload() -> None:
            if self._server is not None and not self._served:
                # xllamacpp reports "ready" just before its loop starts; a stop sent in between is lost and the
                # destructor waits forever. A completed request proves the loop is running.
                self._server.handle_chat_completions({"messages": [{"role": "user", "content": "."}], "max_tokens": 1})
            self._server = None  # the destructor stops the loop; run it where requests run

        await asyncio.get_running_loop().run_in_executor(self._worker, unload)
        self._worker.shutdown(wait=True)

    def params(self) -> Any:
        """The llama.cpp parameters this backend loads its model with."""
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = str(self.path)
        params.n_ctx = self.context
        params.n_parallel = 1
        params.n_batch = params.n_ubatch = 64  # a cancel point every batch while reading the prompt
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        # llama.cpp also listens on a loopback port; a random key per process keeps other programs (and web
        # pages, which its CORS setting would let in) away from the model and this conversation.
        params.api_keys = [self._key]
        params.endpoint_props = params.endpoint_metrics = False
        params.endpoint_slots = self.kept is not None  # saving and restoring the slot, behind the key
        if self.kept is not None:
            self.kept.mkdir(parents=True, exist_ok=True, mode=0o700)
            params.slot_save_path = f"{self.kept}{os.sep}"  # llama.cpp joins it to the file name as it is
        return params

    def _ensure_server(self) -> None:
        if self._server is not None:
            return
        import xllamacpp

        if self.log_path is not None:
            _send_native_logs_to(self.log_path)
        try:
            self._server = xllamacpp.Server(self.params())
        except RuntimeError as exc:
            raise LLMUnavailable(
                f"llama.cpp could not load {self.path} ({exc}); check that it is a complete GGUF file "
                "(`os1 doctor`), or set OS1_MODEL to another model"
            ) from exc


def _translate(error: dict[str, Any], context: int) -> LLMError:
    message = str(error.get("message", error))
    if error.get("type") == "exceed_context_size_error":
        return LLMUnavailable(
            f"the prompt does not fit the model's context of {context} tokens ({message}); raise OS1_CONTEXT"
        )
    return LLMBadResponse(f"llama.cpp refused the request: {message}")


def _send_native_logs_to(path: Path) -> None:
    """llama.cpp writes its logs straight to file descriptor 2; point that at a log file, once per process,
    and keep Python's own stderr on the terminal."""
    global _native_log_path
    with _native_log_lock:
        if _native_log_path is not None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        sys.stderr.flush()
        terminal = os.dup(2)
        log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(log, 2)
        os.close(log)
        sys.stderr = open(terminal, "w", encoding="utf-8", errors="replace", buffering=1, closefd=True)  # noqa: SIM115
        _native_log_path = path


def _kept_name(model_id: str, context: int, messages: Sequence[Message]) -> str:
    """The file a prompt beginning is kept in: named by what it holds, for this model and context."""
    digest = hashlib.sha256(json.dumps([model_id, context, list(messages)]).encode()).hexdigest()
    return f"prefix-{digest[:24]}{_KEPT_SUFFIX}"
