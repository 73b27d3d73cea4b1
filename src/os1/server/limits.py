"""Rate limits: token buckets kept in memory, one per (rule, who). A bucket holds ``burst`` requests and
refills at ``per_minute``; an empty one refuses with the seconds until the next request may pass.

The rules a server applies are named in ``app.py``: sign-in and sign-up per IP address (guessing passwords
is slow), messages per user (one model is shared), and every request per IP address.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from os1.errors import TooMany

MAX_BUCKETS = 100_000  # the least recently used are forgotten (a forgotten bucket is a full one)


@dataclass(frozen=True)
class Rule:
    name: str
    per_minute: float
    burst: int


class Limits:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._buckets: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()  # tokens, at

    def take(self, rule: Rule, who: str) -> None:
        """Let one request of ``who`` under ``rule`` pass, or raise ``TooMany``."""
        now = self.clock()
        key = (rule.name, who)
        tokens, at = self._buckets.pop(key, (float(rule.burst), now))
        tokens = min(float(rule.burst), tokens + (now - at) * rule.per_minute / 60)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            wait = (1 - tokens) * 60 / rule.per_minute
            raise TooMany(f"too many requests ({rule.name}): try again in {wait:.0f} s", retry_after=wait)
        self._buckets[key] = (tokens - 1, now)
        while len(self._buckets) > MAX_BUCKETS:
            self._buckets.popitem(last=False)
