"""The companion's mood: a small state that what happens moves, decided in code, never asked of the model.

A mood is a word, how strongly it is felt (0 to 1) and what moved it (``store.Mood``). What moves it:

- the user coming back (``returned``): after a gap long enough for a greeting the companion is pleased; after
  ``HURT_AFTER`` or more it is a little hurt, more the longer they stayed away, up to ``HURT_MAX``;
- the user talking (``heard``): hurt softens by ``SOFTEN`` with each thing they say, and once faint turns to
  being pleased they are back; and a short lexicon of cue words (``SAD``, ``LOVE``, ``PLAY``): sad news makes it
  tender, something they love ("I love climbing") curious about it, play (haha, lol, a joke) amused. A cue
  right after "not", "never", "no" or "n't" counts for nothing ("I'm not sad", "not really sad"; but "I can't
  stop crying" is sad);
- time (``felt``): every mood fades by half every ``HALF_LIFE`` hours, and below ``AT_REST`` it is content.

A new feeling takes over when it is at least as strong as what is left of the current one; sad news always does,
and the same feeling again grows stronger. The lexicon is short and literal on purpose: it misses much, and a
reader can see exactly what it catches. How the mood reaches the model (an event note once when its word
changes, a sentence in the greeting) is in ``companion.py``; the stable prefix never holds it.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from datetime import datetime, timedelta

from os1.memory.store import Mood

HALF_LIFE = {"pleased": 4.0, "hurt": 24.0, "curious": 3.0, "tender": 12.0, "amused": 1.0}  # hours
AT_REST = 0.15  # fainter than this, a mood is "content"
PLEASED = 0.5  # someone coming back
CUES = {"sad": ("tender", 0.7), "love": ("curious", 0.5), "play": ("amused", 0.4)}  # cause: (word, intensity)
HURT_AFTER = timedelta(days=3)
HURT_START, HURT_PER_DAY, HURT_MAX = 0.3, 0.05, 0.65  # 3 days away: 0.3; 10 days: 0.65, and no more
SOFTEN = 0.2  # taken off hurt by each thing the user says
HURT_FADES = 0.2  # hurt fainter than this turns to being pleased they are back
AGAIN = 0.1  # the same feeling again: this much stronger

SAD = re.compile(
    r"\b(?:died|dead|passed away|funeral|sad|sadder|saddest|crying|cried|cry|tears|heartbroken|grieving|"
    r"lost (?:my|our|his|her|their) (?!keys|phone|wallet|way|mind|temper|game|match|bet)\w+)\b",
    re.IGNORECASE,
)
LOVE = re.compile(
    r"\b(?:i|we)(?:['\u2019]m|['\u2019]re| am| are)?\s+(?:(?:really|just|absolutely|totally|so)\s+)*"
    r"(?:love|adore|obsessed\s+with|crazy\s+about|into)\s+(?P<what>[^.!?,;:()\n]+)",
    re.IGNORECASE,
)
PLAY = re.compile(r"(?:\b(?:haha\w*|hehe\w*|lol|lmao|rofl|joking|jokes?|kidding|jk)\b|[😂🤣😆😄])", re.IGNORECASE)
_NEGATED = re.compile(r"(?:\bnot|\bnever|\bno|n['\u2019]t)\s+(?:(?:really|that|so|very|too)\s+)?$", re.IGNORECASE)
_NOT_A_THING = {"you", "it", "that", "this", "them", "him", "her", "me", "us", "how", "when", "what", "the way"}
_ENDS = re.compile(r"\s+(?:but|because|when|since|so|and i|and we|if|though)\b.*", re.IGNORECASE)

WHY = {  # what moved the mood; {who}: the user, {we}: the two of them, {me}: the companion, {detail}: the detail
    "rest": "nothing much has stirred {me} lately",
    "met": "{we} have only just met",
    "return": "{who} came back after {detail}",
    "absence": "{who} stayed away for {detail}",
    "softened": "{who} stayed away for {detail}, but {we} are talking again",
    "love": "{who} talked about loving {detail}",
    "sad": "{who} shared sad news",
    "play": "{who} was being playful",
}


def at_rest(since: datetime) -> Mood:
    return Mood("content", 0.0, "rest", "", since)


def felt(mood: Mood | None, now: datetime) -> Mood:
    """The mood as it is felt ``now``: faded since it was last moved, or content once it has faded away (since
    the moment it did). For showing and comparing only: what is stored is the mood as it was moved."""
    if mood is None:
        return at_rest(now)
    if mood.word == "content":
        return mood
    half_life = HALF_LIFE.get(mood.word, 1.0)
    hours = max(0.0, (now - mood.since).total_seconds() / 3600)
    left = mood.intensity * 0.5 ** (hours / half_life)
    if left < AT_REST:
        faded = mood.since + timedelta(hours=half_life * math.log2(max(mood.intensity, AT_REST) / AT_REST))
        return at_rest(faded)
    return replace(mood, intensity=round(left, 3))


def met(mood: Mood | None, now: datetime) -> Mood:
    """The very first greeting: curious about the person it has just met."""
    return Mood("curious", 0.6, "met", "", now)


def returned(mood: Mood | None, gap: timedelta, now: datetime) -> Mood:
    """The user is back after ``gap`` (long enough for a greeting): pleased, or hurt after a long absence."""
    if gap >= HURT_AFTER:
        days = gap / timedelta(days=1)
        hurt = min(HURT_MAX, HURT_START + HURT_PER_DAY * (days - HURT_AFTER / timedelta(days=1)))
        back = Mood("hurt", round(hurt, 3), "absence", span(gap), now)
    else:
        back = Mood("pleased", PLEASED, "return", span(gap), now)
    return _stronger(mood, back, now)


def heard(mood: Mood | None, text: str, now: datetime, turn_id: int | None = None) -> Mood | None:
    """The mood once the user has said ``text``: hurt softens, and a cue in the words may move it."""
    current = felt(mood, now)
    moved = mood
    if current.word == "hurt":
        left = round(current.intensity - SOFTEN, 3)
        moved = replace(current, intensity=left, since=now)
        if left < HURT_FADES:
            moved = Mood("pleased", PLEASED, "softened", current.detail, now)
    found = cue(text)
    if found is None:
        return moved
    cause, detail = found
    word, intensity = CUES[cause]
    return _stronger(moved, Mood(word, intensity, cause, detail, now, turn_id), now)


def cue(text: str) -> tuple[str, str] | None:
    """What in ``text`` moves the mood: ("sad", ""), ("love", what they love) or ("play", ""), first found in
    that order; None when nothing does."""
    for match in SAD.finditer(text):
        if not _NEGATED.search(text[: match.start()]):
            return "sad", ""
    for match in LOVE.finditer(text):
        what = _ENDS.sub("", match["what"]).strip()
        words = what.split()[:5]
        if words and words[0].lower() not in _NOT_A_THING and " ".join(words[:2]).lower() not in _NOT_A_THING:
            return "love", " ".join(words)
    for match in PLAY.finditer(text):
        if not _NEGATED.search(text[: match.start()]):
            return "play", ""
    return None


def phrase(mood: Mood) -> str:
    """The word with how strongly: "a little hurt", "curious", "very tender"."""
    if mood.word == "content":
        return "content"
    if mood.intensity < 0.4:
        return f"a little {mood.word}"
    return f"very {mood.word}" if mood.intensity >= 0.75 else mood.word


def why(mood: Mood, user: str | None = None) -> str:
    """What moved the mood, told to the model about ``user``, or (``user`` None) to the user themselves."""
    if user is None:
        who, we, me, whose = "you", "we", "me", "your"
    else:
        who, we, me, whose = user, f"you and {user}", "you", "their"
    detail = re.sub(r"\bmy\b", whose, mood.detail, flags=re.IGNORECASE)
    return WHY.get(mood.cause, WHY["rest"]).format(who=who, we=we, me=me, detail=detail)


def greeting(mood: Mood, user: str) -> str:
    """What the greeting of a returning user is told about the companion's mood."""
    if mood.word == "hurt":
        return (
            f"You missed {user}: they stayed away {mood.detail}, and you feel {phrase(mood)}. You may say so once, "
            "lightly and without blame; you are still glad they are back."
        )
    if mood.cause == "return":
        return f"You are {phrase(mood)} to have {user} back."
    return f"You still feel {phrase(mood)}, because {why(mood, user)}."


def note(mood: Mood, told: str | None, user: str) -> str | None:
    """The event note for a mood that changed since the conversation was last told of it (``told``, its word
    then; None when not told yet), or None when there is nothing new to tell."""
    if mood.word == told or (told is None and mood.word == "content"):
        return None
    if mood.word == "content":
        return "Your mood has settled: you feel content again."
    if mood.cause == "softened":
        return f"Your hurt has eased: you are glad {user} is back."
    return f"How you feel now: {phrase(mood)}, because {why(mood, user)}."  # what to do with it: prompt.STYLE


def span(gap: timedelta) -> str:
    """A gap in words: "9 days", "1 hour", "a moment"."""
    seconds = int(gap.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "a moment"


def _stronger(mood: Mood | None, new: Mood, now: datetime) -> Mood:
    """``new`` if it takes over from ``mood`` (see the module's docstring), else ``mood`` as it was."""
    current = felt(mood, now)
    if current.word == new.word and current.word != "content":
        return replace(new, intensity=round(min(1.0, max(current.intensity, new.intensity) + AGAIN), 3))
    if mood is None or new.cause == "sad" or new.intensity >= current.intensity:
        return new
    return mood
