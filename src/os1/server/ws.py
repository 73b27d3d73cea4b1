"""The WebSocket at ``/ws``: a conversation with the signed-in user's companion, in JSON messages, and by voice
in binary audio frames. The protocol (version ``VERSION``) is written down in docs/websocket.md; this module
is the server's side of it.

One reader takes the client's messages in order; each ``say`` becomes a reply task (a user's replies are made
one at a time, in the order asked); a voice session runs beside them (server/voice.py); one writer sends
everything out, so messages never interleave. Input that breaks the protocol closes the connection with a
code and a reason; a message that is well-formed but cannot be answered (empty, too long, too many) gets an
``error`` message and the connection stays.
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
from os1.errors import AccessError, AudioError, InputError, OS1Error, TooMany
from os1.server.auth import Caller, identify
from os1.server.limits import Rule
from os1.server.services import Services, services
from os1.server.spaces import Space
from os1.server.voice import Line, RemoteSpeaker
from os1.voice.audio import RATE
from os1.voice.pipeline import VoiceConversation

VERSION = 1
MAX_FRAME_BYTES = 64 * 1024  # a text message is at most 8,000 characters: a frame this big is not a message
MESSAGES = Rule("messages per user", per_minute=30, burst=10)
DRAFTS = Rule("drafts read ahead per user", per_minute=60, burst=10)
# uvicorn's WebSocket options: no per-message compression (a conversation's frames are small, and compression keeps
# a zlib stream each way for every connection open, which is memory and CPU at thousands of connections)
SOCKET_OPTIONS: dict[str, Any] = {"ws_max_size": MAX_FRAME_BYTES, "ws_per_message_deflate": False}

# close codes (docs/websocket.md)
GOING_AWAY, INVALID_DATA, TOO_BIG, SERVER_ERROR = 1001, 1007, 1009, 1011
BAD_MESSAGE, UNAUTHENTICATED, FORBIDDEN, OLD_VERSION = 4400, 4401, 4403, 4426

router = APIRouter()

Out = dict[str, Any] | bytes


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
    connection = Connection(found, who)
    writer = asyncio.create_task(_write(socket, connection.outbox))
    try:
        await connection.open()
        while True:
            await connection.handle(_parsed(await socket.receive()))
    except Closing as closing:
        connection.outbox.put_nowait(closing)
    except WebSocketDisconnect:
        pass
    except OS1Error as exc:  # the user's data cannot be opened: a damaged file, a database that is down
        found.metrics.errors.labels(type(exc).__name__).inc()
        connection.outbox.put_nowait(Closing(SERVER_ERROR, f"your conversation cannot be opened now: {exc}"))
    finally:
        await connection.close()
        connection.outbox.put_nowait(Closing(GOING_AWAY, "bye"))
        with suppress(Exception):
            await asyncio.wait_for(writer, 5)
        writer.cancel()


class Connection:
    """One client's connection: its replies under way and its voice session, if any."""

    def __init__(self, found: Services, who: Caller):
        self.found, self.who = found, who
        self.outbox: asyncio.Queue[Out | Closing] = asyncio.Queue()
        self.replies: dict[str, asyncio.Task[None]] = {}
        self.voice: tuple[Line, list[asyncio.Task[None]]] | None = None
        self.space: Space | None = None  # once open, counted among the user's connections

    async def open(self) -> None:
        self.space = space = await self.found.spaces.open(self.who.user.id)
        space.connections += 1
        space.listeners.append(self._told)
        self.found.metrics.connections.inc()
        companion = space.companion
        self.outbox.put_nowait({
            "type": "ready", "version": VERSION, "user": {"id": self.who.user.id, "email": self.who.user.email},
            "companion": {"name": companion.persona.name} if companion else None,
            "limits": {"message_chars": MAX_MESSAGE_CHARS, "frame_bytes": MAX_FRAME_BYTES},
        })  # fmt: skip

    async def close(self) -> None:
        tasks = [*self.replies.values(), *(self.voice[1] if self.voice else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.space is None:
            return
        self.space.connections -= 1
        self.space.listeners.remove(self._told)
        self.found.metrics.connections.dec()

    def _told(self, message: dict[str, Any]) -> None:
        """What the user's space tells each of their connections; "bye" (the account was deleted) closes them."""
        self.outbox.put_nowait(Closing(UNAUTHENTICATED, message["reason"]) if message["type"] == "bye" else message)

    async def handle(self, message: dict[str, Any] | bytes) -> None:
        if isinstance(message, bytes):
            if self.voice is None:
                raise Closing(BAD_MESSAGE, 'binary frames carry audio: send "audio.start" first')
            try:
                self.voice[0].hear(message)
            except AudioError as exc:
                raise Closing(INVALID_DATA, str(exc)) from exc
            return
        kind = message["type"]
        if kind == "hello":
            if message.get("version") != VERSION:
                raise Closing(OLD_VERSION, f"this server speaks version {VERSION} of the protocol")
        elif kind == "ping":
            self.outbox.put_nowait({"type": "pong"})
        elif kind in ("say", "greet"):
            await self._say(kind, message)
        elif kind == "typing":
            text = message.get("text")
            if not isinstance(text, str):
                raise Closing(BAD_MESSAGE, 'a "typing" has a "text" (the draft, a string)')
            await self._typing(text)
        elif kind == "cancel":
            running = self.replies.get(str(message.get("id")))
            if running is not None:
                running.cancel()
        elif kind == "audio.start":
            await self._start_voice(message)
        elif kind == "audio.stop":
            if self.voice is not None:
                self.voice[0].stop()
        else:
            raise Closing(BAD_MESSAGE, f"unknown message type {kind[:40]!r}")

    async def _say(self, kind: str, message: dict[str, Any]) -> None:
        text, reply_id = message.get("text", ""), message.get("id")
        if not isinstance(text, str) or not isinstance(reply_id, str) or not reply_id or len(reply_id) > 64:
            raise Closing(BAD_MESSAGE, f'a "{kind}" has an "id" (a string of at most 64 characters)'
                          + (' and a "text"' if kind == "say" else ""))  # fmt: skip
        if reply_id in self.replies:
            raise Closing(BAD_MESSAGE, f"the id {reply_id[:40]!r} is already in use on this connection")
        try:
            self.found.limits.take(MESSAGES, self.who.user.id)
        except TooMany as exc:
            self.outbox.put_nowait(_error(reply_id, "rate_limited", str(exc), retry_after=round(exc.retry_after, 1)))
            return
        spaces = self.found.spaces
        space = await spaces.open(self.who.user.id)
        said = spaces.reply(space, text) if kind == "say" else spaces.greet(space)
        task = asyncio.create_task(_reply(self.found, reply_id, said, self.outbox))
        self.replies[reply_id] = task
        task.add_done_callback(lambda _: self.replies.pop(reply_id, None))

    async def _typing(self, text: str) -> None:
        try:  # drafts are hints: beyond the limit they are not read ahead, and the reply searches when it comes
            self.found.limits.take(DRAFTS, self.who.user.id)
        except TooMany:
            return
        self.found.spaces.foresee(await self.found.spaces.open(self.who.user.id), text)

    async def _start_voice(self, message: dict[str, Any]) -> None:
        if message.get("rate") != RATE or message.get("format") != "pcm16":
            raise Closing(BAD_MESSAGE, f'"audio.start" takes {{"rate": {RATE}, "format": "pcm16"}}: mono 16-bit PCM')
        if self.voice is not None and not all(task.done() for task in self.voice[1]):
            raise Closing(BAD_MESSAGE, "a voice session is already running on this connection")
        space = await self.found.spaces.open(self.who.user.id)
        if space.companion is None:
            self.outbox.put_nowait(_error(None, "bad_message", "meet your companion first: finish the interview"))
            return
        try:
            stt, tts = await asyncio.to_thread(self.found.voices.load)
        except OS1Error as exc:
            self.outbox.put_nowait(_error(None, "unavailable", f"voice is not available on this server: {exc}"))
            return
        speaker = RemoteSpeaker(tts.rate, flush=lambda: self.outbox.put_nowait({"type": "audio.flush"}))
        line = Line(speaker, self.outbox.put_nowait)
        shown = {"hearing": "voice.hearing", "user": "voice.user", "assistant": "voice.reply"}
        talk = VoiceConversation(
            space.companion, stt, tts, speaker,
            show=lambda who, text: self.outbox.put_nowait({"type": shown[who], "text": text}),
        )  # fmt: skip
        self.outbox.put_nowait({"type": "audio.format", "rate": tts.rate, "format": "pcm16"})
        running = asyncio.create_task(talk.run(line.frames(lambda: talk.busy)))
        playing = asyncio.create_task(line.play())
        # the client stopped: what is still to be said is said, then "audio.end"
        running.add_done_callback(lambda task: None if task.cancelled() else line.finish())
        playing.add_done_callback(
            lambda task: None if task.cancelled() else self.outbox.put_nowait({"type": "audio.end"})
        )
        self.voice = (line, [running, playing])


def _admitted(socket: WebSocket) -> Caller:
    origin = socket.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != socket.headers.get("host"):
        raise Closing(FORBIDDEN, "this page's origin may not open a conversation here")
    try:
        return identify(socket)
    except AccessError as exc:
        raise Closing(UNAUTHENTICATED, str(exc)) from exc


def _parsed(frame: Mapping[str, Any]) -> dict[str, Any] | bytes:
    if frame["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(frame.get("code", 1000))
    if frame.get("bytes") is not None:
        data: bytes = frame["bytes"]
        if len(data) > MAX_FRAME_BYTES:
            raise Closing(TOO_BIG, f"a frame is at most {MAX_FRAME_BYTES:,} bytes")
        return data
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


async def _reply(
    found: Services, reply_id: str, deltas: AsyncIterator[str], outbox: asyncio.Queue[Out | Closing]
) -> None:
    said: list[str] = []
    started = time.monotonic()
    try:
        async with aclosing(deltas) as reply:  # type: ignore[type-var]
            async for delta in reply:
                if not said:
                    found.metrics.first_token.observe(time.monotonic() - started)
                said.append(delta)
                outbox.put_nowait({"type": "delta", "id": reply_id, "text": delta})
        found.metrics.messages.labels("websocket").inc()
        outbox.put_nowait({"type": "done", "id": reply_id, "text": "".join(said), "interrupted": False})
    except asyncio.CancelledError:
        outbox.put_nowait({"type": "done", "id": reply_id, "text": "".join(said), "interrupted": True})
        raise
    except InputError as exc:
        outbox.put_nowait(_error(reply_id, "bad_message", str(exc)))
    except OS1Error as exc:
        found.metrics.errors.labels(type(exc).__name__).inc()
        outbox.put_nowait(_error(reply_id, "unavailable", str(exc)))


def _error(reply_id: str | None, code: str, message: str, **more: Any) -> dict[str, Any]:
    return {"type": "error", "id": reply_id, "code": code, "message": message, **more}


async def _write(socket: WebSocket, outbox: asyncio.Queue[Out | Closing]) -> None:
    """Send the outbox in order. What queued up while a frame was being sent goes next, a reply's deltas that
    wait together as one frame: when the server is busy it sends fewer, larger frames, and never waits to."""
    while True:
        waiting = [await outbox.get()]
        while not outbox.empty():
            waiting.append(outbox.get_nowait())
        for item in _joined(waiting):
            try:
                if isinstance(item, Closing):
                    await socket.close(item.code, item.reason)
                    return
                if isinstance(item, bytes):
                    await socket.send_bytes(item)
                else:
                    await socket.send_text(json.dumps(item, ensure_ascii=False))
            except (WebSocketDisconnect, RuntimeError):
                return  # the client left; the reader sees it too


def _joined(items: list[Out | Closing]) -> list[Out | Closing]:
    """``items`` with each run of deltas of the same reply made one delta."""
    joined: list[Out | Closing] = []
    for item in items:
        last = joined[-1] if joined else None
        if (isinstance(item, dict) and isinstance(last, dict) and item["type"] == last["type"] == "delta"
                and item["id"] == last["id"]):  # fmt: skip
            joined[-1] = {**last, "text": last["text"] + item["text"]}
        else:
            joined.append(item)
    return joined
