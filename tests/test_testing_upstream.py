"""os1.testing.Upstream, the simulated OpenAI-compatible server of bench/load.py: os1's own OpenAI backend reads
what it streams, its JSON answers fit os1's schemas, and it records when each request got its first token."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from os1.llm import complete, complete_json
from os1.llm.openai import OpenAILLM
from os1.memory.diary import REFLECTION_SCHEMA
from os1.memory.extract import SCHEMA
from os1.testing import UPSTREAM_REPLY, Upstream, plainest
from tests.serving import in_thread

FIRST_TOKEN = 0.05


@pytest.fixture
def upstream() -> Iterator[tuple[str, Upstream]]:
    app = Upstream(first_token=FIRST_TOKEN, tokens_per_second=200)
    with in_thread(app) as url:
        yield url, app


async def test_os1_reads_the_streamed_reply_and_its_timing_is_recorded(upstream: tuple[str, Upstream]) -> None:
    url, app = upstream
    llm = OpenAILLM(f"{url}/v1", None, None)
    try:
        said = await complete(llm, [{"role": "user", "content": "I had a long day."}])
    finally:
        await llm.aclose()
    assert said == UPSTREAM_REPLY
    (record,) = app.records
    assert (record.kind, record.last, record.tokens) == ("text", "I had a long day.", len(UPSTREAM_REPLY.split()))
    assert record.first is not None and record.done is not None
    assert record.received + FIRST_TOKEN <= record.first <= record.done  # never sooner than its pace allows
    async with httpx.AsyncClient() as client:
        records = (await client.get(f"{url}/upstream/requests")).json()["requests"]
    assert [r["n"] for r in records] == [0] and records[0]["first"] == record.first


async def test_json_schema_requests_get_the_plainest_valid_json(upstream: tuple[str, Upstream]) -> None:
    url, app = upstream
    llm = OpenAILLM(f"{url}/v1", None, None)
    try:
        memories = await complete_json(llm, [{"role": "user", "content": "[1] Sam: hi"}], SCHEMA)
        reflection = await complete_json(llm, [{"role": "user", "content": "notes"}], REFLECTION_SCHEMA)
    finally:
        await llm.aclose()
    assert memories == {"memories": []}
    assert reflection == {"about": "", "open_threads": [], "follow_ups": []}
    assert [r.kind for r in app.records] == ["json", "json"]


def test_plainest_takes_the_first_choice_and_the_fewest_items() -> None:
    schema = {
        "type": "object",
        "properties": {
            "tool": {"enum": ["none", "remember"]},
            "pair": {"type": "array", "prefixItems": [{"type": "integer", "minimum": 1}, {"type": "string"}],
                     "minItems": 2},
            "score": {"type": ["number", "null"], "minimum": 0.5},
        },
    }  # fmt: skip
    assert plainest(schema) == {"tool": "none", "pair": [1, ""], "score": 0.5}


def test_a_reply_stops_at_max_tokens_and_models_are_listed(upstream: tuple[str, Upstream]) -> None:
    url, _ = upstream
    with httpx.Client(base_url=url) as client:
        body = {"messages": [{"role": "user", "content": "hello"}], "max_tokens": 3}
        answer = client.post("/v1/chat/completions", json=body).json()
        streamed = client.post("/v1/chat/completions", json=body | {"stream": True}).text
        models = client.get("/v1/models").json()
        bad = client.post("/v1/chat/completions", content=b"{}")
    assert answer["choices"][0] == {
        "index": 0, "message": {"role": "assistant", "content": " ".join(UPSTREAM_REPLY.split()[:3]) + " "},
        "finish_reason": "length",
    }  # fmt: skip
    events = [json.loads(line[6:]) for line in streamed.splitlines() if line.startswith("data: {")]
    assert [e["choices"][0]["finish_reason"] for e in events] == [None, None, None, "length"]
    assert streamed.rstrip().endswith("data: [DONE]")
    assert models["data"][0]["id"] == "simulated-upstream"
    assert bad.status_code == 400 and "not a chat completion request" in bad.json()["error"]["message"]
