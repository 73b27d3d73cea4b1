"""Memory that writes itself: drain the queue of turns into memories, in the background, in batches.

``Observer.drain()`` takes the queued turns a batch at a time (several turns per model call), extracts, applies,
and only then removes them from the queue. Cancelled (the user started talking) or killed, it leaves the rest
queued and the next drain carries on; a batch that was applied but not yet dequeued is applied again harmlessly,
because the same fact is never stored twice. ``Observer.settle()``, when the user has been quiet a while, embeds
the new turns (so the transcript is searchable by meaning: recall leaves out the turns still in the model's view,
so they can wait, and on a busy server this work is not done after every reply) and writes the diary and the
reflection (``diary.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from os1.errors import LLMBadResponse
from os1.llm import LLM
from os1.memory.diary import Diary
from os1.memory.extract import apply, extract
from os1.memory.recall import Recall
from os1.memory.store import Turn


@dataclass
class Observer:
    llm: LLM
    recall: Recall
    names: dict[str, str]  # speaker -> name shown to the model, e.g. {"user": "Theo", "assistant": "Wren"}
    batch: int = 4

    unreadable: int = 0  # turns skipped because the model's answer about them could not be read

    async def drain(self, progress: Callable[[int], None] | None = None) -> int:
        """Extract memories from every queued turn; returns how many memories were stored. ``progress`` is told
        how many turns each batch finished. A model that is down stops the drain (the turns stay queued); an
        answer that cannot be read is retried turn by turn, and a turn that still fails is skipped, so one bad
        answer never blocks the queue."""
        stored = 0
        while turns := await self.recall.store.queued_turns(limit=self.batch):
            for group in await self._readable(turns):
                stored += len((await apply(self.recall, *group, self.llm.model_id, self.names)).stored)
            await self.recall.store.dequeue_turns([turn.id for turn in turns])
            if progress is not None:
                progress(len(turns))
        return stored

    async def settle(self, *, live_session: int | None = None, reflect: bool = True) -> int:
        """Drain the queue, embed the new turns, then write the diary entries of finished conversations (all but
        ``live_session``) and, with ``reflect``, the reflection when enough is new. Returns how many memories were
        stored."""
        stored = await self.drain()
        await self.recall.reembed()  # the new turns become searchable by meaning
        await Diary(self.llm, self.recall, self.names).catch_up(live_session=live_session, reflect=reflect)
        return stored

    async def _readable(self, turns: Sequence[Turn]) -> list[tuple[Sequence[Turn], list[dict[str, object]]]]:
        try:
            return [(turns, await extract(self.llm, turns, self.names))]
        except LLMBadResponse:
            if len(turns) == 1:
                self.unreadable += 1
                return []
        return [group for turn in turns for group in await self._readable([turn])]
