"""Python's garbage collector in a server that holds thousands of users for hours.

Each full pass of the collector reads every object it tracks, and a server keeps a great many alive for long:
each open connection (its protocol, streams and tasks) and each user's space (the turns of their transcript).
At 1,000 sessions that was 820,000 objects, and a full pass stopped the server for 0.14 to 0.32 s, a few times a
minute; every reply under way waited (bench/load.py: added p99 255-400 ms).

So what a full pass leaves is frozen (``gc.freeze``: left out of the collector's later passes; it moves one
list), and the next passes read only what is newer (at 1,000 sessions, each took under 50 ms). Frozen objects
that die are still freed at once by their reference counts; only garbage held by reference cycles waits, and a
closed space leaves none (spaces.py). Once an hour everything is thawed for one full pass, which collects what
was left and is the one long stop. Every pass is timed in ``os1_gc_pause_seconds``.
"""

from __future__ import annotations

import gc
import threading
import time
from collections import deque
from collections.abc import Callable

from prometheus_client import Histogram

FULL_PASS_SECONDS = 3600.0
LOOK_SECONDS = 0.05  # how soon after a full pass what it left is frozen (a look costs a flag check)


class Heap:
    def __init__(self, pauses: Histogram, clock: Callable[[], float] = time.monotonic):
        self.pauses, self.clock = pauses, clock
        self._last_full = clock()
        self._started = 0.0
        self._passed = False  # a full pass has run since the last freeze
        self._timed: deque[tuple[int, float]] = deque(maxlen=100_000)  # (generation, seconds), not yet reported
        self._stopping = threading.Event()
        self._keeper = threading.Thread(target=self._keep, name="os1-heap", daemon=True)
        gc.callbacks.append(self._time)

    def start(self) -> None:
        """Until ``close``: what the server holds once it has started is frozen, then what each full pass leaves.
        A thread of its own looks, so a busy event loop does not make the freeze late (and the passes long)."""
        gc.collect()
        self._keeper.start()

    def _keep(self) -> None:
        while not self._stopping.wait(LOOK_SECONDS):
            self.tidy()

    def tidy(self) -> None:
        """Freeze what the last full pass left, if one ran; once an hour, first a full pass over everything,
        the frozen included."""
        if self.clock() - self._last_full >= FULL_PASS_SECONDS:
            self._last_full = self.clock()
            gc.unfreeze()
            gc.collect()
        if self._passed:
            # One more pass first (short: it reads what is not frozen), so only what is alive is frozen. It also
            # has the collector count its long-lived objects afresh, as none: its next full pass comes when a
            # quarter more are pending than are not frozen, soon and short, not when a quarter of all it held
            # before the freeze are.
            gc.collect()
            gc.freeze()
            self._passed = False
        self.report()

    def report(self) -> None:
        """Put the passes timed since the last report into ``pauses`` (done here, not in the collector's
        callback: that runs inside whatever code allocated, which may hold the metric's lock)."""
        while self._timed:
            generation, seconds = self._timed.popleft()
            self.pauses.labels(str(generation)).observe(seconds)

    def close(self) -> None:
        self._stopping.set()
        if self._keeper.is_alive():
            self._keeper.join()
        gc.callbacks.remove(self._time)
        gc.unfreeze()

    def _time(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        self._timed.append((info["generation"], time.perf_counter() - self._started))
        if info["generation"] == 2:
            self._passed = True
