"""An event loop in a thread of its own, for the terminal.

The terminal reads input with a blocking ``input()`` on the main thread; the companion's work (replies, and
memory extraction in the background) runs on this loop, which keeps running while the terminal waits. Ctrl-C
arrives on the main thread while it waits for a ``run``: the running task is cancelled, allowed to clean up
(a cut-off reply is saved as said), and ``KeyboardInterrupt`` is raised to the caller.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
CLEAN_UP_SECONDS = 10.0


class Loop:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="os1-loop", daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        task: asyncio.Task[T] = asyncio.run_coroutine_threadsafe(_spawn(coroutine), self._loop).result()
        finished = threading.Event()
        self._loop.call_soon_threadsafe(task.add_done_callback, lambda _: finished.set())
        try:
            finished.wait()
        except KeyboardInterrupt:
            self._loop.call_soon_threadsafe(task.cancel)
            finished.wait(CLEAN_UP_SECONDS)
            raise
        return task.result()

    def later(self, coroutine: Coroutine[Any, Any, Any]) -> Future[Any]:
        """Start ``coroutine`` on the loop and return at once: work done ahead while the terminal waits for the
        user (``cancel()`` the future returned when it is no longer wanted). What it raises is not reported; the
        request it prepares for meets the same failure."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def cancel_pending(self) -> None:
        """Cancel what still runs in the background (memory work stays queued in the database)."""
        asyncio.run_coroutine_threadsafe(_cancel_others(), self._loop).result(CLEAN_UP_SECONDS)

    def close(self) -> None:
        self.cancel_pending()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(CLEAN_UP_SECONDS)
        self._loop.close()


async def _cancel_others() -> None:
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _spawn(coroutine: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    return asyncio.ensure_future(coroutine)
