"""The WebSocket at ``/ws``: a conversation with the signed-in user's companion, in JSON messages. The protocol
(version ``VERSION``) is written down in docs/websocket.md; this module is the server's side of it.

One reader takes the client's messages in order; each ``say`` becomes a reply task (a user's replies are made
one at a time, in the order asked); one writer sends everything out, so messages never interleave.
Input that breaks the protocol closes the connection with a code and a reason; a message that is well-formed
but cannot be answered (empty, too long, too many) gets an ``error`` message and the connection stays.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing, suppress
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from os1.companion.companion import MAX_MESSAGE_CHARS
from os1.errors import AccessError, InputError, OS1Error, TooMany
from os1.server.auth import Caller, identify
from os1.server.limits import Rule
from os1.server.services import Services, services

VERSION = 1
MAX_FRAME_BYTES = 64 * 1024  # a text message is at most 8,000 characters: a frame this big is not a message
MESSAGES = Rule("messages per user", per_minute=30, burst=10)

# close codes (docs/websocket.md)
GOING_AWAY, INVALID_DATA, TOO_BIG, SERVER_ERROR = 1001, 1007, 1009, 1011
BAD_MESSAGE, UNAUTHENTICATED, FORBIDDEN, OLD_VERSION = 4400, 4401, 4403, 4426

router = APIRouter()


class Closing(Exception):
    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code, self.reason = code, reason[:120]  # a close reason is at most 123 bytes


@router.websocket("/ws")
async def conversation(socket: WebSocket) -> None:
    found = services(socket)
    await socket.accept()
    try:
        who = _admitted(socket)
    except Closing as refused:
        await socket.close(refused.code, refused.reason)
        return
    space = await found.spaces.open(who.user.id)
    space.connections += 1
    found.metrics.connections.inc()
    outbox: asyncio.Queue[dict[str, Any] | Closing] = asyncio.Queue()
    writer = asyncio.create_task(_write(socket, outbox))
    replies: dict[str, asyncio.Task[None]] = {}
    try:
        companion = space.companion
        await outbox.put({
            "type": "ready", "version": VERSION, "user": {"id": who.user.id, "email": who.user.email},
            "companion": {"name": companion.persona.name} if companion else None,
            "limits": {"message_chars": MAX_MESSAGE_CHARS, "frame_bytes": MAX_FRAME_BYTES},
        })  # fmt: skip
        while True:
            message = _parsed(await socket.receive())
            await _handle(message, found, who, outbox, replies)
    except Closing as closing:
        await outbox.put(closing)
    except WebSocketDisconnect:
        pass
    finally:
        for task in replies.values():
            task.cancel()
        await asyncio.gather(*replies.values(), return_exceptions=True)
        await outbox.put(Closing(GOING_AWAY, "bye"))
        with suppress(Exception):
            await asyncio.wait_for(writer, 5)
        writer.cancel()
        space.connections -= 1
        found.metrics.connections.dec()


def _admitted(socket: WebSocket) -> Caller:
    origin = socket.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != socket.headers.get("host"):
        raise Closing(FORBIDDEN, "this page's origin may not open a conversation here")
    try:
        return identify(socket)
    except AccessError as exc:
        raise Closing(UNAUTHENTICATED, str(exc)) from exc


def _parsed(frame: Mapping[str, Any]) -> dict[str, Any]:
    if frame["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(frame.get("code", 1000))
    if frame.get("bytes") is not None:
        raise Closing(BAD_MESSAGE, "binary frames carry audio, and this connection has not started any")
    text = frame.get("text") or ""
    if len(text.encode()) > MAX_FRAME_BYTES:
        raise Closing(TOO_BIG, f"a message is at most {MAX_FRAME_BYTES:,} bytes")
    try:
        message = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Closing(INVALID_DATA, f"not JSON ({exc.msg} at character {exc.pos})") from exc
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise Closing(BAD_MESSAGE, 'a message is a JSON object with a "type"')
    return message


async def _handle(
    message: dict[str, Any],
    found: Services,
    who: Caller,
    outbox: asyncio.Queue[dict[str, Any] | Closing],
    replies: dict[str, asyncio.Task[None]],
) -> None:
    kind = message["type"]
    if kind == "hello":
        if message.get("version") != VERSION:
            raise Closing(OLD_VERSION, f"this server speaks version {VERSION} of the protocol")
    elif kind == "ping":
        await outbox.put({"type": "pong"})
    elif kind in ("say", "greet"):
        text, reply_id = message.get("text", ""), message.get("id")
        if not isinstance(text, str) or not isinstance(reply_id, str) or not reply_id or len(reply_id) > 64:
            raise Closing(BAD_MESSAGE, f'a "{kind}" has an "id" (a string of at most 64 characters)'
                          + (' and a "text"' if kind == "say" else ""))  # fmt: skip
        if reply_id in replies:
            raise Closing(BAD_MESSAGE, f"the id {reply_id[:40]!r} is already in use on this connection")
        try:
            found.limits.take(MESSAGES, who.user.id)
        except TooMany as exc:
            await outbox.put(_error(reply_id, "rate_limited", str(exc), retry_after=round(exc.retry_after, 1)))
            return
        space = await found.spaces.open(who.user.id)
        said = found.spaces.reply(space, text) if kind == "say" else found.spaces.greet(space)
        task = asyncio.create_task(_reply(found, reply_id, said, outbox))
        replies[reply_id] = task
        task.add_done_callback(lambda _: replies.pop(reply_id, None))
    elif kind == "cancel":
        running = replies.get(str(message.get("id")))
        if running is not None:
            running.cancel()
    else:
        raise Closing(BAD_MESSAGE, f"unknown message type {kind[:40]!r}")


async def _reply(
    found: Services, reply_id: str, deltas: AsyncIterator[str], outbox: asyncio.Queue[dict[str, Any] | Closing]
) -> None:
    said: list[str] = []
    started = time.monotonic()
    try:
        async with aclosing(deltas) as deltas:  # type: ignore[type-var]
            async for delta in deltas:
                if not said:
                    found.metrics.first_token.observe(time.monotonic() - started)
                said.append(delta)
                await outbox.put({"type": "delta", "id": reply_id, "text": delta})
        found.metrics.messages.labels("websocket").inc()
        await outbox.put({"type": "done", "id": reply_id, "text": "".join(said), "interrupted": False})
    except asyncio.CancelledError:
        await outbox.put({"type": "done", "id": reply_id, "text": "".join(said), "interrupted": True})
        raise
    except InputError as exc:
        await outbox.put(_error(reply_id, "bad_message", str(exc)))
    except OS1Error as exc:
        found.metrics.errors.labels(type(exc).__name__).inc()
        await outbox.put(_error(reply_id, "unavailable", str(exc)))


def _error(reply_id: str | None, code: str, message: str, **more: Any) -> dict[str, Any]:
    return {"type": "error", "id": reply_id, "code": code, "message": message, **more}


async def _write(socket: WebSocket, outbox: asyncio.Queue[dict[str, Any] | Closing]) -> None:
    while True:
        item = await outbox.get()
        try:
            if isinstance(item, Closing):
                await socket.close(item.code, item.reason)
                return
            await socket.send_text(json.dumps(item, ensure_ascii=False))
        except (WebSocketDisconnect, RuntimeError):
            return  # the client left; the reader sees it too
