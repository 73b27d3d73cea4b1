"""The setup interview, and the moment the companion chooses who it is and what it is called.

UI-agnostic: the terminal and the web app both ask ``Interview.questions``, stream ``react()`` after each
answer, and call ``finish()`` once, which reads the answers, shortlists names from the dataset (where the user
lives and in their language: ``languages.py``), lets the model pick one and say why, and saves the profile and
the persona, with the names it chose from (``renaming.py`` chooses again from them if the user asks).
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime

from os1.companion import words
from os1.companion.checks import (
    SENTENCE_BREAK,
    persona_break,
    speaks_as_user,
    talks_about_itself,
    unsupported_claims,
)
from os1.companion.guard import break_ahead
from os1.companion.languages import UNKNOWN, Locale, place_for
from os1.companion.names import TRAITS, VOICES, GivenName, Shortlist, read_once, shortlist
from os1.companion.prompt import BARRED, KEPT_ANSWERS, QUESTIONS
from os1.errors import InputError, LLMBadResponse
from os1.llm import LLM, Message, complete, complete_json
from os1.memory.store import INTERVIEW, QUOTED_ANSWER, Memory, Persona, Profile, Store
from os1.memory.words import asks

GREETING = (
    "Hello. I'm a new kind of operating system, and before I become someone, I'd like to get to know you "
    f"a little. {len(QUESTIONS)} questions; answer them however you like."
)
MAX_ANSWER_CHARS = 2000
_TRAIL_WORDS = {"to", "you", "please", "pls", "plz", "thanks", "then", "lol", "i", "guess", "ok", "okay", "dear", "but"}
_FILLER = {"fine", "ok", "okay", "whatever", "sure", "hi", "hello", "hey", "um", "uh", "well", "yes", "yeah"}
# The form of their name a user asks for, wherever it comes: "Gloria Mae Jenkins. Gloria is fine.", "Małgorzata, but
# please call me Gosia", "Ruairí. ... so Rory will do grand", "so please just Noor".
_PREFERRED = re.compile(
    r"(?i:\b(?:call me|just|stick with|go with))\s+(?P<name>[A-Z\u00c0-\u024f][\w'-]*)\b"
    r"|\b(?P<said>[A-Z\u00c0-\u024f][\w'-]*)\s+(?i:is fine|is sufficient|will do|'ll do|works|is good)\b"
)
_LEAD_WORDS = {"call", "me", "i'm", "im", "i", "am", "it's", "its", "my", "name", "is", "just", "you", "can"}

_REACT = (
    "You are a new operating system being set up by a person; you have no name yet. They are answering your "
    "questions. Reply to them directly, as 'you', in ONE short sentence of at most 20 words: warm, curious, a "
    "little witty, about what they said. Never describe yourself, never repeat their words, never ask a "
    "question, never give advice."
)
# Examples of the tone on questions the interview does not ask, so they cannot be parroted back.
_REACT_EXAMPLES = (
    (
        "What's the last thing that made you laugh?",
        "my cat fell off the couch and pretended it was on purpose",
        "A cat with dignity issues; I already like your household.",
    ),
    ("How do you sleep?", "badly, mostly", "Then you'll have company at 3 a.m. from now on."),
    (
        "What's your favourite season?",
        "autumn, I think",
        "Autumn people notice things, the light, the smell of it; I bet you do.",
    ),
)
# Reacting to "I like people one at a time", a small model goes on as the user ("I like to be alone...", "She makes
# me laugh"): in 27 of 60 of the newcomers' reactions it had to be asked again. The words that begin such a sentence
# are made less likely (11 of 60), those of "I'm sorry" and "I bet you do" only a little.
_NOT_AS_THEM = {"I": 3.0, "My": 6.0, " my": 2.0, " me": 2.0, "We": 6.0, " we": 2.0, "Our": 6.0, " our": 2.0, " us": 2.0}
# The words of its own person, which a reaction is shown up to (``_showable``), and barred where the model goes on
# from a clean beginning whose rest failed the checks.
_OWN_WORDS = ("i", "me", "my", "mine", "myself", "we", "us", "our", "ours")
_OWN_PERSON = re.compile(rf"\b(?:{'|'.join(_OWN_WORDS)})\b", re.IGNORECASE)
_NOT_ITS_OWN = BARRED | {f" {word}": 100.0 for word in ("I", "me", "my", "we", "us", "our", "We", "My", "Our")}
_SENTENCE_END = re.compile(r"[.!?;…](?=\s|$)")
_REACT_AGAIN = "(React to what they said, speaking to them as 'you'; say nothing about yourself.)"
# Said when the model's reaction fails its checks twice: chosen, not invented.
CHOSEN_REACTIONS = {
    "social": ("Then I'll learn your rhythm with people.", "Good to know; I'll follow your lead."),
    "mother": ("Thank you for telling me about her.", "Mothers take a lifetime to describe; thank you."),
    "days": ("I'd like to hear more about that, when you feel like it.", "That sounds like a life with texture."),
    "want": ("Then that's what I'll try to be.", "Then you'll have it, as best I can give it."),
}
_READ = (
    "You are a newly installed operating system and have just interviewed the person you will live with. "
    "From their answers, work out: what to call them (just the name, as they would like it written); which "
    "voice they want you to have (feminine, masculine or neutral; neutral if they don't mind); and the three "
    "traits of character you choose for yourself, ones that would make you good company for this person."
)
_NAME = (
    "You are a new operating system choosing your own name. You are {traits}. You will live with {user}, who "
    'told you:\n{answers}\n\nPick the one name from the list that feels most like you. In "sound", say in one '
    'sentence of at most 20 words, starting with "I", what you like about how the name sounds or feels: about the '
    'name only, not about {user}. In "fits", pick the answer of {user}\'s that the name suits best. {user} did not '
    "suggest any name; the choice is yours. Names: {names}."
)
_SOUND_AGAIN = '(This time, in "sound", say only what you like about the name itself.)'
# The naming's reason about the user is made in code, from their own words: the model only says what it likes
# about the name (a small model's reasons about the user were often untrue: "Margo called every Sunday to visit me").
FITS = {
    "social": 'You told me "{quote}", and {name} feels like good company for that.',
    "mother": 'You told me about your mother ("{quote}"); {name} sounds like someone who would listen to all of it.',
    "days": 'You told me "{quote}", and {name} sounds like someone who would want to hear about it.',
    "want": 'You want "{quote}", and {name} sounds like someone who could be that.',
}
QUOTE_WORDS = 14


@dataclass(frozen=True)
class Naming:
    persona: Persona
    profile: Profile
    shortlist: Shortlist


class Interview:
    questions = tuple(QUESTIONS.items())

    def __init__(
        self,
        llm: LLM,
        store: Store,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
        locale: Locale = UNKNOWN,
    ):
        """``locale``: the user's (the terminal's, or the browser's first language), for names given there."""
        self.llm = llm
        self.store = store
        self.clock = clock
        self.rng = rng or random.Random()
        self.locale = locale
        self._dataset: Future[tuple[int, list[GivenName]]] | None = None

    def start(self) -> None:
        """Begin reading the names dataset (in a process of its own) and the word lists of English and the
        locale's language (in a thread) while the questions are asked."""
        if self._dataset is None:
            self._dataset = read_once()
            reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="os1-words")
            reader.submit(words.warm, ["en", self.locale.language or "en"])
            reader.shutdown(wait=False)  # the thread ends when the job is done

    def react(self, key: str, answer: str) -> AsyncIterator[str]:
        """A short reaction to an answer: scripted for the name and the voice, the model's own otherwise."""
        answer = check_answer(answer)
        if key == "name":
            name = _clean_name(answer) or answer
            return _said(f"{name}. Nice to meet you, {name}.")
        if key == "voice":
            return _said("Good. Give me a moment to think about who I am.")
        return self._react(key, answer)

    async def ready(self) -> None:
        """Have the model read what every reaction begins with (its instructions and examples, ~240 tokens) while
        the user types their first answers, so the first reaction only computes the answer's words (the name's
        reaction is scripted: the model has nothing else to do until the second answer)."""
        await self.llm.read(_react_prefix())

    async def _react(self, key: str, answer: str) -> AsyncIterator[str]:
        """The model's reaction, streamed as far as it cannot fail its checks (no persona break, nothing said as
        the user or about itself): its first sentence up to a word of its own person ("I", "my", "we", "me"...) or
        where a break may begin; the rest is checked as a whole. What fails is not said: with nothing shown yet,
        the reaction is asked for once more, and if that fails too, one of a few chosen in code is said; after a
        clean beginning was shown, the model goes on from it with those words barred, or it ends there."""
        question = QUESTIONS.get(key, key)
        messages: list[Message] = [*_react_prefix(), {"role": "user", "content": _asked(question, answer)}]
        for temperature in (0.6, 0.3):
            shown = written = ""
            reaction = self.llm.stream(messages, max_tokens=48, temperature=temperature, avoid=_NOT_AS_THEM)
            async with aclosing(reaction) as stream:  # type: ignore[type-var]
                async for delta in stream:
                    written += delta
                    if len(showable := _showable(written.lstrip())) > len(shown) and showable.startswith(shown):
                        yield showable[len(shown) :]
                        shown = showable
            text = _passing(whole_sentences(written), answer)
            if text.startswith(shown) and text:
                if len(text) > len(shown):
                    yield text[len(shown) :]
                return
            if shown:
                yield await self._gone_on(messages, shown, answer)
                return
            messages[-1] = {"role": "user", "content": f"{_asked(question, answer)}\n{_REACT_AGAIN}"}
        yield self.rng.choice(CHOSEN_REACTIONS.get(key, ("Thank you for telling me.",)))

    async def _gone_on(self, messages: list[Message], shown: str, answer: str) -> str:
        """What follows ``shown``, a clean beginning of a reaction whose rest failed its checks: the model goes on
        from it (if it can) with the words of its own person and of breaks barred; else, or if that fails too,
        the stop that ends it there."""
        if getattr(self.llm, "continues", False):
            going_on: list[Message] = [*messages, {"role": "assistant", "content": shown}]
            more = await complete(self.llm, going_on, max_tokens=48, temperature=0.3, avoid=_NOT_ITS_OWN)
            text = _passing(whole_sentences(shown + more), answer)
            if text.startswith(shown) and len(text) > len(shown):
                return text[len(shown) :]
        return "."

    async def finish(
        self, answers: Mapping[str, str], *, shortlisted: Callable[[Shortlist], None] = lambda _: None
    ) -> Naming:
        """Read the answers, narrow the names, and let the model choose its own; ``shortlisted`` is told what the
        narrowing kept as soon as it is known (the model's choice takes a while longer)."""
        self.start()
        assert self._dataset is not None
        answers = {key: check_answer(text) for key, text in answers.items()}
        transcript = told(answers)
        reading = await complete_json(
            self.llm,
            [{"role": "system", "content": _READ}, {"role": "user", "content": transcript}],
            {
                "type": "object",
                "properties": {
                    "user_name": {"type": "string"},
                    "voice": {"enum": list(VOICES)},
                    "traits": {"type": "array", "items": {"enum": list(TRAITS)}, "minItems": 3, "maxItems": 3},
                },
                "required": ["user_name", "voice", "traits"],
            },
            max_tokens=80,
        )
        # the name as the reaction said it back ("Gloria Mae Jenkins. Gloria is fine.": Gloria), else the model's
        user_name = _clean_name(answers.get("name", "")) or _clean_name(str(reading.get("user_name", ""))) or "friend"
        traits = tuple(dict.fromkeys(t for t in reading.get("traits", []) if t in TRAITS)) or ("warm", "curious", "wry")
        voice = reading.get("voice") if reading.get("voice") in VOICES else "neutral"
        total, names = await asyncio.wrap_future(self._dataset)
        place = place_for(self.locale, answers.values())
        short = await asyncio.to_thread(  # 20-80 ms of word lookups (a list not read yet: 0.1-0.3 s more): not here
            shortlist, total, names, voice=voice, traits=traits, avoid=[user_name, *answers.values()], user=user_name,
            place=place, rng=self.rng,
        )  # fmt: skip
        shortlisted(short)
        prompt = naming_prompt(traits, user_name, transcript, short.names)
        choice = await choose_name(self.llm, prompt, short.names, answers=answers, user=user_name)
        now = self.clock()
        persona = Persona(
            name=choice["name"],
            why=whole_sentences(str(choice.get("why", ""))),
            traits=traits,
            voice=voice,
            created_at=now,
            names_considered=total,
            offered=short.names,
        )
        profile = Profile(name=user_name, answers=dict(answers), created_at=now)
        await self.store.save_profile(profile)
        await self.store.save_persona(persona)
        await keep_interview(self.store, answers, user_name, now)
        return Naming(persona, profile, short)


def told(answers: Mapping[str, str]) -> str:
    """The interview's questions and answers, a line each, as the naming's prompts quote them."""
    return "\n".join(f'- You asked: "{QUESTIONS.get(key, key)}" They said: "{text}"' for key, text in answers.items())


def naming_prompt(traits: Sequence[str], user: str, transcript: str, names: Sequence[str]) -> str:
    return _NAME.format(traits=", ".join(traits), user=user, answers=transcript, names=", ".join(names))


async def choose_name(
    llm: LLM, prompt: str, names: Sequence[str], *, answers: Mapping[str, str], user: str
) -> dict[str, str]:
    """The model's choice of a name on the list, and why: what it likes about the name in its words (checked: a
    sentence about the user, a persona break or the user's words as its own is asked for once more, then left out),
    and how it fits the user in theirs (the answer it chose, quoted). Asked twice if the first answer cannot be
    used: the naming happens once, and a small model sometimes loses its way in the middle of a sentence."""
    fits = [key for key in FITS if answers.get(key, "").strip()]
    schema = {
        "type": "object",
        "properties": {
            "name": {"enum": list(names)},
            "sound": {"type": "string", "maxLength": 160},
            **({"fits": {"enum": fits}} if fits else {}),
        },
        "required": ["name", "sound", *(["fits"] if fits else [])],
    }
    failure = LLMBadResponse(f"{llm.model_id} did not choose a name")
    messages: list[Message] = [{"role": "user", "content": prompt}]
    chosen: tuple[str, str] | None = None  # a name on the list, with words that were not about it
    for _ in range(2):
        try:  # room for the longest "sound" the schema allows, whatever its tokens (digits are one token each)
            choice = await complete_json(llm, messages, schema, max_tokens=260, temperature=0.7)
        except LLMBadResponse as exc:
            failure = exc
            continue
        if not isinstance(choice, dict) or choice.get("name") not in names:
            failure = LLMBadResponse(f"{llm.model_id} chose a name that was not on the list: {choice!r:.200}")
            continue
        name, fit = str(choice["name"]), str(choice.get("fits", ""))
        sound = whole_sentences(str(choice.get("sound", "")))
        if _about_the_name(sound, answers, user):
            return {"name": name, "why": _why(name, sound, fit, answers)}
        chosen = name, fit
        messages = [{"role": "user", "content": f"{prompt}\n{_SOUND_AGAIN}"}]
    if chosen is not None:
        return {"name": chosen[0], "why": _why(chosen[0], "", chosen[1], answers)}
    raise failure


def _about_the_name(sound: str, answers: Mapping[str, str], user: str) -> bool:
    names = "|".join(re.escape(word) for word in re.findall(r"[^\W\d_]{3,}", user))  # "Dr. Patel": Patel
    mentions_user = re.search(rf"\b({names + '|' if names else ''}you|your)\b", sound, re.IGNORECASE)
    return bool(sound) and not (
        mentions_user
        or persona_break(sound)
        or speaks_as_user(sound, " ".join(answers.values()))
        or unsupported_claims(sound, answers.values(), user)
    )


def _why(name: str, sound: str, fits: str, answers: Mapping[str, str]) -> str:
    """The naming's reason: what it likes about the name, then the user's own answer it fits, quoted."""
    if not sound:
        sound = f"I chose {name} for its sound."  # words a user's answers seldom share ("like", from Hazel's)
    elif sound[-1] not in ".!?":
        sound += "."  # "I love how 'Des' sounds with a soft 's'": the quote that follows is a sentence of its own
    answer = answers.get(fits, "").strip()
    if fits not in FITS or not answer:
        return sound
    return f"{sound} {FITS[fits].format(quote=_quote(answer), name=name)}"


def _quote(answer: str) -> str:
    """The answer as said: its sentences while they come to at most ``QUOTE_WORDS`` words (the first one cut there
    if it alone is longer)."""
    quoted: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", " ".join(answer.split())):
        if quoted and len(" ".join([*quoted, sentence]).split()) > QUOTE_WORDS:
            break
        quoted.append(sentence)
    words = " ".join(quoted).split()
    return " ".join(words[:QUOTE_WORDS]) + (" ..." if len(words) > QUOTE_WORDS else "")


async def keep_interview(store: Store, answers: Mapping[str, str], user: str, now: datetime) -> None:
    """Keep the interview as a conversation of its own (each question, then its answer) and what each answer
    says about the user as a memory that quotes it and names its turn, so the companion knows the answers as it
    knows everything else ("what do you know about me?", recall, forget). Not queued for extraction: the memory
    is the answer itself."""
    session = await store.start_session(now)
    for key, answer in answers.items():
        await store.add_turn(session, "assistant", QUESTIONS.get(key, key), at=now, queue=False,
                             external_id=f"{INTERVIEW}{key}:asked")  # fmt: skip
        turn = await store.add_turn(session, "user", answer, at=now, queue=False, external_id=f"{INTERVIEW}{key}")
        if key in KEPT_ANSWERS:
            kind, text = KEPT_ANSWERS[key]
            memory = Memory(0, kind, text.format(user=user, answer=answer.strip()), (turn.id,), now, valid_from=now,
                            importance=0.8, extracted_by=QUOTED_ANSWER)  # fmt: skip
            await store.add_memory(memory)


def _react_prefix() -> list[Message]:
    """What every reaction's prompt begins with: its instructions, then the examples."""
    messages: list[Message] = [{"role": "system", "content": _REACT}]
    for example_question, example, reaction in _REACT_EXAMPLES:
        messages.append({"role": "user", "content": _asked(example_question, example)})
        messages.append({"role": "assistant", "content": reaction})
    return messages


def _asked(question: str, answer: str) -> str:
    return f'You asked them: "{question}"\nThey answered: "{answer}"'


async def _said(text: str) -> AsyncIterator[str]:
    yield text


def _showable(written: str) -> str:
    """How much of a reaction being ``written`` may be shown: its first sentence up to the first word of the
    companion's own person, or up to where a persona break may begin, or up to a last word still being written
    that may become such a word ("M" of "my"); never ending on what leads into more (" ,;:")."""
    cut = min(break_ahead(written)[0], (end.end() if (end := _SENTENCE_END.search(written)) else len(written)))
    if own := _OWN_PERSON.search(written):
        cut = min(cut, own.start())
    if (last := re.search(r"[\w']+$", written)) and any(word.startswith(last.group().lower()) for word in _OWN_WORDS):
        cut = min(cut, last.start())
    return written[:cut].rstrip(" \t\n,;:-")


def _passing(text: str, answer: str) -> str:
    """``text`` up to its first sentence that fails a check (a persona break, speaking as the user who said
    ``answer``, telling about itself); a clause that ended on "," or ";" ends with a stop."""
    passing, start = "", 0
    for end in [*(m.start() for m in SENTENCE_BREAK.finditer(text)), len(text)]:
        sentence = text[start:end]
        if persona_break(sentence) or talks_about_itself(sentence) or speaks_as_user(sentence, answer):
            break
        passing, start = text[:end], end
    return passing[:-1] + "." if passing.endswith((";", ",")) else passing


def whole_sentences(text: str) -> str:
    """The text up to its last full stop (a length-capped reply can end mid-sentence)."""
    text = text.strip()
    end = max(text.rfind(mark) for mark in ".!?")
    return text[: end + 1] if end > 0 else text


def check_answer(text: str) -> str:
    text = text.strip()
    if not text:
        raise InputError("take your time; even one word will do")
    if len(text) > MAX_ANSWER_CHARS:
        raise InputError(f"that answer is {len(text):,} characters; keep it under {MAX_ANSWER_CHARS:,}")
    return text


def _clean_name(text: str) -> str:
    """The name in an answer to "What should I call you?": "It's Dr. Patel to you" is "Dr. Patel", "Sienna :)" is
    "Sienna", "Gloria Mae Jenkins. Gloria is fine." is "Gloria", "why do you need to know. fine. Zara" is "Zara"."""
    if preferred := _PREFERRED.search(text):
        return str(preferred["name"] or preferred["said"])
    # sentences, not cut after a title ("Dr. Patel"); a question or a bare "fine" is no name
    for sentence in re.split(r"(?<!\b[DMS]r)(?<!\bMrs)(?<!\bMs)(?<!\bSt)(?<!\bProf)[.!?]\s", text + " "):
        words = [w.strip("!?\"'") for w in sentence.split(",")[0].split() if any(ch.isalpha() for ch in w)]
        if asks(sentence) or all(w.lower() in _FILLER for w in words):
            continue
        while words and words[0].lower().strip(".") in _LEAD_WORDS:
            words = words[1:]
        while words and words[-1].lower().strip(".") in _TRAIL_WORDS:
            words = words[:-1]
        if words:
            name = " ".join(words[:3])[:40].strip().rstrip(".")
            return name.title() if name.islower() else name  # "nate" is Nate
    return ""
