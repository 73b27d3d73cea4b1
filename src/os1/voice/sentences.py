"""A streamed reply cut into pieces that can be spoken while the rest is still being written.

A piece ends where a sentence ends (". ", "! ", "? ", or a line break), not after an abbreviation ("Dr.") and
not inside a number ("3.5"). The first piece may end earlier, at a comma, once it has ``FIRST_WORDS`` words:
the voice starts sooner, and a clause is still something a person would say in one breath. What a voice
should not read out (markdown stars and hashes, emoji, "*smiles*") is taken out.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, AsyncIterator

FIRST_WORDS = 4
ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "vs", "etc", "e.g", "i.e", "approx", "no", "jr", "sr", "prof"}
_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\n+")
_COMMA = re.compile(r"(?<=[,;:\u2013\u2014])\s+")  # and dashes
_STAGE = re.compile(r"\*[^*\n]{1,40}\*(?=\s|$)")  # *smiles*, *laughs softly*
_UNSPOKEN = re.compile(r"[*_#`~|<>\[\]{}]|[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F]")


async def pieces(deltas: AsyncIterator[str]) -> AsyncGenerator[str, None]:
    """Speakable pieces of the text that ``deltas`` write, each as soon as it is complete."""
    pending = ""
    first = True
    async for delta in deltas:
        pending += delta
        while (cut := _cut(pending, first)) is not None:
            piece, pending = pending[:cut], pending[cut:]
            if spoken := speakable(piece):
                first = False
                yield spoken
    if spoken := speakable(pending):
        yield spoken


def speakable(text: str) -> str:
    """``text`` as it should be read aloud: no stage directions, markdown or emoji, single spaces."""
    return " ".join(_UNSPOKEN.sub("", _STAGE.sub("", text)).split())


def _cut(text: str, first: bool) -> int | None:
    for match in _END.finditer(text):
        before = text[: match.start()].rstrip("\"')]")
        word = re.search(r"(\S+)$", before)
        last = word[1].lower().rstrip(".") if word else ""
        if before.endswith(".") and last in ABBREVIATIONS:
            continue  # "Dr. Smith": not the end of a sentence
        return match.end()
    comma = _COMMA.search(text) if first else None
    if comma is not None and len(text[: comma.start()].split()) >= FIRST_WORDS:
        return comma.end()
    return None
