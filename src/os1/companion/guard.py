"""A reply is read as it streams, and a sentence that steps out of the persona is never shown.

A small model slips into the assistant it was trained to be: "As an AI language model, I don't have opinions",
"I am a language model called Dr. Patel", "Is there anything else on your mind?", and it copies its own earlier
replies word for word. So every sentence is checked before it is shown (``checks.py``): a persona break, a
greeting by its own name, another name given as its own, a sentence said before. The user called by the name of
one of their people ("Good night, Bruno." to the dog's owner) is called by their own.

The first sentence streams as it is written, and so does the next when the first was short ("I'm sorry, Noor."
so often leads into "But as an operating system, I don't have feelings"): only the words that could still be the
beginning of a break are held back, with what leads into one ("I'm sorry" is shown; ", but as an" waits for
its next word); the user's people taken as its own ("my fiancé" after "my fiancé") are a break here too. The
reply's first word is shown as it is written, whatever may follow it ("I", "As", "My"), when the model can go on
from it: the time to the first word is the model's own (a greeting, "Hello", waits for the next word, which may be
the companion's own name). When a break is written after something was shown, the
model goes on from what was shown (the embedded llama.cpp continues an assistant message given as the last one),
with the words of breaks barred, and the word each earlier try broke with ("something" in "That's not something I
know anything about"), so no try writes the same break again; up to ``GOING_ON`` times; a backend that cannot, or
a break after that, ends the sentence there. When nothing was shown yet, the reply is asked for once more, with
a word on why (not kept in the transcript), and its first sentence is held to its end: what breaks twice gives a
plain line, never half a sentence.

After its first word, a first sentence is held whole, and checked at its end, when its first words say it may
give the companion another name ("My name is Bruno" after the user's dog), or retell what the user said of their
own people ("Ray is..." after "my friend ray", going on "an old friend of mine"), or, after the user told of
something, tells of the companion itself in the first person without reacting ("I was just trying to make a
joke" after the user's joke; decided by its first four words, a twentieth of replies): such a sentence that shares
a word with what the user just said is theirs taken as its own (``speaks_as_user``), and is checked as every
sentence checked whole is. When the user asked for
something it cannot do yet (``abilities.py``), the first sentence is held, first word and all, until it says it
can't: the small model sometimes pretends ("Okay! I'll try to play Joy Spring for you", "I'll let you know when I
have called Mike").

Every later sentence is held until it ends, which costs nothing a user waits for: the reply is already on its
way, and voice speaks whole sentences anyway; one that breaks ends the reply before it (such sentences come last:
"feel free to ask").
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import aclosing

import regex

from os1.companion.checks import (
    BREAKS,
    GREETING,
    copying,
    greets_itself,
    may_speak_as_user,
    names_itself_otherwise,
    persona_break,
    repeats,
    speaks_as_user,
    taking_theirs,
    tells_of_itself,
)

FALLBACK = "Mm. Say more? I'm listening."  # a reply's; a greeting has its own
SHORT_WORDS = 4  # after a first sentence this short, the next streams as the first does
GOING_ON = 3  # how many times a reply may go on from what was shown, after a break was written
# How a reply says it cannot do what was asked ("I can't send messages yet", "I'm not able to order anything").
DECLINES = re.compile(
    r"\b(can'?t|cannot|can not|not able|unable|(?:do|does)n'?t (?:have|know how)|i wish i could|no way)\b",
    re.IGNORECASE,
)
# A persona break with the words that lead into it ("I'm sorry, but as an AI"), matched as far as it is written.
_BREAK_AHEAD = regex.compile(
    r"(?:[,;:]?\s*\b(?:but|however|though|although|yet|and|so)\b,?\s*)?(?:"
    + "|".join(f"(?:{pattern})" for pattern in BREAKS)
    + ")",
    regex.IGNORECASE,
)
# How a sentence that gives the companion another name begins ("My name is Bruno."): held to its end.
_NAMING_ITSELF = ("my name", "i'm called", "i am called")
_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\n+")
_OPEN = " \t\n,;:"  # what a shown text never ends with as it streams: it may end where its sentence breaks
_CLOSED = re.compile(r"[.!?…][\"')\]]*\s*$")
_THEIR_PEOPLE = re.compile(r"\b(?:my|our)(?: [\w'-]+){1,3}", re.IGNORECASE)  # "my friend ray", "our dog Bruno"


def break_ahead(text: str, ahead: regex.Pattern[str] = _BREAK_AHEAD) -> tuple[int, bool]:
    """Where in ``text`` (a sentence as far as it is written) a persona break begins, or may still begin as it
    goes on (``len(text)``: nowhere), and whether it is one already; ``ahead``: the breaks, and what else is."""
    found = ahead.search(text, partial=True)
    if found is None:
        return len(text), False
    may_go_on = found.end() == len(text) and text[-1:].isalnum()  # "as an ai" may be "as an airline"
    return found.start(), not (found.partial or may_go_on)


def _their_words(heard: str) -> frozenset[str]:
    """The words that followed "my" or "our" in what the user said: "friend", "ray" in "my friend ray od'd"."""
    return frozenset(word for phrase in _THEIR_PEOPLE.findall(heard.lower()) for word in phrase.split()[1:])


def held_whole(start: str, theirs: frozenset[str], declining: bool, told: bool = False) -> bool | None:
    """Whether a first sentence that begins with ``start`` is held until it ends, to be checked whole (None: its
    next words decide): when it may give the companion another name, begins with one of the user's words
    ``theirs`` ("Ray is..." after "my friend ray od'd", where a small model goes on as the user: "Ray is an old
    friend of mine"), or, ``declining``, has not yet said it can't, or, when the user ``told`` of something,
    tells of the companion itself in the first person ("I was just trying to make a joke" after the user's)."""
    words = " ".join(start.lower().replace("\u2019", "'").split())
    if declining and not DECLINES.search(words):
        return True
    if any(words.startswith(naming) for naming in _NAMING_ITSELF):
        return True
    if told and (telling := tells_of_itself(start)) is not False:
        return telling
    first = re.match(r"\W*([\w'-]+)\W", start)
    if any(naming.startswith(words) for naming in _NAMING_ITSELF) or (theirs and first is None):
        return None
    return first is not None and first.group(1).lower() in theirs


def _opening(shown: str, broke: str) -> str:
    """The first word of ``broke``, the text that broke after ``shown``, as the model writes it going on from
    there (" That" after "Oh no!"; "," after "Hello there")."""
    text = broke if broke[:1].isspace() or not shown[-1:].isspace() else " " + broke
    match = re.match(r"\s*(?:\w+|[^\w\s]+)", text)
    return match.group() if match else text


def _first_word(text: str) -> int:
    """Where the first word of ``text`` ends, as far as it is written ("I" of "I'm"), with what follows it
    before a space ("Oh," in "Oh, no")."""
    match = re.match(r"\s*[\w'\u2019-]+[^\w\s]*", text)
    return match.end() if match else 0


def _undecided(text: str, names: Sequence[str]) -> int:
    """Where the part of streaming ``text`` that may still become one of ``names`` (the companion's own, and
    those of the user's people), said to the user after a comma or a greeting ("It's okay, Des", "Hi Des" from
    Des; "Good night, Bruno" to the dog's owner), begins; ``len(text)`` when none may."""
    if names:
        for said_to in re.finditer(rf",|{GREETING}", text, re.IGNORECASE):
            after = text[said_to.end() :]
            rest = after.lstrip(" ,!.:;-").lower()
            if len(after) - len(rest) <= 3 and any(
                name.lower().startswith(rest) or _calls(after, name) for name in names
            ):
                return said_to.start()
    return len(text)


def _calls(after: str, name: str) -> bool:
    return bool(re.match(rf"\W{{0,3}}\s*{re.escape(name)}\b", after, re.IGNORECASE))


async def guarded(
    ask: Callable[[bool, str, tuple[str, ...]], AsyncIterator[str]],
    own_name: str = "",
    said_before: Sequence[str] = (),
    fallback: str = FALLBACK,
    declining: bool = False,
    user_name: str = "",
    heard: str = "",
    continues: bool = False,
    theirs_named: Collection[str] = (),
) -> AsyncIterator[str]:
    """The text of ``ask(False, "", ())`` with no persona break shown, nor a greeting by ``own_name`` (the
    companion's: "Good evening, Allison" from Allison), nor a sentence copied from its earlier replies
    ``said_before``. One more try when a break is written: ``ask(True, "", ())``, the reply asked for again, when
    nothing was shown yet; ``ask(True, shown, stuck)``, the model going on from what was shown, when something
    was and it ``continues`` (then the first word is shown as it is written), with ``stuck`` the words each try
    that broke began with (" something"), to bar; ``fallback`` is what is said when nothing can be. When
    ``declining`` (the user asked for something it cannot do), the first sentence must say it can't: "Okay! I'll
    try to play Joy Spring for you" is asked again. The companion's own name said to the user ("It's okay, Des.",
    "Good evening, Des" to Nate, from Des) is replaced by ``user_name``, so it need not be asked again. No sentence
    shown takes the people or things of the user, who said ``heard``, as the companion's own ("Ray is an old
    friend of mine"). Nor is the user called by the name of one of their people, ``theirs_named`` ("Good night,
    Bruno." to the dog's owner): after a greeting, or after a comma at a sentence's end, it is ``user_name``.
    Closing this iterator closes the model's stream."""

    theirs = _their_words(heard)
    told = may_speak_as_user(heard)
    taking = taking_theirs(heard)  # "my fiancé" after "my fiancé": a break too, as it is written
    ahead = regex.compile(f"{_BREAK_AHEAD.pattern}|(?:{taking})", regex.IGNORECASE) if taking else _BREAK_AHEAD

    others = sorted({name for name in theirs_named if name.lower() != user_name.lower()} - {own_name}, key=len)
    names = [name for name in (own_name, *others) if name]
    named = "|".join(re.escape(name) for name in reversed(others))
    # "Good night, Bruno." and "Hi Bruno!", not "in Cork, Cian and..." nor "Dingle, Kerry."
    theirs_called = regex.compile(
        rf"((?i:{GREETING})\W{{1,3}})(?:{named})\b|((?<!\b[A-Z][\w'-]*),\s*)(?:{named})(?=\s*[.!?])"
    )

    def addressed(text: str, before: str) -> str:
        """``text``, which follows ``before`` in its sentence, with the user called by their own name."""
        if not user_name:
            return text
        if own_name:
            called = rf"((?:,|{GREETING}\W{{1,3}})\s*){re.escape(own_name)}\b"  # "Good evening, Des", "Hi Des"
            text = re.sub(called, rf"\g<1>{user_name}", text, flags=re.IGNORECASE)
        if others:
            called_by = theirs_called.sub(
                lambda m: f"{m.group(1) or m.group(2)}{user_name}", before + text, pos=len(before)
            )
            text = called_by[len(before) :]
        return text

    def broken(sentence: str) -> bool:
        return bool(
            persona_break(sentence)
            or greets_itself(sentence, own_name)
            or names_itself_otherwise(sentence, own_name)
            or repeats(sentence, said_before)
            or speaks_as_user(sentence, heard)
        )

    shown = ""
    sentence = 0  # where in ``shown`` the sentence under way begins
    whole: bool | None = None  # whether it is held until it ends (None: not known yet)
    again, went_on = False, 0
    at_once = ""  # the reply's first word, shown as it was written
    stuck: list[str] = []  # how each try that broke went on from what was shown
    while True:
        broke = False
        pending = ""  # the sentence under way, as far as it is not shown (when a break is written: from it on)
        trim = again and shown != shown.rstrip()  # it goes on from what was shown, which ended with a space
        afresh = again and not shown  # asked again from the start: its first sentences are held to their end
        begun = shown.rstrip() if again else ""
        async with aclosing(ask(again, begun, tuple(stuck))) as stream:  # type: ignore[type-var]
            async for delta in stream:
                if trim:
                    delta = delta.lstrip()
                    trim = not delta
                pending += delta
                streams = len(shown[:sentence].split()) <= SHORT_WORDS  # the first sentence, or after a short one
                start = 0  # where in ``pending`` to look for a sentence's end
                # a sentence ended (the last character shown may be the stop that a space now follows)
                while (end := _END.search((last := shown[-1:]) + pending, len(last) + start)) is not None:
                    cut = end.end() - len(last)
                    done = addressed(pending[:cut], shown[sentence:])
                    if declining and not shown and not DECLINES.search(done) and len(done.split()) <= SHORT_WORDS:
                        start = cut  # "Sorry, Theo." may be followed by the "I can't" that it needs
                        continue
                    if whole is not False or not streams:
                        broke = broken(shown[sentence:] + done) or (
                            declining and not shown and not DECLINES.search(done)
                        )
                    else:
                        broke = break_ahead(shown[sentence:] + done, ahead)[1] or repeats(
                            shown[sentence:] + done, said_before
                        )
                    if broke:
                        break
                    pending = pending[cut:]
                    shown += done
                    yield done
                    sentence, whole, start = len(shown), None, 0
                    streams = len(shown.split()) <= SHORT_WORDS
                if broke:
                    break
                written = shown[sentence:] + pending
                # the first word is shown as it is written (a break after it is gone on from), unless the
                # companion's own name may follow it ("Hello Jill!" from Jill, to Noor): that is put right whole
                said = pending[: _first_word(pending)]
                named_next = _undecided(said, names) < len(said)
                if continues and not (shown or declining or afresh or named_next) and said:
                    shown = at_once = said.rstrip(_OPEN)
                    yield at_once
                    pending = pending[len(at_once) :]
                if streams and whole is None and pending.strip():
                    # what it is held for is decided before anything of it is shown, but the first word
                    undecided = shown[sentence:] in ("", at_once)
                    whole = (afresh or held_whole(written, theirs, declining, told)) if undecided else False
                elif whole and declining and not afresh and not shown and DECLINES.search(written):
                    whole = held_whole(written, theirs, False, told)  # it said it can't: the rest may stream
                if not streams or whole is not False:
                    # a held sentence breaks as soon as its words make a break ("As an AI "), not at its end
                    if broke := bool(persona_break(written[: written.rfind(" ") + 1])):
                        break
                    continue
                at, broke = break_ahead(written, ahead)
                if broke:
                    break
                if copying(words := written[: written.rfind(" ") + 1], said_before):
                    at = min(at, len(words) - len(words.lstrip()) + len(words.split()[0]))  # its first word may go
                cut = min(at, _undecided(written, names)) - (len(written) - len(pending))
                if cut > 0 and (said := pending[:cut].rstrip(_OPEN)):
                    shown += said
                    yield said
                    pending = pending[len(said) :]
            if not broke and pending:
                done = addressed(pending, shown[sentence:])
                if whole is not False or len(shown[:sentence].split()) > SHORT_WORDS:
                    broke = broken(shown[sentence:] + done) or (declining and not shown and not DECLINES.search(done))
                else:
                    broke = break_ahead(shown[sentence:] + done + " ", ahead)[1] or repeats(
                        shown[sentence:] + done, said_before
                    )
                if not broke:
                    shown += done
                    yield done
        if not broke:
            return
        if not shown and again:
            yield fallback
            return
        if shown and (not continues or went_on == GOING_ON or len(shown[:sentence].split()) > SHORT_WORDS):
            if not _CLOSED.search(shown):  # what was shown ends where its sentence broke: it ends there
                yield "."
            return
        if shown and (opening := _opening(shown, pending)) not in stuck:
            stuck.append(opening)
        again, went_on = True, went_on + bool(shown)
        if not shown:
            sentence = 0
        if sentence == len(shown):
            whole = None  # the next sentence, or the first again, decides anew
