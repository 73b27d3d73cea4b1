"""A reply is read as it streams, and a sentence that steps out of the persona is never shown.

A small model slips into the assistant it was trained to be: "As an AI language model, I don't have opinions",
"I am a language model called Dr. Patel", "Is there anything else on your mind?", and it copies its own earlier
replies word for word. So every sentence is checked before it is shown (``checks.py``): a persona break, a
greeting by its own name, another name given as its own, a sentence said before.

Only the first sentence may stream as it is written, and only while its first words could not become a break
(``OPENERS``) nor begin to retell what the user said of their own people ("Ray is..." after "my friend ray",
going on "an old friend of mine"): that is what the time to the first word depends on. A first sentence that
could is held until it ends, and a short one ("I'm sorry, Noor.") waits for the next, which so often carries the
break ("But as an operating system, I don't have feelings"): that next one is held the same way, streaming with
the short one as soon as its own first words cannot become a break ("I'm sorry, Noor. That sounds..."). Every
later sentence is held until it ends, which costs nothing a user waits for: the reply is already on its way, and
voice speaks whole sentences anyway.

When the user asked for something it cannot do yet (``abilities.py``), its first sentence must say so: the small
model sometimes pretends ("Okay! I'll try to play Joy Spring for you", "I'll let you know when I have called Mike").

When a sentence breaks and nothing was shown yet, the reply is asked for once more, with a word on why (not kept
in the transcript); when something was, the reply ends before that sentence (such sentences come last: "feel free
to ask"). A held sentence breaks as soon as its words make a persona break ("As an AI language model, "): the
rest of it is not waited for.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import aclosing

from os1.companion.checks import (
    GREETING,
    greets_itself,
    names_itself_otherwise,
    persona_break,
    repeats,
    takes_theirs,
)

# How persona breaks begin, lowercase. A sentence is held while it could still begin with one of these.
OPENERS = (
    "as a ", "as an ", "but as", "unfortunately, as", "however, as an", "i apologize", "i apologise",
    "i'm sorry,", "i am sorry,", "i'm sorry but", "i'm sorry if", "i am sorry if", "sorry,",
    "i'm just a", "i'm only a", "i'm a ", "i am a ", "i'm an ", "i am an ", "no, i am not",
    "i don't", "i do not", "i'm not", "i am not", "i can't", "i cannot", "i understand",
    "i'm here to", "i am here to", "my purpose", "i exist to", "i was programmed", "i'm programmed",
    "i am programmed", "i'm designed", "i am designed", "i was designed", "i'm built", "i was built",
    "i was created", "i'm trained", "i was trained", "my name is", "my name's",
    "feel free", "if you have any", "if you need", "if you'd like", "if you would like", "if you want",
    "if there's", "if there is", "is there anything", "how can i", "how may i", "let me know",
    "hi ", "hi,", "hi!", "hello", "hey", "good morning", "good evening", "good afternoon", "good night", "morning",
    "evening", "welcome back", "it's nice to", "it's so nice to", "nice to", "it's good to", "good to see",
    "great to see", "thank you,", "thanks,",
)  # fmt: skip
# Starts of those that go on as a person would: "I don't know much about boats", "I'm not sure". Of the 728
# replies the model wrote before the guard (bench/results/companion/before and a speed run's), 13 began so and
# none broke in its first sentence; a break in a later sentence is caught there.
HARMLESS = (
    "i don't know", "i do not know", "i'm not sure", "i am not sure", "i don't think", "i do not think",
    "i can't wait", "i can't believe", "i can't imagine", "i cannot imagine", "i cannot believe",
)  # fmt: skip
FALLBACK = "Mm. Say more? I'm listening."  # a reply's; a greeting has its own
SHORT_WORDS = 4  # a held first sentence this short is shown with the next one, checked too
# How a reply says it cannot do what was asked ("I can't send messages yet", "I'm not able to order anything").
DECLINES = re.compile(
    r"\b(can'?t|cannot|can not|not able|unable|(?:do|does)n'?t (?:have|know how)|i wish i could|no way)\b",
    re.IGNORECASE,
)
_LEAD = re.compile(r"(?:okay|ok|sure|alright|all right|well|oh|ah|yes|yeah|no|hmm+)\b[,.!]*\s*")
_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\n+")
_THEIR_PEOPLE = re.compile(r"\b(?:my|our)(?: [\w'-]+){1,3}", re.IGNORECASE)  # "my friend ray", "our dog Bruno"


def could_break(start: str) -> bool:
    """Whether a sentence that begins with ``start`` may still turn out to be a persona break (after a word such
    as "Okay," too: "Okay, let me know if there's anything else")."""
    words = " ".join(start.lower().replace("\u2019", "'").split())
    starts = [words]
    if lead := _LEAD.match(words):
        if lead.end() == len(words):
            return True  # the next word decides
        starts.append(words[lead.end() :])
    return any(
        (opener.startswith(w) or w.startswith(opener)) and not any(w.startswith(start) for start in HARMLESS)
        for w in starts
        for opener in OPENERS
    )


def _their_words(heard: str) -> frozenset[str]:
    """The words that followed "my" or "our" in what the user said: "friend", "ray" in "my friend ray od'd"."""
    return frozenset(word for phrase in _THEIR_PEOPLE.findall(heard.lower()) for word in phrase.split()[1:])


def _retells(start: str, theirs: frozenset[str]) -> bool:
    """Whether a first sentence that begins with ``start`` begins with one of the user's words ``theirs``: "Ray
    is..." after "my friend ray od'd", where a small model goes on as the user ("Ray is an old friend of mine");
    such a sentence is held until it ends, and checked."""
    first = re.match(r"\W*([\w'-]+)\W", start)
    return first is not None and first.group(1).lower() in theirs


def _undecided(text: str, own_name: str) -> int:
    """Where the part of streaming ``text`` that may still become the companion's own name, said to the user
    after a comma ("It's okay, Des" from Des), begins; ``len(text)`` when none may."""
    comma = text.rfind(",")
    after = text[comma + 1 :].lstrip().lower() if comma >= 0 else None
    if own_name and after is not None and (own_name.lower().startswith(after) or _called(text[comma:], own_name)):
        return comma
    return len(text)


def _called(text: str, name: str) -> bool:
    return bool(re.match(rf",\s*{re.escape(name)}\b", text, re.IGNORECASE))


async def guarded(
    ask: Callable[[bool], AsyncIterator[str]],
    own_name: str = "",
    said_before: Sequence[str] = (),
    fallback: str = FALLBACK,
    declining: bool = False,
    user_name: str = "",
    heard: str = "",
) -> AsyncIterator[str]:
    """The text of ``ask(False)`` with no persona break shown, nor a greeting by ``own_name`` (the companion's:
    "Good evening, Allison" from Allison), nor a sentence copied from its earlier replies ``said_before``;
    ``ask(True)`` is the one retry, asked when nothing was shown yet, and ``fallback`` what is said when that
    breaks too. When ``declining`` (the user asked for something it cannot do), the first sentence must say it
    can't: "Okay! I'll try to play Joy Spring for you" is asked again. A sentence that calls the user by the
    companion's own name ("It's okay, Des.", "Good evening, Des" to Nate, from Des) has ``user_name`` put in
    its place, so it need not be asked again: in a first sentence that streams, only the words after a comma
    wait for that. No sentence shown takes the people or things of the user, who said ``heard``, as the
    companion's own ("Ray is an old friend of mine"). Closing this iterator closes the model's stream."""

    theirs = _their_words(heard)

    def addressed(text: str) -> str:
        if not (own_name and user_name):
            return text
        called = rf"((?:,|{GREETING}\W{{1,3}})\s*){re.escape(own_name)}\b"  # "Good evening, Des", "Hi Des"
        return re.sub(called, rf"\g<1>{user_name}", text, flags=re.IGNORECASE)

    def broken(sentence: str) -> bool:
        return bool(
            persona_break(sentence)
            or greets_itself(sentence, own_name)
            or names_itself_otherwise(sentence, own_name)
            or repeats(sentence, said_before)
            or takes_theirs(sentence, heard)
        )

    def pretends(first: str) -> bool:
        return declining and not DECLINES.search(first)

    shown = ""
    for again in (False, True):
        async with aclosing(ask(again)) as stream:  # type: ignore[type-var]
            broke = False
            waiting = ""  # a short first sentence, checked, that waits to be shown with the next one
            pending = ""  # the current sentence, as far as it is not shown yet
            held = True  # whether the current sentence is held back until it ends
            async for delta in stream:
                pending += delta
                # a sentence ended (the last character shown may be the stop that a space now follows)
                while (end := _END.search((last := (shown + waiting)[-1:]) + pending, len(last))) is not None:
                    cut = end.end() - len(last)
                    done, pending = addressed(pending[:cut]), pending[cut:]
                    if held and broken(done):
                        broke = True
                        break
                    if held and not shown and not waiting and len(done.split()) <= SHORT_WORDS:
                        waiting = done  # "I'm sorry, Noor." may lead into "But as an AI..."
                    elif not shown and pretends(waiting + done):
                        broke = True
                        break
                    else:
                        said = waiting + done
                        shown += said
                        yield said
                        waiting = ""
                    held = True  # the next sentence begins held
                if broke or (held and (broke := bool(persona_break(pending[: pending.rfind(" ") + 1])))):
                    break  # a break is known as soon as its words are written ("As an AI "), not at its end
                if pending.strip() and not shown:  # the first sentence (or the next, after a short one) may stream
                    held = held and (declining or could_break(pending) or _retells(pending, theirs))
                if pending and not held and (cut := _undecided(pending, own_name)):
                    said = waiting + pending[:cut]
                    shown += said
                    yield said
                    waiting, pending = "", pending[cut:]
            if not broke:
                pending = addressed(pending)
                if (pending.strip() and held and broken(pending)) or (not shown and pretends(waiting + pending)):
                    broke = True
                elif waiting + pending:
                    said = waiting + pending
                    shown += said
                    yield said
        if not broke or shown:
            return
    yield fallback
