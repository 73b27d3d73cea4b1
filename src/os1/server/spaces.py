"""Each user's own space on the server: their database, their memory and their companion, opened on first use
and closed when idle, and the count of live conversations that the companion tells the truth about.

A space holds only its user's data (``users/<id>/os1.db``, the same store the CLI uses, or that user's rows of
the server's PostgreSQL database), so nothing one user asks for can reach another's. The model and the
embedding model are shared: one set of weights serves every user, and each prompt is built from one user's data
alone. A user's replies are made one at a time (their transcript is one line of turns), whatever number of tabs
or clients they have open.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from os1.companion.companion import Companion
from os1.companion.onboarding import Interview
from os1.errors import InputError, OS1Error
from os1.llm import LLM
from os1.memory.embed import MiniLM
from os1.memory.recall import Recall
from os1.memory.store import Store
from os1.server.hub import Alone, Hub

log = logging.getLogger(__name__)

LIVE_SECONDS = 300  # a conversation with a message this recent, or a connection open, is live
IDLE_SECONDS = 900  # a space unused this long is closed (its memory work finished first)


@dataclass
class Space:
    user_id: str
    store: Store
    recall: Recall
    companion: Companion | None  # None until the interview is done
    interview: Interview | None = None
    answers: dict[str, str] = field(default_factory=dict)
    turn: asyncio.Lock = field(default_factory=asyncio.Lock)  # one reply at a time
    connections: int = 0
    listeners: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)  # its connections' outboxes
    last_message: float = 0.0
    last_used: float = 0.0
    draft: str | None = None  # the newest draft the user paused on, not read ahead yet

    def tell(self, message: dict[str, Any]) -> None:
        """Send ``message`` to every connection the user has open here."""
        _tell(self.listeners, message)


class Spaces:
    def __init__(
        self,
        stores: Callable[[str], Awaitable[Store]],
        llm: LLM,
        embedder: MiniLM,
        *,
        context_tokens: int = 8192,
        reply_tokens: int = 400,
        clock: Callable[[], float] = time.monotonic,
        hub: Hub | None = None,
    ):
        self.stores, self.llm, self.embedder = stores, llm, embedder  # stores: a user's id -> their store
        self.context_tokens, self.reply_tokens = context_tokens, reply_tokens
        self.clock = clock
        self.hub: Hub = hub or Alone()
        self._open: dict[str, Space] = {}
        self._opening: dict[str, asyncio.Lock] = {}
        self._dropping: set[asyncio.Task[None]] = set()  # spaces of accounts deleted through another worker
        self._foreseeing: dict[str, asyncio.Task[None]] = {}  # user id -> the drafts being read ahead
        self.recalled_ahead: Callable[[], None] = lambda: None  # told of each reply that used a draft's search

    async def open(self, user_id: str) -> Space:
        """The user's space, opened if it is not yet."""
        lock = self._opening.setdefault(user_id, asyncio.Lock())
        async with lock:
            space = self._open.get(user_id)
            if space is None:
                store = await self.stores(user_id)
                space = Space(user_id, store, Recall(store, self.embedder), None)
                space.companion = await self._companion(space)
                self._open[user_id] = space
        space.last_used = self.clock()
        return space

    async def meet(self, space: Space) -> Companion:
        """The companion of a space whose interview has just been saved."""
        companion = await self._companion(space)
        if companion is None:
            raise RuntimeError("meet() is called after the interview's persona and profile are saved")
        space.companion, space.interview, space.answers = companion, None, {}
        return companion

    def reply(self, space: Space, text: str) -> AsyncIterator[str]:
        """The companion's reply to ``text``, streamed; the user's replies are made one at a time."""
        space.draft = None  # it is said: no need to read it ahead any more

        async def respond(companion: Companion) -> AsyncIterator[str]:
            async with aclosing(companion.respond(text)) as deltas:  # type: ignore[type-var]
                async for delta in deltas:
                    yield delta
            if companion.recalled_ahead:
                self.recalled_ahead()

        return self._said(space, respond)

    def foresee(self, space: Space, text: str) -> None:
        """The user paused while typing ``text``: their companion finds what memory holds about it now, so if
        they send it, the reply does not wait for that search (``Companion.foresee``, without the model reading
        ahead: it is shared). One draft of a user's is read at a time, after any reply under way; of those
        typed meanwhile, only the newest."""
        if space.companion is None:
            return
        space.draft = text
        if space.user_id not in self._foreseeing:
            task = asyncio.get_running_loop().create_task(self._foresee(space))
            self._foreseeing[space.user_id] = task
            task.add_done_callback(lambda _: self._foreseeing.pop(space.user_id, None))

    async def _foresee(self, space: Space) -> None:
        while True:
            async with space.turn:  # a space closed or erased meanwhile is no longer open: its store is not touched
                text, space.draft = space.draft, None
                if text is None or space.companion is None or self._open.get(space.user_id) is not space:
                    return
                await space.store.wake()
                try:
                    await space.companion.foresee(text, read=False)
                except InputError:
                    pass  # an empty draft, or one too long to send: nothing to read ahead
                except OS1Error as exc:  # the reply will search again, and say what is wrong if it still is
                    log.warning("reading a draft ahead failed: %s", exc)

    async def rename(self, space: Space) -> Companion:
        """The user asked their companion for another name: it chooses one (``Companion.rename``), as a reply is
        made (one at a time), and their connections are told."""
        if space.companion is None:
            raise InputError("your companion has no name yet: answer its questions first (the onboarding)")
        companion = space.companion
        async with space.turn, self.hub.turn(space.user_id):
            space.last_used = self.clock()
            await space.store.wake()
            try:
                await companion.rename()
            finally:
                await self.hub.changed(space.user_id)
        _renamed(space, companion)
        return companion

    def greet(self, space: Space) -> AsyncIterator[str]:
        """The companion's greeting when a conversation starts, if one is due (the first time, or back after a
        while); nothing otherwise."""
        return self._said(space, lambda companion: companion.welcome())

    async def _said(self, space: Space, say: Callable[[Companion], AsyncIterator[str]]) -> AsyncIterator[str]:
        if space.companion is None:
            raise InputError("your companion is not set up yet: answer its questions first (the onboarding)")
        companion = space.companion
        async with space.turn, self.hub.turn(space.user_id):
            space.last_message = space.last_used = self.clock()
            await space.store.wake()
            name = companion.persona.name
            try:
                async with aclosing(say(companion)) as deltas:  # type: ignore[type-var]
                    async for delta in deltas:
                        yield delta
            finally:
                space.last_message = self.clock()
                await self.hub.changed(space.user_id)
                if companion.persona.name != name:  # the user asked it for another name, in words
                    _renamed(space, companion)

    async def imported(self, space: Space) -> None:
        """Conversations were brought into the user's store: their companion reads them (its transcript, and
        memories from them in the background), and their connections, here and in other workers, are told."""
        if space.companion is not None:
            await space.companion.imported()
        await self.hub.changed(space.user_id)
        space.tell({"type": "changed"})

    async def erase(self, user_id: str) -> None:
        """Delete everything the user's companion holds: their space closes (its memory work stops, their
        connections are told, and close) and their store deletes their data."""
        async with self._opening.setdefault(user_id, asyncio.Lock()):
            space = self._open.get(user_id)
            if space is not None:
                space.tell({"type": "bye", "reason": "this account was deleted"})
                async with space.turn:
                    if space.companion is not None:
                        await space.companion.pause()
                    self._open.pop(user_id, None)
                    space.recall.release()
            store = space.store if space is not None else await self.stores(user_id)
            await store.erase()
        self._opening.pop(user_id, None)
        await self.hub.erased(user_id)

    def erased_elsewhere(self, user_id: str) -> None:
        """Another worker deleted this user's account: drop their space here (without writing to it again) and
        close their connections."""
        space = self._open.pop(user_id, None)
        if space is None:
            return
        space.tell({"type": "bye", "reason": "this account was deleted"})
        space.recall.release()
        if space.companion is None:
            space.store.close()
            return
        pausing = asyncio.get_running_loop().create_task(space.companion.pause())  # its memory work stops first
        self._dropping.add(pausing)

        def paused(task: asyncio.Task[None]) -> None:
            self._dropping.discard(task)
            space.store.close()

        pausing.add_done_callback(paused)

    def changed_elsewhere(self, user_id: str) -> None:
        """Another worker changed this user's transcript: read it again, and tell their connections here."""
        space = self._open.get(user_id)
        if space is None:
            return
        if space.companion is not None:
            space.companion.reread()
        space.tell({"type": "changed"})

    def live_users(self) -> set[str]:
        """Whose conversations are live in this worker right now (a connection open, or a recent message)."""
        now = self.clock()
        return {s.user_id for s in self._open.values() if s.connections or now - s.last_message < LIVE_SECONDS}

    def live(self) -> int:
        """How many conversations are live in this worker right now."""
        return len(self.live_users())

    def others(self, user_id: str) -> int:
        """How many live conversations are someone else's, in this worker and the others."""
        return len((self.live_users() | self.hub.live_elsewhere()) - {user_id})

    @property
    def open_count(self) -> int:
        return len(self._open)

    async def close_idle(self) -> int:
        """Close the spaces unused for ``IDLE_SECONDS``: how many were closed."""
        now = self.clock()
        idle = [s for s in self._open.values() if not s.connections and now - s.last_used > IDLE_SECONDS]
        for space in idle:
            await self._close(space)
        return len(idle)

    async def aclose(self) -> None:
        """Close every space at once, the server is stopping: memory work under way stops, and what it had not
        done stays queued in each user's store, to be done on their next visit (so a server holding thousands of
        users stops in seconds, not after a model call for each)."""
        await asyncio.gather(*(self._close(space, settle=False) for space in list(self._open.values())))

    async def _close(self, space: Space, *, settle: bool = True) -> None:
        async with space.turn:
            if space.companion is not None:
                try:
                    await (space.companion.settle() if settle else space.companion.pause())
                except OS1Error as exc:  # what was not remembered stays queued for the next time
                    log.warning("memory work for a closing space stopped: %s", exc)
            self._open.pop(space.user_id, None)
            self._opening.pop(space.user_id, None)
            space.recall.release()
            space.store.close()

    async def _companion(self, space: Space) -> Companion | None:
        companion = await Companion.load(
            self.llm, space.store, context_tokens=self.context_tokens, reply_tokens=self.reply_tokens
        )
        if companion is None:
            return None
        companion.remember_with(space.recall)
        # Neither refers to the space, which refers to the companion: a closed space leaves no reference cycle
        # behind, so it is freed at once, not at the collector's next full pass (see heap.py).
        user_id, listeners = space.user_id, space.listeners
        companion.company = lambda: self.others(user_id)
        companion.remembered = lambda count: _tell(listeners, {"type": "remembered", "count": count})
        return companion


def _renamed(space: Space, companion: Companion) -> None:
    space.tell({"type": "renamed", "name": companion.persona.name, "why": companion.persona.why})


def _tell(listeners: list[Callable[[dict[str, Any]], None]], message: dict[str, Any]) -> None:
    for listener in listeners:
        listener(message)
