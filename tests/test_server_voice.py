"""Voice over the WebSocket, as a browser does it: recorded speech streamed in real time as 16-bit PCM, the
companion's voice back in binary frames, and the user speaking over it (the client is told to drop what it
holds, and the transcript keeps what was heard)."""

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from websockets.sync.client import ClientConnection

from os1 import models
from os1.config import Settings
from os1.memory.embed import MiniLM
from os1.memory.sqlite import SQLiteStore
from os1.memory.store import Persona, Profile
from os1.server.voice import Voices
from os1.testing import ScriptedLLM
from os1.voice.audio import RATE, read_wav
from os1.voice.stt import Whisper
from os1.voice.tts import Espeak
from tests.serving import Server, serving, talk
from tests.test_server_conversation import closed_with, opened, received, signed_up

LONG = (
    "Oh, I love that you asked. Let me tell you about the sea near my old town. Every morning the fishing boats "
    "came back with the tide. The gulls followed them all the way in. People waited on the harbour wall."
)
BLOCK = 640  # 40 ms of 16 kHz sound, as a browser's audio worklet might send it


@pytest.fixture
def llm() -> ScriptedLLM:
    return ScriptedLLM(LONG, *[talk] * 50, delay=0.05)


@pytest.fixture
def server(home: Path, embedder: MiniLM, llm: ScriptedLLM, speech_models: Settings) -> Iterator[Server]:
    whisper = Whisper(models.installed_path(speech_models, "whisper-tiny.en").parent)
    voices = Voices(Settings(home=home), stt=whisper, tts=Espeak())
    with serving(home, llm, embedder, voices=voices) as running:
        yield running


def stream(socket: ClientConnection, sound: np.ndarray) -> None:
    """Send ``sound`` as a microphone would: 40 ms of PCM every 40 ms."""
    pcm = (np.clip(sound, -1, 1) * 32767).astype("<i2")
    started = time.monotonic()
    for index, start in enumerate(range(0, len(pcm), BLOCK)):
        time.sleep(max(0.0, started + index * BLOCK / RATE - time.monotonic()))
        socket.send(pcm[start : start + BLOCK].tobytes())


def test_a_spoken_turn_over_the_websocket_interrupted_by_the_user(
    server: Server, speech: Path, persona: Persona, profile: Profile
) -> None:
    user_id, headers = signed_up(server, "theo@example.org", persona, profile)
    hello = read_wav(speech / "Front_Left.wav").at(RATE).samples
    cities = read_wav(speech / "two_cities.wav").at(RATE).samples[: 5 * RATE]
    events: list[dict[str, Any]] = []
    sound_bytes = 0
    with opened(server, headers) as socket:
        received(socket)
        socket.send(json.dumps({"type": "audio.start", "rate": RATE, "format": "pcm16"}))
        assert received(socket) == {"type": "audio.format", "rate": Espeak().rate, "format": "pcm16"}
        spoken_over = threading.Event()

        def microphone() -> None:
            stream(socket, np.concatenate([np.zeros(RATE // 2, np.float32), hello]))
            while not spoken_over.is_set():  # silence until the companion is heard talking
                stream(socket, np.zeros(BLOCK * 5, np.float32))
            stream(socket, np.concatenate([cities, np.zeros(RATE, np.float32)]))
            socket.send(json.dumps({"type": "audio.stop"}))

        sender = threading.Thread(target=microphone)
        sender.start()
        while True:
            message = socket.recv(timeout=60)
            if isinstance(message, bytes):
                sound_bytes += len(message)
                if sound_bytes > Espeak().rate * 2 * 1.5:  # 1.5 s of its voice heard: speak over it
                    spoken_over.set()
                continue
            events.append(json.loads(message))
            if events[-1]["type"] == "audio.end":
                break
        sender.join()
    kinds = [e["type"] for e in events]
    assert "voice.user" in kinds and "voice.reply" in kinds and "audio.flush" in kinds
    first_turn = next(e["text"] for e in events if e["type"] == "voice.user")
    assert "front" in first_turn.lower()
    store = SQLiteStore.open(server.home, user_id)
    turns = [t for t in asyncio.run(store.turns()) if t.speaker != "event"]
    store.close()
    assert [t.speaker for t in turns][:3] == ["user", "assistant", "user"]
    cut = turns[1]
    assert cut.interrupted and cut.text and LONG.startswith(cut.text.rstrip(".")[:20]) and len(cut.text) < len(LONG)
    assert "best of times" in turns[2].text.lower()  # what was said over it was heard, and answered


def test_audio_before_its_start_and_a_wrong_format_are_refused(
    server: Server, persona: Persona, profile: Profile
) -> None:
    _, headers = signed_up(server, "theo@example.org", persona, profile)
    with opened(server, headers) as socket:
        received(socket)
        socket.send(json.dumps({"type": "audio.start", "rate": 44100, "format": "pcm16"}))
        code, reason = closed_with(socket)
        assert code == 4400 and "16000" in reason
