"""A model hub for tests: a real HTTP server on 127.0.0.1 that answers as Hugging Face's does, and misbehaves
when asked to.

A HEAD on ``/{repo}/resolve/{revision}/{file}`` is a 302 to the file's storage, with ``X-Linked-Etag`` (the sha256,
quoted), ``X-Linked-Size``, and an ``ETag`` of its own that is not the sha256 (as the hub sends); an unknown
repository is a 401 with ``X-Error-Code: RepoNotFound`` and an unknown file a 404 with ``EntryNotFound``. A GET
of ``/storage/{sha256}`` serves the bytes and honours ``Range: bytes=N-`` with a 206, unless ``ignore_range``;
each number in ``cuts`` makes one GET send only that many bytes of its body and close the connection.
"""

from __future__ import annotations

import hashlib
import random
import re
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote


def tiny_gguf(size: int = 300_000, seed: int = 7) -> bytes:
    """A GGUF file llama.cpp would recognise (magic, version 3, no tensors, no metadata), padded to ``size``."""
    header = b"GGUF" + struct.pack("<IQQ", 3, 0, 0)
    return header + random.Random(seed).randbytes(size - len(header))


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    status: int = 0


@dataclass
class FakeHub:
    url: str = ""
    files: dict[tuple[str, str, str], tuple[bytes, str]] = field(default_factory=dict)  # -> (bytes, published)
    cuts: list[int] = field(default_factory=list)
    ignore_range: bool = False
    seen: list[Seen] = field(default_factory=list)

    def add(self, repo: str, filename: str, data: bytes, revision: str = "main", published: str | None = None) -> str:
        """Serve ``data`` as ``filename`` of ``repo``; the hub publishes ``published`` as its sha256 (by default,
        the true one). Returns the true sha256."""
        sha256 = hashlib.sha256(data).hexdigest()
        self.files[repo, revision, filename] = (data, published or sha256)
        return sha256

    def gets(self) -> list[Seen]:
        return [seen for seen in self.seen if seen.method == "GET"]


@contextmanager
def running_hub() -> Iterator[FakeHub]:
    hub = FakeHub()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self._resolve()

        def do_GET(self) -> None:
            if self.path.startswith("/storage/"):
                self._storage()
            else:
                self._resolve()

        def _note(self, status: int) -> None:
            hub.seen.append(Seen(self.command, self.path, dict(self.headers), status))

        def _resolve(self) -> None:
            match = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", self.path)
            if match is None:
                return self._status(404, "")
            repo, revision, filename = (unquote(part) for part in match.groups())
            if not any(key[0] == repo for key in hub.files):
                return self._status(401, "RepoNotFound")
            if (repo, revision, filename) not in hub.files:
                return self._status(404, "EntryNotFound")
            data, published = hub.files[repo, revision, filename]
            self._note(302)
            self.send_response(302)
            self.send_header("Location", f"{hub.url}/storage/{hashlib.sha256(data).hexdigest()}")
            self.send_header("X-Linked-Etag", f'"{published}"')
            self.send_header("X-Linked-Size", str(len(data)))
            self.send_header("ETag", '"' + hashlib.sha1(data).hexdigest() + '"')  # the pointer's, not the file's
            self.send_header("X-Repo-Commit", "0" * 40)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _storage(self) -> None:
            sha256 = self.path.removeprefix("/storage/")
            data = next((data for data, _ in hub.files.values() if hashlib.sha256(data).hexdigest() == sha256), None)
            if data is None:
                return self._status(404, "")
            asked = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
            start = 0 if asked is None or hub.ignore_range else int(asked.group(1))
            status = 206 if start else 200
            self._note(status)
            self.send_response(status)
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            body = data[start:]
            if hub.cuts:
                body = body[: hub.cuts.pop(0)]
                self.close_connection = True
            self.wfile.write(body)
            self.wfile.flush()

        def _status(self, status: int, code: str) -> None:
            self._note(status)
            self.send_response(status)
            if code:
                self.send_header("X-Error-Code", code)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
