"""``os1 serve``: the server for many users (web app, WebSocket, OpenAI-compatible API), on the same embedded
model by default, or on an OpenAI-compatible server (``OS1_LLM_URL``)."""

from __future__ import annotations

import os
from typing import Any

import click
import uvicorn

from os1.cli.console import ensure_model, err
from os1.config import Settings
from os1.errors import ConfigError
from os1.server.app import create_app
from os1.server.ws import SOCKET_OPTIONS


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for every interface; put TLS in front of it).")  # fmt: skip
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--secure-cookies", is_flag=True,
              help="Mark cookies Secure even over plain HTTP (behind a proxy that ends TLS).")  # fmt: skip
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (more than one shares through Redis: OS1_REDIS_URL).")  # fmt: skip
def serve(host: str, port: int, secure_cookies: bool, workers: int) -> None:
    """Serve os1 to many users: each has their own companion, memory and transcript."""
    settings = Settings.load()
    if workers > 1 and not settings.redis_url:
        raise ConfigError("several workers share live counts, locks and news through Redis: set OS1_REDIS_URL "
                          "(e.g. redis://127.0.0.1:6379/0), or run one worker")  # fmt: skip
    ensure_model(settings)
    options: dict[str, Any] = {"host": host, "port": port, "log_level": "warning", "proxy_headers": True}
    options |= SOCKET_OPTIONS
    err.print(f"os1 is serving on http://{host}:{port} (the first account made is the administrator). Ctrl-C stops it.")
    if workers == 1:
        uvicorn.run(create_app(settings, secure_cookies=secure_cookies), **options)
        return
    os.environ["OS1_SECURE_COOKIES"] = "1" if secure_cookies else ""
    uvicorn.run("os1.server.app:from_environment", factory=True, workers=workers, **options)
