"""What the workers of one server share: whose conversations are live in any of them, one reply at a time per
user whichever worker takes it, and word to the others when a user's transcript changed.

One worker (the default) shares nothing: ``Alone``. Several workers (``os1 serve --workers N``) share through
Redis (``redis_url``): ``ThroughRedis``. Each worker writes the ids of the users live in it every
``REPORT_SECONDS`` into a hash, with the time it wrote them, and reads the others' (a worker silent for
``STALE_SECONDS`` no longer counts; a user live in two workers is one conversation); a
user's replies are made under a Redis lock named for them; a worker that changed a user's transcript publishes
the user's id, and every other worker that holds that user's space reads the transcript again and tells the
user's open connections; a worker that deleted an account says so, and the others drop that user's space and
close their connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from os1.errors import ConfigError, StoreError

log = logging.getLogger(__name__)

REPORT_SECONDS = 2.0
STALE_SECONDS = 10.0
CLOSE_SECONDS = 5.0
LOCK_SECONDS = 600  # a reply holding a user's lock longer than this has died with its worker
CHANNEL = "os1:changed"
LIVE = "os1:live"


class Hub(Protocol):
    async def start(
        self, live: Callable[[], set[str]], changed: Callable[[str], None], erased: Callable[[str], None]
    ) -> None:
        """Begin sharing: ``live()`` is whose conversations are live in this worker; ``changed(user_id)`` is
        called when another worker changed that user's transcript, ``erased(user_id)`` when it deleted the
        account."""
        ...

    def live_elsewhere(self) -> set[str]:
        """Whose conversations are live in the other workers, as they last reported."""
        ...

    def turn(self, user_id: str) -> contextlib.AbstractAsyncContextManager[None]:
        """Held while one of the user's replies is made, in every worker."""
        ...

    async def changed(self, user_id: str) -> None:
        """Tell the other workers that the user's transcript changed."""
        ...

    async def erased(self, user_id: str) -> None:
        """Tell the other workers that the user's account and data were deleted."""
        ...

    async def close(self) -> None: ...


class Alone:
    """One worker: nothing to share (a user's replies are already one at a time within it)."""

    async def start(
        self, live: Callable[[], set[str]], changed: Callable[[str], None], erased: Callable[[str], None]
    ) -> None:
        pass

    def live_elsewhere(self) -> set[str]:
        return set()

    @contextlib.asynccontextmanager
    async def turn(self, user_id: str) -> AsyncIterator[None]:
        yield

    async def changed(self, user_id: str) -> None:
        pass

    async def erased(self, user_id: str) -> None:
        pass

    async def close(self) -> None:
        pass


class ThroughRedis:
    def __init__(self, url: str):
        try:
            import redis.asyncio
        except ImportError as exc:
            raise ConfigError(f"redis_url is set, but the 'redis' package is missing ({exc}): "
                              "pip install 'os1[redis]'") from None  # fmt: skip
        self.url = url
        self.worker = secrets.token_hex(6)
        self._redis: Any = redis.asyncio.from_url(url)
        self._elsewhere: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(
        self, live: Callable[[], set[str]], changed: Callable[[str], None], erased: Callable[[str], None]
    ) -> None:
        try:
            await self._redis.ping()
        except Exception as exc:  # redis' connection errors, whatever their class
            raise StoreError(f"Redis at {self.url} does not answer ({exc}): start it, or unset redis_url") from exc
        self._tasks = [
            asyncio.create_task(self._report(live)),
            asyncio.create_task(self._listen(changed, erased)),
        ]

    def live_elsewhere(self) -> set[str]:
        return self._elsewhere

    @contextlib.asynccontextmanager
    async def turn(self, user_id: str) -> AsyncIterator[None]:
        async with self._redis.lock(f"os1:turn:{user_id}", timeout=LOCK_SECONDS, blocking_timeout=LOCK_SECONDS):
            yield

    async def changed(self, user_id: str) -> None:
        await self._redis.publish(CHANNEL, json.dumps({"user": user_id, "worker": self.worker}))

    async def erased(self, user_id: str) -> None:
        await self._redis.publish(CHANNEL, json.dumps({"user": user_id, "worker": self.worker, "erased": True}))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:  # a task that swallows its cancellation must not keep the worker from stopping
            _, stuck = await asyncio.wait(self._tasks, timeout=CLOSE_SECONDS)
            if stuck:
                log.warning("%d Redis task(s) did not stop within %g s; leaving them", len(stuck), CLOSE_SECONDS)
        with contextlib.suppress(Exception):
            await self._redis.hdel(LIVE, self.worker)
        await self._redis.aclose()

    async def _report(self, live: Callable[[], set[str]]) -> None:
        while True:
            try:
                now = time.time()
                await self._redis.hset(LIVE, self.worker, json.dumps([sorted(live()), now]))
                reports = await self._redis.hgetall(LIVE)
                others = [json.loads(value) for key, value in reports.items() if key.decode() != self.worker]
                self._elsewhere = {user for users, at in others if now - at < STALE_SECONDS for user in users}
            except Exception as exc:  # Redis gone for a moment: the count is stale, the next round tries again
                log.warning("could not share the live count through Redis: %s", exc)
            if (task := asyncio.current_task()) is not None and task.cancelling():
                raise asyncio.CancelledError  # a cancellation redis-py swallowed: the worker is stopping
            await asyncio.sleep(REPORT_SECONDS)

    async def _listen(self, changed: Callable[[str], None], erased: Callable[[str], None]) -> None:
        async with self._redis.pubsub() as channel:
            await channel.subscribe(CHANNEL)
            async for message in channel.listen():
                if message.get("type") != "message":
                    continue
                news = json.loads(message["data"])
                if news.get("worker") != self.worker:
                    (erased if news.get("erased") else changed)(str(news["user"]))
