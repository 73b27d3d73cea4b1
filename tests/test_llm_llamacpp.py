import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from os1.errors import LLMUnavailable
from os1.llm import complete_json
from os1.llm.llamacpp import LlamaCppLLM

pytestmark = pytest.mark.model

STORY = [{"role": "user", "content": "Write a very long story about a lighthouse keeper and the sea."}]


@pytest.fixture(scope="session")
def llm(small_model_path: Path) -> Iterator[LlamaCppLLM]:
    """One embedded model for the whole run: xllamacpp servers do not reliably come and go in one process."""
    llm = LlamaCppLLM(small_model_path, threads=2, context=2048)
    yield llm
    asyncio.run(llm.aclose())


async def test_replies_stream_token_by_token(llm: LlamaCppLLM) -> None:
    deltas = [d async for d in llm.stream([{"role": "user", "content": "Say hello."}], max_tokens=24)]
    assert len(deltas) >= 3
    assert "".join(deltas).strip()
    assert len(deltas) <= llm.last_timings["predicted_n"] <= 24  # one delta per token (multi-byte characters join)


async def test_a_reply_can_be_cancelled_mid_stream_and_the_model_answers_again(llm: LlamaCppLLM) -> None:
    stream = llm.stream(STORY, max_tokens=400)
    got = [await anext(stream)]
    started = time.perf_counter()
    await stream.aclose()
    assert time.perf_counter() - started < 1.0  # llama.cpp stopped, not 400 tokens later
    assert got[0]
    again = [d async for d in llm.stream([{"role": "user", "content": "Say yes."}], max_tokens=8)]
    assert again
    assert llm.last_timings["predicted_n"] <= 8


async def test_cancelling_the_reading_task_stops_generation(llm: LlamaCppLLM) -> None:
    heard: list[str] = []

    async def listen() -> None:
        async for delta in llm.stream(STORY, max_tokens=400):
            heard.append(delta)

    task = asyncio.create_task(listen())
    while len(heard) < 5:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    count = len(heard)
    await asyncio.sleep(0.3)
    assert len(heard) == count < 400


async def test_json_schema_constrains_the_reply(llm: LlamaCppLLM) -> None:
    schema = {
        "type": "object",
        "properties": {"mood": {"enum": ["happy", "sad", "tired"]}, "hours": {"type": "integer"}},
        "required": ["mood", "hours"],
    }
    for _ in range(3):
        reply = await complete_json(llm, [{"role": "user", "content": "I slept 4 hours. How am I?"}], schema)
        assert reply["mood"] in {"happy", "sad", "tired"} and isinstance(reply["hours"], int)


async def test_a_prompt_longer_than_the_context_says_what_to_raise(llm: LlamaCppLLM) -> None:
    with pytest.raises(LLMUnavailable, match=r"context of 2048 tokens.*OS1_CONTEXT"):
        async for _ in llm.stream([{"role": "user", "content": "word " * 4000}]):
            pass
