"""A spoken conversation: microphone frames in, the companion's voice out, one way through small stages.

    frames -> Listener (VAD: started / sure / ended) -> speech to text -> Companion.respond
           -> pieces (sentences as they are written) -> text to speech -> Speaker -> sound out

The runner owns the lifecycle; the stages only turn what they are given into what comes next. Taking turns:

- the user starts speaking while the companion talks: it pauses at once (the next audio block);
- the speech goes on past ``vad.SURE_SECONDS``, or it ends and its words are more than an "mm-hm", a "yeah"
  or a cough: the reply is cancelled (generation and speech), and the transcript keeps only the words that
  were played, marked as cut off. Otherwise the companion goes on where it paused. Whisper guesses words for
  a murmur (an "mm-hm" came out as "and make him"), so a short sound it is unsure of (mean log-probability
  below ``GUESS``) counts as a murmur too: a real "wait" or "stop" is heard at about -0.4 to -0.9;
- when the reply will take a while (the model's last replies took ``SLOW_SECONDS`` or more to start), the
  companion says a short "mm" or "hmm" as soon as it has the user's words, never the same one twice in a row;
  it is a sound, not words, so it stays out of the transcript;
- the user's words are written down while they speak (``Scribe``: shown as they come, and read again as soon
  as they pause, during the hang-over that makes sure the turn is over), so they are ready when the turn
  ends; the model reads the prompt its reply would begin with as soon as the words of a pause are known
  (``Companion.foresee``: dropped if the user goes on), so when the turn is over it only has to write; the
  reply is written and spoken at once: the first sentence is synthesised while the model writes the rest.

Every turn's timings (end of speech, transcript, first words written, first sound) are kept in ``timings``,
on the runner's clock, for bench/voice.py.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing, suppress
from dataclasses import dataclass, field

import numpy as np

from os1.companion.companion import Companion
from os1.voice.audio import Samples
from os1.voice.events import (
    Heard,
    SpeechConfirmed,
    SpeechDropped,
    SpeechEnded,
    SpeechGrew,
    SpeechPaused,
    SpeechStarted,
)
from os1.voice.scribe import Scribe
from os1.voice.sentences import pieces
from os1.voice.speaker import Speaker
from os1.voice.stt import SpeechToText, Transcript
from os1.voice.tts import TextToSpeech
from os1.voice.vad import HANGOVER_SECONDS, Listener

GUESS = -0.9
FILLERS = ("Mm.", "Hmm.", "Mm-hm.", "Oh.", "Right.")
SLOW_SECONDS = 1.2  # a reply expected to take this long to start gets a filler first
FIRST_GUESS_SECONDS = 2.0  # what the first reply of a conversation is expected to take, before any is timed
BACKCHANNELS = {
    "mm", "mmm", "mhm", "mm-hm", "mm-hmm", "hm", "hmm", "uh-huh", "uh", "um", "ah", "oh", "yeah", "yep", "yes",
    "ok", "okay", "right", "sure", "i see", "aha", "ha", "haha", "wow",
}  # fmt: skip


def spoken(text: str) -> str:
    """The words in a transcript, lower case, without the sounds Whisper writes as "(coughs)" or "[laughs]"."""
    return " ".join(re.findall(r"[a-z]+(?:-[a-z]+)*", re.sub(r"\([^)]*\)|\[[^\]]*\]|\*[^*]*\*", " ", text.lower())))


def backchannel(text: str) -> bool:
    """Whether what was said over the companion only shows the user is listening (or is no words at all)."""
    phrase = spoken(text)
    return not phrase or phrase in BACKCHANNELS or all(word in BACKCHANNELS for word in phrase.split())


@dataclass
class Timing:
    """One answered turn, in seconds on the runner's clock."""

    said: str
    speech_ended: float  # the user's last sound (the listener knows it a hang-over later)
    turn_ended: float  # when the listener decided the turn was over
    transcribed: float = 0.0
    first_words: float = 0.0  # the first piece of the reply was written
    first_audio: float = 0.0  # its sound was synthesised
    first_sound: float = 0.0  # and began to play
    filler: str = ""  # the sound made while the reply was written, if any
    filler_sound: float = 0.0  # when it began to play
    reply: str = ""
    interrupted: bool = False


@dataclass
class VoiceConversation:
    companion: Companion
    stt: SpeechToText
    tts: TextToSpeech
    speaker: Speaker
    listener: Listener = field(default_factory=Listener)
    clock: Callable[[], float] = time.monotonic  # the speaker's clock too
    timings: list[Timing] = field(default_factory=list)
    show: Callable[[str, str], None] = field(default=lambda who, text: None)  # who ("user", "assistant", or
    # "hearing": the words of a turn still being spoken), and the words

    def __post_init__(self) -> None:
        self._turn: asyncio.Task[None] | None = None
        self._reply: asyncio.Task[None] | None = None
        self._scribe = Scribe(self.stt, shown=lambda words: self.show("hearing", words))
        self._foresight: tuple[asyncio.Future[Transcript], asyncio.Task[None]] | None = None
        self._fillers: dict[str, Samples] = {}
        self._last_filler = ""
        self._model_seconds = FIRST_GUESS_SECONDS  # how long the model took to start its recent replies

    async def run(self, frames: AsyncIterator[Samples]) -> None:
        """Listen to ``frames`` (16 kHz, ``audio.FRAME`` samples each) until they end, then let the last reply
        finish."""
        if not self._fillers:
            await self._make_fillers()  # a few short sounds, made once before listening
        async for frame in frames:
            for event in self.listener.feed(frame):
                self._on(event)
        for task in (self._turn, self._reply):
            if task is not None:
                with suppress(asyncio.CancelledError):
                    await task
        await self._scribe.idle()

    @property
    def busy(self) -> bool:
        """Still hearing, answering or speaking."""
        pending = [task for task in (self._turn, self._reply) if task is not None and not task.done()]
        return bool(pending) or self.speaker.playing or self.listener.hearing

    def _on(self, event: Heard) -> None:
        if isinstance(event, SpeechStarted | SpeechGrew | SpeechPaused):
            self._forget_foresight()  # they speak on: what was read ahead is not what they will have said
        if isinstance(event, SpeechStarted):
            self._scribe.new_turn()
            self.companion.listening()
            if self._speaking:
                self.speaker.pause()
        elif isinstance(event, SpeechDropped) and self.speaker.paused:
            self.speaker.resume()
        elif isinstance(event, SpeechConfirmed) and self._speaking:
            self._turn = asyncio.ensure_future(self._interrupt())
        elif isinstance(event, SpeechPaused):
            words = self._scribe.read(event.audio)
            if not self._speaking:  # (while the user speaks over a reply, the model is still busy with it)
                self._foresight = (words, asyncio.ensure_future(self._foresee(words)))
        elif isinstance(event, SpeechGrew) and not self._writing:  # the model keeps the cores till cut off
            self._scribe.read(event.audio)
        elif isinstance(event, SpeechEnded):
            words = self._scribe.words(event.audio)
            foresight, self._foresight = self._foresight, None
            if foresight is not None and foresight[0] is not words:  # read ahead for other words
                foresight[1].cancel()
            ahead = foresight[1] if foresight is not None else None
            self._turn = asyncio.ensure_future(self._answer(words, self._turn, ahead, ended=self.clock()))

    async def _foresee(self, words: asyncio.Future[Transcript]) -> None:
        text = (await words).text
        if spoken(text):
            await self.companion.foresee(text)

    def _forget_foresight(self) -> None:
        if self._foresight is not None:
            self._foresight[1].cancel()
            self._foresight = None

    @property
    def _writing(self) -> bool:
        return self._reply is not None and not self._reply.done()

    @property
    def _speaking(self) -> bool:
        return self._writing or self.speaker.playing

    async def _answer(
        self,
        words: asyncio.Future[Transcript],
        before: asyncio.Task[None] | None,
        ahead: asyncio.Task[None] | None,
        *,
        ended: float,
    ) -> None:
        timing = Timing("", speech_ended=ended - HANGOVER_SECONDS, turn_ended=ended)
        if before is not None:
            with suppress(asyncio.CancelledError):
                await before
        transcript = await words
        text = transcript.text
        timing.said, timing.transcribed = text, self.clock()
        if self.speaker.paused:  # it spoke over the companion
            if backchannel(text) or transcript.confidence < GUESS:
                self.speaker.resume()
                return
            await self._interrupt()
        if not spoken(text):
            return  # a cough, a breath: nothing to answer
        if ahead is not None:  # the model reads (or read) the prompt ahead: the reply starts where it ends
            await asyncio.gather(ahead, return_exceptions=True)
        self.show("user", text)
        self.timings.append(timing)
        if self._model_seconds >= SLOW_SECONDS:
            self._fill(timing)
        self._reply = asyncio.ensure_future(self._say(text, timing))

    def _fill(self, timing: Timing) -> None:
        """Say the next filler aside: never the one said last."""
        choice = FILLERS[(FILLERS.index(self._last_filler) + 1) % len(FILLERS)] if self._last_filler else FILLERS[0]
        self._last_filler = timing.filler = choice
        self.speaker.say(self._fillers[choice])
        timing.filler_sound = self.clock()

    async def _make_fillers(self) -> None:
        for filler in FILLERS:
            self._fillers[filler] = np.concatenate([chunk async for chunk in self.tts.speak(filler)])

    async def _interrupt(self) -> None:
        if self._reply is not None and not self._reply.done():
            self._reply.cancel()
            with suppress(asyncio.CancelledError):
                await self._reply
        if self.timings:
            self.timings[-1].interrupted = self.speaker.playing
        heard = self.speaker.heard()
        self.speaker.clear()
        await self.companion.cut_reply(heard)

    async def _say(self, text: str, timing: Timing) -> None:
        self.speaker.start_reply(on_sound=lambda at: setattr(timing, "first_sound", at))
        written: asyncio.Queue[str | None] = asyncio.Queue()

        async def write() -> None:
            async with aclosing(pieces(self.companion.respond(text))) as reply:
                async for piece in reply:
                    if not timing.first_words:
                        timing.first_words = self.clock()
                        self._model_seconds = (self._model_seconds + timing.first_words - timing.transcribed) / 2
                    timing.reply += (" " if timing.reply else "") + piece
                    self.show("assistant", piece)
                    await written.put(piece)
            await written.put(None)

        async def speak() -> None:
            while (piece := await written.get()) is not None:
                index = self.speaker.add_piece(piece)
                async with aclosing(self.tts.speak(piece)) as sound:
                    async for chunk in sound:
                        timing.first_audio = timing.first_audio or self.clock()
                        self.speaker.say(chunk, index)

        writer, speaker = asyncio.ensure_future(write()), asyncio.ensure_future(speak())
        try:
            await asyncio.gather(writer, speaker)
        finally:
            for task in (writer, speaker):
                task.cancel()
            await asyncio.gather(writer, speaker, return_exceptions=True)
