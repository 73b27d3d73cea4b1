"""The server's garbage collection: what a full pass leaves frozen, and thawed for one full pass an hour, every
pass timed for /metrics, and a closed space freed by reference counting alone (it would wait for the hourly pass
otherwise); and how soon a thread waiting for the interpreter lock gets it while the server runs."""

import gc
import sys
import weakref
from pathlib import Path

from prometheus_client import generate_latest

from os1.memory.embed import MiniLM
from os1.memory.sqlite import SQLiteStore
from os1.memory.store import Persona, Profile, Store
from os1.server.app import SWITCH_SECONDS
from os1.server.heap import FULL_PASS_SECONDS, Heap
from os1.server.metrics import Metrics
from os1.server.spaces import IDLE_SECONDS, Spaces
from os1.testing import ScriptedLLM
from tests.serving import serving


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_frozen_garbage_waits_for_the_hourly_pass_and_every_pass_is_timed() -> None:
    now = [0.0]
    metrics = Metrics(lambda: 0, lambda: 0, lambda: 0)
    heap = Heap(metrics.gc_pauses, clock=lambda: now[0])
    try:
        heap.tidy()
        assert gc.get_freeze_count() == 0  # nothing is frozen before a full pass has run
        garbage = Cycle()
        gone = weakref.ref(garbage)
        gc.collect()
        heap.tidy()
        assert gc.get_freeze_count() > 0  # what the pass left
        del garbage
        gc.collect()
        assert gone() is not None  # frozen: the collector's passes leave it alone
        now[0] += FULL_PASS_SECONDS
        heap.tidy()
        assert gone() is None  # thawed, collected, the rest frozen again
        assert gc.get_freeze_count() > 0
        heap.report()
        text = generate_latest(metrics.registry).decode()
        assert 'os1_gc_pause_seconds_count{generation="2"}' in text
        assert 'os1_gc_pause_seconds_count{generation="2"} 0.0' not in text
    finally:
        heap.close()
    assert gc.get_freeze_count() == 0


async def test_a_closed_space_is_freed_without_the_collector(
    home: Path, embedder: MiniLM, persona: Persona, profile: Profile
) -> None:
    store = SQLiteStore.open(home, "theo")
    await store.save_persona(persona)
    await store.save_profile(profile)
    store.close()

    async def stores(user_id: str) -> Store:
        return SQLiteStore.open(home, user_id)

    now = [0.0]
    spaces = Spaces(stores, ScriptedLLM("Mm."), embedder, clock=lambda: now[0])
    space = await spaces.open("theo")
    assert space.companion is not None
    await space.companion.transcript()
    await space.recall.search("the coast")
    companion, recall = weakref.ref(space.companion), weakref.ref(space.recall)
    del space
    gc.disable()
    try:
        now[0] += IDLE_SECONDS + 1
        assert await spaces.close_idle() == 1
        assert companion() is None and recall() is None  # no reference cycle kept them
    finally:
        gc.enable()


def test_threads_wait_less_for_the_interpreter_lock_while_the_server_runs(home: Path, embedder: MiniLM) -> None:
    before = sys.getswitchinterval()
    with serving(home, ScriptedLLM("Mm."), embedder) as server:
        assert server.client().get("/metrics").status_code == 200
        assert sys.getswitchinterval() == SWITCH_SECONDS < before
    assert sys.getswitchinterval() == before
