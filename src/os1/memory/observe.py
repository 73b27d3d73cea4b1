"""Memory that writes itself: drain the queue of turns into memories, in the background, in batches.

``Observer.drain()`` takes the queued turns a batch at a time (several turns per model call), extracts, applies,
and only then removes them from the queue. Cancelled (the user started talking) or killed, it leaves the rest
queued and the next drain carries on; a batch that was applied but not yet dequeued is applied again harmlessly,
because the same fact is never stored twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from os1.llm import LLM
from os1.memory.extract import apply, extract
from os1.memory.recall import Recall


@dataclass
class Observer:
    llm: LLM
    recall: Recall
    names: dict[str, str]  # speaker -> name shown to the extractor, e.g. {"user": "Theo"}
    batch: int = 4

    async def drain(self) -> int:
        """Extract memories from every queued turn; returns how many memories were stored."""
        stored = 0
        while turns := await self.recall.store.queued_turns(limit=self.batch):
            items = await extract(self.llm, turns, self.names)
            stored += len((await apply(self.recall, turns, items, self.llm.model_id)).stored)
            await self.recall.store.dequeue_turns([turn.id for turn in turns])
        return stored
