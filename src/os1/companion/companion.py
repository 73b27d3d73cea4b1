"""The companion at conversation time: one user's persona, profile, transcript and model."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from os1.companion import inner
from os1.companion.abilities import asked_to_do, note_for
from os1.companion.checks import names_in
from os1.companion.control import Done, handle, requested
from os1.companion.growth import grow
from os1.companion.guard import FALLBACK, guarded
from os1.companion.honesty import note_on_company
from os1.companion.languages import UNKNOWN, Locale
from os1.companion.prompt import (
    AS_YOURSELF,
    AVOID,
    BARRED,
    NEXT_WORDS,
    estimate_tokens,
    history_messages,
    opening,
    prefix_messages,
    replayed,
    system_prompt,
)
from os1.companion.recalled import RECALL_LIMIT, note_of, worth_noting
from os1.companion.renaming import asked, choose_again
from os1.companion.who import described
from os1.errors import InputError, LLMBadResponse
from os1.llm import LLM, Message
from os1.memory.observe import Observer
from os1.memory.recall import Hit, Recall
from os1.memory.store import (
    OPENING,
    Inner,
    Memory,
    Mood,
    Persona,
    Profile,
    Reflection,
    Speaker,
    Store,
    Turn,
)

MAX_MESSAGE_CHARS = 8000
IDLE_BEFORE_DIARY_SECONDS = 45.0
IN_VIEW_TURNS = 48  # the latest turns the history replays, which the model sees: not quoted back to it
QUIET_GAP_SECONDS = 15 * 60  # back within this long: carry on without a greeting


class Companion:
    def __init__(
        self,
        llm: LLM,
        store: Store,
        persona: Persona,
        profile: Profile,
        *,
        context_tokens: int = 8192,
        reply_tokens: int = 400,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        recall: Recall | None = None,
        observer: Observer | None = None,
        company: Callable[[], int] = lambda: 0,
        locale: Locale = UNKNOWN,
        keep_prefix: bool = False,
    ):
        """``keep_prefix``: have the model keep the prompt's stable beginning on disk and load it at each start
        instead of reading it again (a terminal's own home; never a server's, whose disk is not its users')."""
        self.llm = llm
        self.locale = locale  # the user's, should it have to narrow the names again
        self.keep_prefix = keep_prefix
        self.company = company  # how many other conversations it is in right now (a server's count)
        self.remembered: Callable[[int], None] = lambda count: None  # told when memory work kept something
        self.recall = recall
        self.observer = observer
        self.store = store
        self.persona = persona
        self.profile = profile
        self.context_tokens = context_tokens
        self.reply_tokens = reply_tokens
        self.clock = clock
        self._session: int | None = None
        self._opened = False  # whether this conversation's opening note is in the transcript
        self._turns: list[Turn] | None = None
        self._noted: list[Memory] = []  # memories already put in this conversation's history, newest last
        self._noted_turns: set[int] = set()  # past turns already quoted in it
        self.reflection: Reflection | None = None  # its notes on the user, for the next conversation's opening
        self.inner = Inner()  # its traits now, how they changed and its interests, as /who shows them
        self.mood: Mood | None = None  # as it was last moved (companion/inner.py)
        self._told: str | None = None  # the mood's word as this conversation was last told of it
        self._background: asyncio.Task[int] | None = None
        self._reading: asyncio.Task[None] | None = None  # the model reading on after a reply (``_remember_later``)
        self._memory_work = 0  # how many times memory work may have changed what recall finds
        self._ahead: tuple[tuple[object, ...], str | None, list[Hit]] | None = None  # what foresee() recalled
        self.recalled_ahead = False  # whether the last reply used what foresee() recalled

    @classmethod
    async def load(cls, llm: LLM, store: Store, **options: object) -> Companion | None:
        """The companion this store holds, or None before the setup interview."""
        persona, profile = await store.persona(), await store.profile()
        if persona is None or profile is None:
            return None
        companion = cls(llm, store, persona, profile, **options)  # type: ignore[arg-type]
        companion.reflection = await store.reflection()
        companion.inner = await store.inner() or Inner()
        companion.mood = companion.inner.mood
        return companion

    def remember_with(self, recall: Recall) -> None:
        """Bring back what ``recall`` holds when it matters, and keep what is said in it."""
        self.recall = recall
        self.observer = Observer(self.llm, recall, {"user": self.profile.name, "assistant": self.persona.name})

    def reread(self) -> None:
        """The transcript changed elsewhere (another worker of a server): read it again before the next reply."""
        self._turns = None
        self._ahead = None

    async def imported(self) -> None:
        """Conversations were imported into the store: read the transcript again, and start reading them for
        memories now, in the background, as after a reply."""
        await self.pause()
        self.reread()
        self._remember_later()

    async def transcript(self) -> list[Turn]:
        if self._turns is None:
            self._turns = await self.store.turns()
            self.persona = await self.store.persona() or self.persona  # another worker may have renamed it
        return self._turns

    def respond(self, text: str) -> AsyncIterator[str]:
        """Stream the reply to what the user said. The user's words are saved before the model is asked.

        Memory work in the background stops while the reply is made (one model, few cores) and starts again
        after it; what it had not finished stays queued."""
        return self._respond(check_message(text))

    async def prepare(self) -> None:
        """Have the model read the stable prefix and the conversation so far, up to where the user's next words
        begin, so the first reply only computes those words (a voice conversation cannot wait ten seconds for its
        first answer). Before the very first greeting (the terminal has this done while the user reads the name
        just chosen), the greeting's whole prompt, the note that opens the conversation with it: the greeting
        then only has to be written."""
        await self._read_prefix()
        transcript = await self.transcript()
        if (event := self._first_greeting(transcript)) is None:
            await self._read_on()
            return
        if self._session is None:  # the conversation begins: as foresee() has it
            self._session = await self.store.start_session()
        now = self.clock()
        await self.llm.read(self.messages([*transcript, *self._opens(transcript, now), self._event(event, now)]))

    async def ready(self) -> None:
        """Wait until the model has read on after the last reply (``_remember_later``), as it has for a user who
        reads the reply before answering; at once if it has, or is not reading."""
        if self._reading is not None:
            await asyncio.wait([self._reading])

    async def _read_on(self) -> None:
        await self.llm.read([*self.messages(await self.transcript()), NEXT_WORDS])

    async def _read_prefix(self) -> None:
        """With ``keep_prefix``, load the stable beginning of the prompt from where the model kept it (or read it
        and keep it): the system message and examples, ~1,000 tokens, the same from day to day."""
        if self.keep_prefix:
            await self.llm.read(self._prefix(), keep=True)

    async def foresee(self, text: str, *, read: bool = True) -> None:
        """The user paused after saying (or typing) ``text``: find what memory has to add to it and, with
        ``read``, have the model read the prompt a reply to it would begin with (that note, then the words).
        If ``text`` is then what they say, the reply only has to be written: what was recalled is used, unless
        the conversation or those memories changed since. Nothing is said or kept but the start of the
        conversation; a request about memory itself ("forget that ...") is not read ahead, as answering it acts."""
        text = check_message(text)
        if requested(text) or asked(text):
            return
        if self._session is None:  # the conversation has begun: its count in the prompt is already the same
            self._session = await self.store.start_session()
        state = await self._recall_state(text)
        recalled, hits = await self._recalled(text)
        self._ahead = (state, recalled, hits)
        if not read:
            return
        notes = [note for note in (recalled, *self._side_notes(text)) if note]  # as respond() has them
        now = self.clock()
        transcript = await self.transcript()
        ahead = [
            *self._opens(transcript, now),
            *(self._event(note, now) for note in notes),
            Turn(0, self._session, "user", text, now),
        ]
        await self.llm.read(self.messages([*transcript, *ahead]))

    def _opens(self, transcript: list[Turn], now: datetime) -> list[Turn]:
        """The note that will open this conversation, as a turn to read ahead, if it is not in the transcript yet."""
        return [] if self._opened else [self._event(self.opening(transcript), now, external_id=OPENING)]

    def _event(self, text: str, now: datetime, external_id: str | None = None) -> Turn:
        """An event turn of this conversation (begun), to read ahead: not kept."""
        assert self._session is not None
        return Turn(0, self._session, "event", text, now, external_id=external_id)

    async def cut_reply(self, heard: str) -> None:
        """The last reply was heard only up to ``heard`` (the user spoke over it): the transcript keeps what was
        heard, marked as cut off, not what was written."""
        turns = await self.transcript()
        if not turns or turns[-1].speaker != "assistant" or turns[-1].text == heard:
            return
        await self.store.cut_turn(turns[-1].id, heard)
        turns[-1:] = [replace(turns[-1], text=heard, interrupted=True)] if heard.strip() else []

    async def settle(self) -> None:
        """Finish the memory work queued so far, write this conversation's diary entry and, when enough is new,
        the reflection and what the companion grows from it (before leaving); the next conversation's opening has
        them."""
        await self.pause()  # its unfinished work stays queued and is done here
        if self.observer is not None:
            await self.observer.settle()
            self._memory_work += 1
            await self._grow()
            self.reflection = await self.store.reflection()
            await self.look_inward()

    async def look_inward(self) -> None:
        """Read its inner life again (what growth, a forget or another worker changed since), for /who; the
        conversation's opening note keeps what it started with."""
        self.inner = await self.store.inner() or Inner()
        self.mood = self.inner.mood

    async def pause(self) -> None:
        """Stop the memory work under way and wait until it has: what it had not done stays queued."""
        self.listening()
        await asyncio.gather(*(task for task in (self._reading, self._background) if task), return_exceptions=True)

    def listening(self) -> None:
        """The user has started to speak: memory work in the background stops (what it had not finished stays
        queued, and starts again after the next reply), so hearing and answering them get the cores. Reading on
        after the last reply stops too if it has not begun: what it would have read, the reply reads."""
        for task in (self._reading, self._background):
            if task is not None:
                task.cancel()

    async def _respond(self, text: str) -> AsyncIterator[str]:
        self.listening()
        renamed = await self._name_note(text)
        recalled, done = await self._memory_note(text)
        notes = [note for note in (renamed, recalled, *self._side_notes(text)) if note]
        after = [done.note] if done and done.note else []
        async for delta in self._turn("user", text, notes=notes, after=after, reply=done.reply if done else ""):
            yield delta
        self._remember_later()

    async def rename(self) -> Persona:
        """Choose another name, as the user asked (``renaming.py``): the persona is saved with it, and the
        transcript tells it as an event (what was said before stays as said)."""
        note = await self._renamed()
        (await self.transcript()).append(await self._save("event", note))
        return self.persona

    async def _name_note(self, text: str) -> str | None:
        """If ``text`` asks for another name: choose it, and the note saying so (or that none could be chosen)."""
        if not asked(text):
            return None
        try:
            return f"{await self._renamed()} Tell them, in a sentence or two."
        except LLMBadResponse:
            return (
                f"{self.profile.name} asked you to choose another name, but you could not settle on one just now: "
                f"you are still {self.persona.name}. Say so, and that they can ask again."
            )

    async def _renamed(self) -> str:
        old = self.persona
        self.persona = await choose_again(self.llm, self.store, old, self.profile, locale=self.locale)
        return (
            f"{self.profile.name} asked you to choose another name than {old.name}. You chose {self.persona.name}, "
            f"and you are {self.persona.name} from now on. Why: {self.persona.why}"
        )

    def _remember_later(self) -> None:
        """After a reply, while the user reads it: the model reads the conversation as it now stands up to where
        the user's next words will begin, so the reply to them computes only their words (the 5 tokens that open
        a user's turn cost ~0.1-0.35 s on 2 cores; a reply written without the model, "what do you know about
        me?" answered from memory, ~150 tokens; one asked for again, written after a note the conversation does
        not keep, ~50); then memory work in the background, until the user speaks again."""
        self._reading = asyncio.create_task(self._read_on())
        self._reading.add_done_callback(_REPORT_UNREAD)
        self._background = asyncio.create_task(self._remember(self.observer, self._reading))
        self._background.add_done_callback(_REPORT_FAILURE)

    def _side_notes(self, text: str) -> tuple[str | None, ...]:
        """Notes on what the companion cannot do, and on whom else it is talking with, when ``text`` asks."""
        user = self.profile.name
        return note_for(text, user), note_on_company(text, user, self.company)

    async def _remember(self, observer: Observer | None, reading: asyncio.Task[None]) -> int:
        """After a reply, once the model has read on (``reading``): extract at once; the diary of past
        conversations and the reflection (long model calls) only once the user has been quiet a while, so they
        are not started and cancelled on every turn. The prefix keeps the reflection (and the traits and
        interests) it started with, so what is written now changes nothing until next time."""
        await asyncio.wait([reading])
        await asyncio.sleep(0)  # a reply that waited for the reading (``ready``) is asked for before memory work
        if observer is None:
            return 0
        stored = await observer.drain()
        self._memory_work += 1
        if stored:
            self.remembered(stored)
        await asyncio.sleep(IDLE_BEFORE_DIARY_SECONDS)
        await observer.recall.store.wake()  # it may have rested meanwhile
        try:
            stored += await observer.settle(live_session=self._session)
        finally:
            self._memory_work += 1
        await self._grow()
        return stored

    async def _grow(self) -> None:
        """After a reflection: a trait may change and an interest grow (``growth.py``); /who shows it at once, the
        prefix from the next conversation on."""
        if self.recall is not None and (grown := await grow(
            self.llm, self.recall, self.persona, self.profile.name, self.clock()
        )) is not None:  # fmt: skip
            self.inner = grown

    async def _memory_note(self, text: str) -> tuple[str | None, Done | None]:
        """What memory has to say about this message: what it holds that is new to this conversation (a note for
        before the message), or the outcome of a request about memory itself ("forget that...": a note for after
        it, what the reply must say, where a small model heeds it)."""
        if self.recall is None:
            return None, None
        newest = await self.recall.store.memories(last=5)
        recent = [*self._noted, *(m for m in newest if m.id not in {n.id for n in self._noted})]
        if (done := await handle(text, self.recall, self.profile.name, recent)) is not None:
            self._noted = [m for m in [await self.recall.store.memory(n.id) for n in self._noted] if m]
            return None, done
        note, fresh = await self._recalled_now(text)
        self._noted.extend(hit.memory for hit in fresh if hit.memory is not None)
        self._noted_turns.update(hit.turn.id for hit in fresh if hit.turn is not None)
        return note, None

    async def _recalled_now(self, text: str) -> tuple[str | None, list[Hit]]:
        """What ``_recalled`` gives for ``text`` now: what foresee() found for it, if the conversation, the
        memories kept and the records it found are as they were then, or else a new search."""
        ahead, self._ahead = self._ahead, None
        self.recalled_ahead = (
            ahead is not None and ahead[0] == await self._recall_state(text) and await self._still_held(ahead[2])
        )
        if ahead is not None and self.recalled_ahead:
            return ahead[1], ahead[2]
        return await self._recalled(text)

    async def _recall_state(self, text: str) -> tuple[object, ...]:
        """What ``_recalled(text)`` depends on besides the store's records."""
        turns = await self.transcript()
        return text, turns[-1].id if turns else None, len(self._noted), len(self._noted_turns), self._memory_work

    async def _still_held(self, hits: list[Hit]) -> bool:
        """Whether every memory and turn of ``hits`` is still in the store as it was (none forgotten or edited
        since, here or through another worker)."""
        assert self.recall is not None
        store = self.recall.store
        memories = {hit.memory.id: hit.memory for hit in hits if hit.memory is not None}
        turns = {hit.turn.id: hit.turn for hit in hits if hit.turn is not None}
        now_memories = {m.id: m for m in await store.memories_by_id(list(memories))} if memories else {}
        now_turns = {t.id: t for t in await store.turns_by_id(list(turns))} if turns else {}
        return now_memories == memories and now_turns == turns

    async def _recalled(self, text: str) -> tuple[str | None, list[Hit]]:
        """What memory holds that may matter to ``text`` and was not noted in this conversation yet: the note,
        and its hits (this changes nothing)."""
        if self.recall is None:
            return None, []
        transcript = await self.transcript()
        in_view = {turn.id for turn in replayed(transcript, self._session)[-IN_VIEW_TURNS:]}
        # the interview's answers are in the system message word for word: a memory that only quotes one would
        # cost its tokens again before every reply it is recalled for
        answers = {turn.id for turn in transcript if turn.from_interview}
        hits = await self.recall.search(text, limit=RECALL_LIMIT, skip_turns=in_view | self._noted_turns | answers)
        fresh = worth_noting(hits, {memory.id for memory in self._noted}, answers)
        return (note_of(fresh, self.profile.name) if fresh else None), fresh

    async def welcome(self) -> AsyncIterator[str]:
        """Greet the user at the start of a conversation, if it has been a while (or it is the very first)."""
        await self._read_prefix()
        transcript = await self.transcript()
        turns = [turn for turn in transcript if not turn.from_interview]
        now = self.clock()
        user = self.profile.name
        if (first := self._first_greeting(transcript)) is not None:
            self._told = (await self._move(lambda mood: inner.met(mood, now))).word
            event = first
        elif (gap := now - turns[-1].at).total_seconds() > QUIET_GAP_SECONDS:
            self._session, self._opened = None, False  # a new conversation, with an opening note of its own
            mood = await self._move(lambda mood: inner.returned(mood, gap, now))
            self._told = mood.word
            event = (
                f"{user} is back, {inner.span(gap)} after you last talked. It is {_part_of_day(now)}. "
                f"{inner.greeting(mood, user)} "
                f"Greet {user} by name in a sentence or two; if something was left open last time, you may ask."
            )
        else:
            return
        async for delta in self._turn("event", event):
            yield delta
        self._remember_later()

    def _first_greeting(self, transcript: list[Turn]) -> str | None:
        """The event that asks for the very first greeting, if nothing was said yet (the interview aside; it may
        have chosen another name since)."""
        if any(turn.speaker != "event" for turn in transcript if not turn.from_interview):
            return None
        user = self.profile.name
        return (
            f"{user} has just finished setting you up, and you chose to be called {self.persona.name}. "
            f"Say hello to {user} for the first time as yourself, in one or two sentences."
        )

    def _prefix(self) -> list[Message]:
        return prefix_messages(system_prompt(self.persona, self.profile), self.profile.name)

    def messages(self, turns: list[Turn]) -> list[Message]:
        prefix = self._prefix()
        budget = self.context_tokens - sum(estimate_tokens(m["content"]) for m in prefix) - self.reply_tokens
        return [*prefix, *history_messages(turns, budget, self._session)]

    def opening(self, turns: list[Turn]) -> str:
        """The note that opens a conversation after ``turns``: the date, how long they have known each other,
        what it has grown into, and its notes on the user."""
        turns = [turn for turn in turns if not turn.from_interview]
        today = self.clock().astimezone().date()
        known = (turns[0].at.astimezone().date() if turns else today, len({t.session_id for t in turns}) + 1)
        return opening(self.persona, self.profile.name, today, known, self.reflection, self.inner)

    def feels(self) -> Mood:
        """Its mood as felt now (content since it was named, if nothing has moved it yet)."""
        return inner.felt(self.mood or inner.at_rest(self.persona.created_at), self.clock())

    def describe(self, turns: list[Turn]) -> str:
        """Who the companion is, in its own words, for /who: its name and why, its traits and how they changed,
        how it feels right now and why, and the interests it has grown."""
        said = sum(t.speaker == "user" and not t.from_interview for t in turns)
        return described(self.persona, self.profile.name, self.inner, self.feels(), said)

    async def _turn(
        self,
        speaker: Speaker,
        text: str,
        *,
        notes: Sequence[str] = (),
        after: Sequence[str] = (),
        reply: str = "",
    ) -> AsyncIterator[str]:
        """Say ``text`` (the user's words, or an event) and stream the reply; ``notes`` come before it in the
        transcript and ``after`` after it, appended once, so they are computed once and then cached. A ``reply``
        written in code is said as it is, without the model."""
        turns = await self.transcript()
        for note in notes:
            turns.append(await self._save("event", note))
        turns.append(said := await self._save(speaker, text))
        if speaker == "user" and (moved := await self._moved_by(said)) is not None:
            turns.append(await self._save("event", moved))
        for note in after:
            turns.append(await self._save("event", note))
        if reply:
            turns.append(await self._save("assistant", reply))
            yield reply
            return
        parts: list[str] = []
        finished = False

        def ask(again: bool, begun: str, stuck: tuple[str, ...]) -> AsyncIterator[str]:
            messages = self.messages(turns)
            if begun:  # a break came after ``begun`` was shown: the model goes on from there, its words barred,
                messages.append({"role": "assistant", "content": begun})  # and how each try that broke went on
                avoid = BARRED | dict.fromkeys(stuck, BARRED[" AI"])
                return self.llm.stream(messages, max_tokens=self.reply_tokens, avoid=avoid)
            if again:  # the first sentence stepped out of the persona: asked once more, and not kept
                messages.append({"role": "user", "content": AS_YOURSELF.format(name=self.persona.name)})
            return self.llm.stream(messages, max_tokens=self.reply_tokens, avoid=AVOID)

        earlier = [turn.text for turn in turns[-IN_VIEW_TURNS:] if turn.speaker == "assistant"]
        declining = speaker == "user" and asked_to_do(text)  # it must say it can't, not pretend
        fallback = (
            f"Hello, {self.profile.name}. I'm glad you're here."
            if speaker == "event"
            else "I can't do that yet; all I can do is talk with you."
            if declining
            else FALLBACK
        )
        heard = text if speaker == "user" else ""
        reply_stream = guarded(
            ask,
            self.persona.name,
            earlier,
            fallback,
            declining,
            self.profile.name,
            heard,
            getattr(self.llm, "continues", False),
            names_in(turn.text for turn in turns if turn.speaker == "user"),
        )
        try:
            async with aclosing(reply_stream) as stream:  # type: ignore[type-var]
                async for delta in stream:
                    parts.append(delta)
                    yield delta
            finished = True
        finally:
            if parts:  # what was said is kept as said, marked if it was cut off
                turns.append(await self._save("assistant", "".join(parts), interrupted=not finished))

    async def _moved_by(self, said: Turn) -> str | None:
        """Let what the user said move the mood; the note that tells the model, when its word changed since the
        conversation was last told (after their words: what they said is what moved it)."""
        mood = await self._move(lambda mood: inner.heard(mood, said.text, said.at, said.id))
        note = inner.note(mood, self._told, self.profile.name)
        self._told = mood.word
        return note

    async def _move(self, event: Callable[[Mood | None], Mood | None]) -> Mood:
        """Move the mood as ``event`` says and keep it; the mood as felt now. The store's record is read again
        first, so what growth wrote there meanwhile stays."""
        kept = await self.store.inner() or Inner()
        self.mood = event(kept.mood)
        if self.mood != kept.mood:
            await self.store.save_inner(replace(kept, mood=self.mood))
        return inner.felt(self.mood, self.clock())

    async def _save(self, speaker: Speaker, text: str, *, interrupted: bool = False) -> Turn:
        """Keep a turn of this conversation; the first is preceded by the conversation's opening note, which is
        added to the transcript here."""
        if self._session is None:
            self._session = await self.store.start_session()
        if not self._opened:
            turns = await self.transcript()
            note = self.opening(turns)
            opened = await self.store.add_turn(
                self._session, "event", note, at=self.clock(), external_id=f"{OPENING}{self._session}"
            )
            turns.append(opened)
            self._opened = True
        model_id = self.llm.model_id if speaker == "assistant" else None
        return await self.store.add_turn(
            self._session, speaker, text, interrupted=interrupted, model_id=model_id, at=self.clock()
        )


def check_message(text: str) -> str:
    if not text.strip():
        raise InputError("the message is empty: say something first")
    if len(text) > MAX_MESSAGE_CHARS:
        raise InputError(
            f"the message is {len(text):,} characters long; the limit is {MAX_MESSAGE_CHARS:,}. "
            "Split it into shorter messages: nothing was sent or saved"
        )
    return text.strip()


def _reporting(logger: str, what: str) -> Callable[[asyncio.Task[Any]], None]:
    """A task's done callback that logs why it stopped, if it failed (``what``, then the error)."""

    def report(task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and (error := task.exception()) is not None:
            logging.getLogger(logger).warning("%s: %s", what, error)

    return report


_REPORT_UNREAD = _reporting("os1.llm", "reading on after a reply stopped (the next reply reads what it did not)")
_REPORT_FAILURE = _reporting("os1.memory", "memory extraction stopped; the turns stay queued")


def _part_of_day(now: datetime) -> str:
    local = now.astimezone()
    hour = local.hour
    part = "night" if hour < 5 else "morning" if hour < 12 else "afternoon" if hour < 18 else "evening"
    return f"{local:%A} {part}"
