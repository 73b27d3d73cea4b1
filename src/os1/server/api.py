"""The signed-in user's own things, for the web app and for programs: who they are, meeting their companion
(the interview and the naming), their transcript, and their memory (see, search, edit, forget, import, export:
the same operations as ``os1 memory``). Every route works on the caller's own space only; an id that is not
theirs is "not found", exactly as an id that does not exist.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from os1.companion import inner
from os1.companion.companion import Companion
from os1.companion.languages import from_accept_language
from os1.companion.names import Shortlist
from os1.companion.onboarding import GREETING, MAX_ANSWER_CHARS, Interview, check_answer
from os1.companion.renaming import refused_at_naming
from os1.errors import InputError, NotFound, OS1Error, TooLarge
from os1.memory import archive, conversations
from os1.memory.store import Memory, Turn
from os1.server.auth import Found, Signed, user_record
from os1.server.failures import error_record
from os1.server.services import Services
from os1.server.spaces import Space

NDJSON = "application/x-ndjson"
_NAMINGS: set[asyncio.Task[Companion]] = set()  # under way, whether or not their client still waits
MAX_QUERY_CHARS = 500
MAX_IMPORT_BYTES = 64 * 2**20  # a ChatGPT export of several years' daily use
ANY_JSON = {"requestBody": {"required": True, "content": {"application/json": {"schema": {}}}}}

MemoryId = Annotated[int, Path(ge=1, le=2**63 - 1)]  # a row id: SQLite's and PostgreSQL's are 64-bit

router = APIRouter(prefix="/api")
log = logging.getLogger(__name__)


class Answer(BaseModel):
    key: str = Field(max_length=40)
    answer: str = Field(max_length=MAX_ANSWER_CHARS)


class Rename(BaseModel):
    said: str | None = Field(None, max_length=MAX_ANSWER_CHARS)


class Edit(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


@router.get("/me")
async def me(who: Signed, found: Found) -> dict[str, Any]:
    """The caller, their companion (None before the interview), and the CSRF token of their session."""
    space = await found.spaces.open(who.user.id)
    if space.companion is not None:
        await space.companion.look_inward()  # how it feels now, and what it has grown into since
    return {
        "user": user_record(who.user),
        "companion": companion_record(space.companion) if space.companion else None,
        "csrf": who.session.csrf if who.session else None,
    }


@router.get("/onboarding")
async def onboarding(who: Signed, found: Found, request: Request) -> dict[str, Any]:
    """Where the interview stands: the next question, or the companion it made. The names it chooses from are
    those given where the browser's first language (Accept-Language) is spoken, unless the answers are clearly
    in another language."""
    space = await found.spaces.open(who.user.id)
    if space.companion is not None:
        return {"done": True, "companion": companion_record(space.companion)}
    return {"done": False, "greeting": GREETING, "question": _next_question(_interview(space, found, request), space)}


@router.post("/onboarding", response_model=None, responses={200: {"content": {NDJSON: {}}}})
async def answer(body: Answer, who: Signed, found: Found, request: Request) -> dict[str, Any] | StreamingResponse:
    """Answer the question asked: the companion's reaction, then the next question, or, after the last, the
    companion that chose its name. The naming takes a while: asked for ``application/x-ndjson``, the answer to
    the last question comes as it happens, a JSON object a line: the reaction, then what narrowing the names
    kept (``naming``), then the companion (or an ``error``, in the shape of the other errors)."""
    space = await found.spaces.open(who.user.id)
    if space.companion is not None:
        raise InputError("the interview is over: your companion is already here")
    interview = _interview(space, found, request)
    asked = _next_question(interview, space)
    if body.key != asked["key"]:
        raise InputError(f"the question being asked is {asked['key']!r}, not {body.key[:40]!r}")
    text = check_answer(body.answer)
    async with space.turn, aclosing(interview.react(body.key, text)) as reaction:  # type: ignore[type-var]
        said = "".join([delta async for delta in reaction]).strip()
    space.answers[body.key] = text
    if len(space.answers) < len(interview.questions):
        return {"reaction": said, "question": _next_question(interview, space)}
    if NDJSON in request.headers.get("accept", ""):
        return StreamingResponse(_lines(_naming(space, interview, found, body.key, said)), media_type=NDJSON)
    answered: dict[str, Any] = {}
    async for part in _naming(space, interview, found, body.key, said):
        answered |= part
    return answered


async def _naming(
    space: Space, interview: Interview, found: Services, key: str, said: str
) -> AsyncIterator[dict[str, Any]]:
    """The end of the interview as it happens: the reaction to the last answer, what narrowing the names kept
    (as soon as it is known), then the companion that chose its name. A client that leaves meanwhile does not
    stop the naming; one that fails leaves the last question to be answered again."""
    yield {"reaction": said}
    kept: asyncio.Queue[Shortlist] = asyncio.Queue()

    async def named() -> Companion:
        try:
            async with space.turn:
                await interview.finish(space.answers, shortlisted=kept.put_nowait)
            return await found.spaces.meet(space)
        except BaseException:
            space.answers.pop(key, None)
            raise

    naming = asyncio.ensure_future(named())
    _NAMINGS.add(naming)
    naming.add_done_callback(_named)
    narrowed = asyncio.ensure_future(kept.get())
    try:
        await asyncio.wait([naming, narrowed], return_when=asyncio.FIRST_COMPLETED)
        if narrowed.done():
            short = narrowed.result()
            yield {"naming": {"steps": [[what, count] for what, count in short.steps], "names": list(short.names)}}
    finally:
        narrowed.cancel()
    yield {"companion": companion_record(await asyncio.shield(naming))}


@router.post("/rename")
async def rename(body: Rename, who: Signed, found: Found) -> dict[str, Any]:
    """Your companion chooses another name, from the names its naming narrowed to less those you turned down, and
    says why (``why``). With ``said``, what you answered when it told you its name, only if those words turn the
    name down ("no", "another one", "I don't like it"); ``renamed`` says whether it chose again."""
    space = await found.spaces.open(who.user.id)
    if space.companion is None:
        raise InputError("your companion has no name yet: answer its questions first")
    if body.said is not None and not refused_at_naming(body.said):
        return {"renamed": False, "companion": companion_record(space.companion)}
    return {"renamed": True, "companion": companion_record(await found.spaces.rename(space))}


def _named(naming: asyncio.Task[Companion]) -> None:
    _NAMINGS.discard(naming)
    if not naming.cancelled() and (exc := naming.exception()) is not None:  # told to the client, if it waited
        log.warning("a naming failed: %s", exc)


async def _lines(parts: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    """Each part as a line of JSON; an error met on the way is the last line."""
    try:
        async for part in parts:
            yield json.dumps(part, ensure_ascii=False).encode() + b"\n"
    except OS1Error as exc:
        yield json.dumps(error_record(exc), ensure_ascii=False).encode() + b"\n"


@router.get("/transcript")
async def transcript(
    who: Signed, found: Found, before: int | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> dict[str, Any]:
    """The conversation in the order it was said, newest last: ``limit`` turns said before the turn ``before``
    (default: the latest)."""
    space = await found.spaces.open(who.user.id)
    turns = [t for t in await space.store.turns() if t.speaker != "event"]
    if before is not None:
        end = next((i for i, t in enumerate(turns) if t.id == before), None)
        if end is None:
            raise NotFound(f"you have no turn {before}")
        turns = turns[:end]
    return {"turns": [_turn_record(t) for t in turns[-limit:]], "more": len(turns) > limit}


@router.get("/memories")
async def memories(
    who: Signed,
    found: Found,
    q: Annotated[str | None, Query(max_length=MAX_QUERY_CHARS)] = None,
    past: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> dict[str, Any]:
    """Everything remembered (``past``: also what stopped being true), or, with ``q``, what matches it best."""
    space = await found.spaces.open(who.user.id)
    if not q or not q.strip():
        return {"memories": [m.record() for m in await space.store.memories(include_past=past)]}
    await space.recall.reembed()
    hits = await space.recall.search(q, limit=limit, transcript=False)
    return {"memories": [{**h.memory.record(), "score": round(h.score, 4)} for h in hits if h.memory is not None]}


@router.get("/memories/{memory_id}")
async def memory(memory_id: MemoryId, who: Signed, found: Found) -> dict[str, Any]:
    """A memory and the turns it was made from."""
    space = await found.spaces.open(who.user.id)
    found_memory = await _memory(space, memory_id)
    said = await space.store.turns_by_id(found_memory.source_turn_ids)
    return {"memory": found_memory.record(), "said": [_turn_record(t) for t in said]}


@router.patch("/memories/{memory_id}")
async def edit_memory(memory_id: MemoryId, body: Edit, who: Signed, found: Found) -> dict[str, Any]:
    space = await found.spaces.open(who.user.id)
    await _memory(space, memory_id)
    async with space.turn:
        await space.recall.edit(memory_id, body.text.strip())
    return {"memory": (await _memory(space, memory_id)).record()}


@router.delete("/memories/{memory_id}", status_code=204)
async def forget_memory(memory_id: MemoryId, who: Signed, found: Found) -> None:
    """Forget a memory for good: its words, its vector and its search entry."""
    space = await found.spaces.open(who.user.id)
    await _memory(space, memory_id)
    async with space.turn:
        await space.recall.forget(memory_id)


@router.get("/export")
async def export(who: Signed, found: Found) -> JSONResponse:
    """Everything: the transcript and the memories, in the format ``os1 memory import`` reads back."""
    space = await found.spaces.open(who.user.id)
    data = await archive.export(space.store)
    return JSONResponse(data, headers={"Content-Disposition": 'attachment; filename="os1-export.json"'})


@router.post("/import", openapi_extra=ANY_JSON)
async def import_conversations(request: Request, who: Signed, found: Found) -> dict[str, Any]:
    """Bring in old conversations, the file as the request's body: os1's import format, a ChatGPT export
    (conversations.json), or a file from ``/api/export``, which comes back exactly, memories and all
    (docs/import-format.md). The turns are kept at once; memories are made from them in the background, and
    ``waiting`` says how many turns are still to be read (``GET /api/import`` tells it again later)."""
    space = await found.spaces.open(who.user.id)
    if space.companion is None:
        raise InputError("meet your companion first (answer its questions), then bring in your old conversations")
    data = conversations.read(await _body(request), "the file")
    async with space.turn:
        if archive.is_export(data):
            turns, memories = await archive.restore(space.recall, data)
            count = len(data.get("sessions", []))
        else:
            sessions = conversations.parse(data, "the file")
            turns, memories, count = await conversations.keep(space.store, sessions), 0, len(sessions)
    await found.spaces.imported(space)
    waiting = await space.store.queued_count()
    return {"conversations": count, "turns": turns, "memories": memories, "waiting": waiting}


@router.get("/import")
async def import_progress(who: Signed, found: Found) -> dict[str, int]:
    """How many turns still wait to be read for memories (those of an import, and of the conversation)."""
    space = await found.spaces.open(who.user.id)
    return {"waiting": await space.store.queued_count()}


def companion_record(companion: Companion) -> dict[str, Any]:
    """The companion as /who tells it: its persona, its traits now and how they changed, its mood and why (told to
    the user: "you stayed away for 9 days"), and its interests."""
    p, life = companion.persona, companion.inner
    mood = companion.feels()
    return {
        "name": p.name, "why": p.why, "traits": list(life.traits(p.traits)), "voice": p.voice,
        "created_at": p.created_at.isoformat(), "names_considered": p.names_considered,
        "user_name": companion.profile.name, "traits_at_setup": list(p.traits),
        "mood": {"word": mood.word, "phrase": inner.phrase(mood), "intensity": mood.intensity,
                 "why": inner.why(mood), "since": mood.since.isoformat()},
        "trait_changes": [
            {"trait": c.trait, "change": c.change, "before": list(c.before), "after": list(c.after), "why": c.why,
             "at": c.at.isoformat()}
            for c in life.changes
        ],
        "interests": [{"topic": i.topic, "why": i.why, "since": i.since.isoformat()} for i in life.interests],
    }  # fmt: skip


def _interview(space: Space, found: Found, request: Request) -> Interview:
    if space.interview is None:
        locale = from_accept_language(request.headers.get("accept-language"))
        space.interview = Interview(found.spaces.llm, space.store, locale=locale)
        space.interview.start()
    return space.interview


def _next_question(interview: Interview, space: Space) -> dict[str, Any]:
    index = len(space.answers)
    if index == len(interview.questions):
        raise InputError("every question is answered: your companion is choosing its name, ask again in a moment")
    key, text = interview.questions[index]
    return {"key": key, "text": text, "index": index, "total": len(interview.questions)}


async def _memory(space: Space, memory_id: int) -> Memory:
    found_memory = await space.store.memory(memory_id)
    if found_memory is None:
        raise NotFound(f"you have no memory {memory_id}")
    return found_memory


async def _body(request: Request) -> bytes:
    """The request's body, refused as soon as it is larger than an import may be."""
    too_large = TooLarge(f"the file is larger than {MAX_IMPORT_BYTES // 2**20} MB: import it in parts")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_IMPORT_BYTES:
        raise too_large
    parts, size = [], 0
    async for part in request.stream():
        size += len(part)
        if size > MAX_IMPORT_BYTES:
            raise too_large
        parts.append(part)
    return b"".join(parts)


def _turn_record(turn: Turn) -> dict[str, Any]:
    return {
        "id": turn.id, "speaker": turn.speaker, "text": "" if turn.forgotten else turn.text,
        "at": turn.at.isoformat(), "interrupted": turn.interrupted, "forgotten": turn.forgotten,
    }  # fmt: skip
