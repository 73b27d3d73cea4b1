"""Talking out loud in the web app (src/os1/server/web/voice.js and the chat view), in Debian's Chromium driven by
Playwright, against the real server with Whisper and espeak-ng: the browser's fake microphone plays recorded
speech, the user's words and the companion's reply are written in the conversation, its voice is played, and
the transcript keeps the spoken turns. A microphone the browser refuses gets a kind word instead."""

import re
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from os1 import models
from os1.config import Settings
from os1.llm import Message
from os1.memory.embed import MiniLM
from os1.memory.store import Persona, Profile
from os1.server.voice import Voices
from os1.testing import ScriptedLLM
from os1.voice.stt import Whisper
from os1.voice.tts import Espeak
from tests.serving import Server, serving, talk
from tests.test_web import browsing

MICROPHONE = "--use-fake-device-for-media-stream"

GREETING = "Good to see you again, Theo."
HEARD = "I hear you loud and clear."
STORY = (
    f"{HEARD} Let me tell you about the harbour near my old town. Every morning the fishing boats came back with "
    "the tide, and the gulls followed them all the way in. People waited on the harbour wall with their baskets, "
    "and the children ran along the sand to see what the sea had brought that day. In winter the fog came in so "
    "thick that the foghorn called all night long, and nobody in town could sleep."
)
SPOKEN = re.compile(r"front\W*left", re.IGNORECASE)
WAIT_MS = 30_000


def companion() -> ScriptedLLM:
    """It greets, answers the first words it hears with a story long enough to be spoken over (the microphone
    says "front left" again meanwhile) and the next ones briefly; memory work gets the plainest JSON."""
    answers = iter([GREETING, STORY])

    def replying(messages: Sequence[Message], schema: dict[str, Any] | None) -> str:
        return talk(messages, schema) if schema else next(answers, HEARD)

    return ScriptedLLM(*[replying] * 100)


def microphone(speech: Path, folder: Path) -> Path:
    """A WAV for Chromium's fake microphone, which loops it: a quiet room's hiss (a real microphone is never
    silent, and the browser's noise suppression learns from it) for 3 s, while the server gets its voice ready,
    then "front left" (Debian's 48 kHz mono 16-bit clip) at half its level, as a voice at arm's length is (at
    full level, after Chrome's noise suppression and gain control, the server's listener at times hears the
    speech start late and loses the "fr"), then 12 s more: time for a short reply, not a story."""
    with wave.open(str(speech / "Front_Left.wav")) as clip:
        params, said = clip.getparams(), np.frombuffer(clip.readframes(clip.getnframes()), "<i2")
    hiss = np.random.default_rng(1).normal(0, 30, params.framerate * 15 + len(said))  # about -60 dBFS
    start = params.framerate * 3
    hiss[start : start + len(said)] += said / 2
    path = folder / "microphone.wav"
    with wave.open(str(path), "wb") as out:
        out.setparams(params)
        out.writeframes(np.clip(hiss, -32768, 32767).astype("<i2").tobytes())
    return path


def signed_in(page: Page, server: Server) -> None:
    page.goto(server.url)
    page.get_by_label("Email").fill("theo@example.org")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("log").get_by_text(GREETING)).to_be_visible()


@pytest.fixture
def voices(home: Path, speech_models: Settings) -> Voices:
    whisper = Whisper(models.installed_path(speech_models, "whisper-tiny.en").parent)
    return Voices(Settings(home=home), stt=whisper, tts=Espeak())


def test_talking_out_loud(
    home: Path,
    tmp_path: Path,
    embedder: MiniLM,
    voices: Voices,
    speech: Path,
    persona: Persona,
    profile: Profile,
) -> None:
    wav = microphone(speech, tmp_path)
    with serving(home, companion(), embedder, voices=voices) as server:
        _, said = server.sign_up("theo@example.org")
        server.meet(said["user"]["id"], persona, profile)
        with browsing(MICROPHONE, "--use-fake-ui-for-media-stream", f"--use-file-for-fake-audio-capture={wav}") as page:
            page.context.grant_permissions(["microphone"])
            signed_in(page, server)
            log = page.get_by_role("log")
            mic = page.get_by_role("button", name="Talk out loud")
            expect(mic).to_have_attribute("aria-pressed", "false")

            mic.click()
            expect(mic).to_have_attribute("aria-pressed", "true")
            expect(page.get_by_text("Listening.")).to_be_visible(timeout=WAIT_MS)
            expect(log.get_by_text("wear headphones")).to_be_visible()  # once
            expect(log.get_by_text(HEARD).first).to_be_visible(timeout=WAIT_MS)  # the story, as it is said
            expect(page.get_by_text("Samantha is speaking.")).to_be_visible(timeout=WAIT_MS)  # out loud
            expect(log.get_by_text("— cut off")).to_be_visible(timeout=WAIT_MS)  # the microphone spoke over it
            turns = log.get_by_role("listitem")  # (the words still being heard are not one yet)
            expect(turns.filter(has_text=SPOKEN).first).to_be_visible(timeout=WAIT_MS)  # the user's words
            expect(log.get_by_text(HEARD)).to_have_count(2, timeout=WAIT_MS)  # answered briefly this time
            expect(page.get_by_text("Listening.")).to_be_visible(timeout=WAIT_MS)  # and done: the user's turn

            mic.click()
            expect(mic).to_have_attribute("aria-pressed", "false")
            expect(page.get_by_text("Listening.")).to_be_hidden()
            expect(mic).to_be_enabled(timeout=WAIT_MS)  # the server ended the session

            page.reload()  # the transcript keeps what was said out loud, and what was cut off
            expect(turns.filter(has_text=SPOKEN).first).to_be_visible()
            expect(log.get_by_text(HEARD)).to_have_count(2)
            expect(log.get_by_text("— cut off")).to_be_visible()
            mic.click()
            expect(page.get_by_text("Listening.")).to_be_visible(timeout=WAIT_MS)
            expect(log.get_by_text("wear headphones")).to_have_count(0)  # suggested once is enough
            mic.click()
            expect(mic).to_have_attribute("aria-pressed", "false")


def test_a_refused_microphone_gets_a_kind_word(
    home: Path, embedder: MiniLM, persona: Persona, profile: Profile
) -> None:
    with serving(home, companion(), embedder) as server:
        _, said = server.sign_up("theo@example.org")
        server.meet(said["user"]["id"], persona, profile)
        with browsing(MICROPHONE) as page:  # no permission given, and no fake prompt to accept it
            signed_in(page, server)
            mic = page.get_by_role("button", name="Talk out loud")
            mic.click()
            expect(page.get_by_role("log").get_by_text("The microphone is blocked for this page.")).to_be_visible()
            expect(mic).to_have_attribute("aria-pressed", "false")
            expect(page.get_by_text("Listening.")).to_have_count(0)
