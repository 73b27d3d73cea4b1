"""The os1 server: one process holding many users, each with their own companion, memory and transcript.

    request -> per-address rate limit -> route (auth.py: who is asking) -> that user's space (spaces.py)
            -> their companion -> the shared model -> the reply, streamed (ws.py, openai_compat.py)

``create_app`` builds it from the settings (the embedded model by default, or any OpenAI-compatible server);
tests hand it their own model. Every error os1 raises on purpose becomes a JSON answer with a status that
says what kind it is, in the shape OpenAI's clients read: ``{"error": {"message", "type"}}``.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from os1.config import Settings
from os1.errors import ConfigError, OS1Error, TooMany
from os1.llm import LLM, open_llm
from os1.memory.embed import MiniLM
from os1.memory.recall import HELD
from os1.memory.sqlite import SQLiteStore
from os1.memory.store import Store
from os1.server import api, auth, openai_compat, ws
from os1.server.accounts import Accounts
from os1.server.failures import error_response
from os1.server.heap import Heap
from os1.server.hub import Alone, ThroughRedis
from os1.server.limits import Limits, Rule
from os1.server.metrics import Metrics
from os1.server.services import Services, services
from os1.server.spaces import Spaces
from os1.server.voice import Voices

WEB = Path(__file__).parent / "web"  # the web app: plain HTML, CSS and JavaScript modules, no build step
REQUESTS = Rule("requests per address", per_minute=1200, burst=200)
TIDY_SECONDS = 60  # how often idle spaces are closed
# How long a thread may keep Python's interpreter lock while another waits for it (Python's default: 5 ms). The
# server's worker threads read SQLite (a user's vectors, a resting store), and give the lock up at every row read;
# each time, they wait for the event loop to hand it back. Two A/B pairs at 10,000 sessions (bench/load.py):
# added p99 3.10 -> 2.03 s and 2.55 -> 2.29 s, p50 unchanged.
SWITCH_SECONDS = 0.0005


def create_app(
    settings: Settings,
    *,
    llm: LLM | None = None,
    embedder: MiniLM | None = None,
    reply_tokens: int = 400,
    voices: Voices | None = None,
    secure_cookies: bool = False,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        model = llm if llm is not None else open_llm(settings)
        model.warm_up()
        hub = ThroughRedis(settings.redis_url) if settings.redis_url else Alone()
        spaces = Spaces(
            _stores(settings), model, embedder or MiniLM.from_settings(settings), context_tokens=settings.context,
            reply_tokens=reply_tokens, hub=hub,
        )  # fmt: skip
        await hub.start(spaces.live_users, spaces.changed_elsewhere, spaces.erased_elsewhere)
        accounts = Accounts(settings.home / "accounts.db")
        metrics = Metrics(spaces.live, lambda: spaces.open_count, lambda: HELD.bytes)
        spaces.recalled_ahead = metrics.recalled_ahead.inc
        speech = voices or Voices(settings)
        heap = Heap(metrics.gc_pauses)
        app.state.services = Services(settings, accounts, spaces, Limits(), metrics, heap, speech, secure_cookies)
        tidy = asyncio.create_task(_tidy(spaces))
        heap.start()
        switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_SECONDS)
        try:
            yield
        finally:
            sys.setswitchinterval(switch)
            heap.close()
            tidy.cancel()
            with suppress(asyncio.CancelledError):
                await tidy
            await spaces.aclose()
            await hub.close()
            if settings.database_url:
                from os1.memory.postgres_database import close_pools

                await close_pools()
            if llm is None:
                await model.aclose()
            accounts.close()

    app = FastAPI(
        title="os1", version="0.1.0", lifespan=lifespan, docs_url="/api/docs", openapi_url="/api/openapi.json"
    )
    app.include_router(auth.router)
    app.include_router(api.router)
    app.include_router(ws.router)
    app.include_router(openai_compat.router)

    @app.middleware("http")
    async def limit_and_count(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        found = services(request)
        try:
            found.limits.take(REQUESTS, request.client.host if request.client else "unknown")
        except TooMany as exc:
            response: Response = error_response(exc)
        else:
            response = await call_next(request)
        route = request.scope.get("route")
        found.metrics.requests.labels(getattr(route, "path", "unmatched"), str(response.status_code)).inc()
        return response

    @app.exception_handler(OS1Error)
    async def os1_error(request: Request, exc: OS1Error) -> JSONResponse:
        services(request).metrics.errors.labels(type(exc).__name__).inc()
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        return JSONResponse({"error": {"message": f"the request is not valid: {problems}",
                                       "type": "invalid_request_error"}}, status_code=422)  # fmt: skip

    app.mount("/app", StaticFiles(directory=WEB, html=True), name="web")

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/app/")

    @app.get("/healthz")
    async def health() -> dict[str, Any]:
        return {"ok": True}

    @app.get("/metrics")
    async def metrics(request: Request) -> PlainTextResponse:
        """The server's counters in Prometheus' text format (no user's id, email or words in any of them)."""
        found = services(request)
        found.heap.report()
        registry = found.metrics.registry
        return PlainTextResponse(generate_latest(registry).decode(), media_type=CONTENT_TYPE_LATEST)

    return app


def from_environment() -> FastAPI:
    """The app as ``os1 serve --workers N`` starts it in each worker: settings from the environment."""
    return create_app(Settings.load(), secure_cookies=os.environ.get("OS1_SECURE_COOKIES") == "1")


def _stores(settings: Settings) -> Callable[[str], Awaitable[Store]]:
    """Where users' data lives: PostgreSQL when ``database_url`` is set, else a SQLite file per user."""
    url = settings.database_url
    if url is None:
        return lambda user_id: _ready(SQLiteStore.open(settings.home, user_id))
    try:
        from os1.memory.postgres import PostgresStore
    except ImportError as exc:
        raise ConfigError(f"database_url is set, but {exc}") from None
    return lambda user_id: PostgresStore.open(url, user_id)


async def _ready(store: Store) -> Store:
    return store


async def _tidy(spaces: Spaces) -> None:
    while True:
        await asyncio.sleep(TIDY_SECONDS)
        await spaces.close_idle()
