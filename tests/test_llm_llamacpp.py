import asyncio
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from os1.errors import LLMUnavailable
from os1.llm import complete_json
from os1.llm.llamacpp import LlamaCppLLM

pytestmark = pytest.mark.model

STORY = [{"role": "user", "content": "Write a very long story about a lighthouse keeper and the sea."}]


@pytest.fixture(scope="session")
def kept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kept")


@pytest.fixture(scope="session")
def llm(small_model_path: Path, kept: Path) -> Iterator[LlamaCppLLM]:
    """One embedded model for the whole run: xllamacpp servers do not reliably come and go in one process."""
    llm = LlamaCppLLM(small_model_path, threads=2, context=2048, kept=kept)
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


PREFIX = [
    {"role": "system", "content": "You are Ada, a friend who lives in a computer. " * 20},
    {"role": "user", "content": "[Theo opened the app.]"},
]
LATER = [*PREFIX, {"role": "assistant", "content": "Hi Theo."}, {"role": "user", "content": "how are you?"}]


async def test_a_kept_beginning_is_loaded_from_disk_not_read_again(llm: LlamaCppLLM, kept: Path) -> None:
    await llm.read(PREFIX, keep=True)
    [file] = await asyncio.to_thread(lambda: list(kept.glob("*.kv")))
    assert file.stat().st_mode & 0o777 == 0o600  # the conversation's beginning, for its user only
    await llm.read(STORY)  # the slot holds something else now (memory work, say)
    assert await llm._on_worker(lambda: llm._restored(file.name))  # as read(keep=True) does now
    await llm.read(LATER)
    assert llm.last_timings["cache_n"] > 200  # the beginning came from the file
    assert llm.last_timings["prompt_n"] < 20


async def test_a_kept_file_that_cannot_be_loaded_is_read_again_and_replaced(llm: LlamaCppLLM, kept: Path) -> None:
    await llm.read(PREFIX, keep=True)
    [file] = await asyncio.to_thread(lambda: list(kept.glob("*.kv")))
    await asyncio.to_thread(file.write_bytes, b"not a KV state")
    await llm.read(STORY)
    await llm.read(PREFIX, keep=True)
    assert file.stat().st_size > 1000  # the file that could not be loaded was read again and kept anew
    assert await llm._on_worker(lambda: llm._slot("restore", file.name))  # and it is kept again, whole


async def test_the_slot_endpoint_is_closed_without_this_processes_key(llm: LlamaCppLLM) -> None:
    await llm.read(PREFIX)
    request = urllib.request.Request(
        f"{llm._server.listening_address}/slots/0?action=save", data=b'{"filename": "stolen.kv"}'
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        await asyncio.to_thread(urllib.request.urlopen, request, timeout=10)
    refused.value.close()
    assert refused.value.code == 401
