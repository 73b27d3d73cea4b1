"""A correction in the user's words ("Sorry, it's Dallas, not Denver.", "Actually, it's Meera. I typed it wrong",
"No, it's Sutton Coldfield, not Solihull") and what it changes in a memory: the wrong word or name (the one named,
or else, for a name, a word a letter off it, or two for a name of five letters or more) replaced by the right one.

Both the conversation (a correction of what was just remembered) and extraction (a correction of a fact said a
few turns earlier, in the same batch) use it, so a slip is mended whichever comes first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PHRASE = r"[\w'-]+(?:\s+(?-i:[A-Z])[\w'-]*){0,2}"  # a word, or a name of up to three: "Sutton Coldfield"
CORRECTION = re.compile(
    r"^\W*(?:(?:no|nope|actually|sorry|oops|wait)\W+)+(?:it'?s|it is|the name is|her name is|his name is|i meant)\s+"
    rf"(?P<right>{_PHRASE})(?:,?\s+not\s+(?P<wrong>{_PHRASE}))?(?:\W*$|[.!;,]\s)",
    re.I,
)
MIN_WORD = 3  # a right word shorter than this is not matched by its spelling alone ("it's ok")


@dataclass(frozen=True)
class Correction:
    right: str
    wrong: str | None  # the word it replaces, when the user named it

    def applied(self, text: str) -> str | None:
        """``text`` with the wrong word replaced, or None if it has none."""
        named = self.wrong if self.wrong and _has_word(text, self.wrong) else None
        wrong = named if self.wrong else _near_word(text, self.right)
        if wrong is None:
            return None
        right = self.right

        def as_written(match: re.Match[str]) -> str:  # a subject or object is kept in lowercase
            return right.lower() if match.group().islower() else right

        return re.sub(rf"\b{re.escape(wrong)}\b", as_written, text, flags=re.I)


def correction(text: str) -> Correction | None:
    """The correction ``text`` makes, if it is one."""
    match = CORRECTION.search(text)
    if match is None:
        return None
    return Correction(match["right"], match["wrong"])


def _has_word(text: str, word: str) -> bool:
    return bool(re.search(rf"\b{re.escape(word)}\b", text, re.I))


def _near_word(text: str, word: str) -> str | None:
    """A word of ``text`` that is ``word`` misspelt (a letter off, or two in a word of five letters or more), if
    any: "Jas" for "Jaz", "Mira" for "Meera", never "a" for "Jaz"."""
    if len(word) < MIN_WORD or not word[0].isupper():
        return None  # "it's fine" mends no "wine": only a name is matched by its spelling
    off = 1 if len(word) <= 4 else 2
    for candidate in re.findall(r"[\w'-]+", text):
        near = len(candidate) >= MIN_WORD and _distance(candidate.lower(), word.lower()) <= off
        if near and candidate.lower() != word.lower():
            return str(candidate)
    return None


def _distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
