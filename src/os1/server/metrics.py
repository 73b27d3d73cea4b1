"""What the server counts, for its operators (``/metrics``, Prometheus' text format) and for the companion's
honest answer about how busy it is (``Spaces.live``: the same number as ``os1_conversations_live``).

Every series counts or times; none carries a user's id, email or words.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self, live: Callable[[], int], open_spaces: Callable[[], int], held_bytes: Callable[[], int]):
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "os1_http_requests", "HTTP requests answered, by route and status", ["route", "status"],
            registry=self.registry,
        )  # fmt: skip
        self.connections = Gauge("os1_websockets_open", "WebSocket connections open now", registry=self.registry)
        self.messages = Counter(
            "os1_messages", "Messages answered, by way in (websocket, openai)", ["via"], registry=self.registry
        )
        self.first_token = Histogram(
            "os1_reply_first_token_seconds", "From a message to the first words of its reply",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32), registry=self.registry,
        )  # fmt: skip
        self.gc_pauses = Histogram(
            "os1_gc_pause_seconds", "Passes of Python's garbage collector (the server stops meanwhile), by generation",
            ["generation"], buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )  # fmt: skip
        self.recalled_ahead = Counter(
            "os1_lines_recalled_ahead",
            "Lines whose memory search was done while the user typed them (a pause)",
            registry=self.registry,
        )
        self.errors = Counter("os1_errors", "Requests refused or failed, by kind", ["kind"], registry=self.registry)
        live_gauge = Gauge("os1_conversations_live", "Conversations live now (open or recent)", registry=self.registry)
        live_gauge.set_function(live)
        spaces = Gauge("os1_user_spaces_open", "Users whose data is open in this process", registry=self.registry)
        spaces.set_function(open_spaces)
        held = Gauge(
            "os1_vectors_held_bytes", "Memory taken by the users' vectors held for search", registry=self.registry
        )
        held.set_function(held_bytes)
