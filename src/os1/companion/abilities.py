"""What the companion cannot do yet, and noticing when it is asked to.

A small model forgets a rule in its system prompt exactly when a user asks it to send an email. So when a message
asks for one of these things, a short note saying so is added to the transcript just before the message (as an
event: the model sees it, the user's words stay as they were). When an errand becomes a real tool, its row goes.
"""

from __future__ import annotations

import re

from os1.memory.words import requests

CANNOT = (
    (
        "send email",
        r"\b(e-?mail|mail)\b.*\b(send|write|draft|reply)|\b(send|reply|write)\b.*\b(e-?mail|mail)\b"
        r"|^\W*(please )?e-?mail\b|\b(can|could|would|will) you (please )?e-?mail\b",
    ),
    (
        "send messages or texts",
        r"\b(text|message|dm|whatsapp)\b (him|her|them|my|to)\b|\bsend (a |an )?(text|message)"
        r"|^\W*(please )?(text|message) ((?-i:[A-Z])|(him|her|them|my|mum|mom|dad)\b)"
        r"|\b(can|could|would|will) you (please )?(text|message)\b",
    ),
    (
        "make calls",
        r"\b(call|phone|ring|telephone) (him|her|them|my|mom|mum|dad)\b|^\W*(please )?(call|phone|ring|telephone) "
        r"(?-i:[A-Z])|\b(can|could|would|will) (you|u) (please )?(call|phone|ring|telephone)\b",
    ),
    (
        "set reminders or alarms, or touch a calendar",
        r"\b(remind me|set (an? )?(alarm|timer|reminder)|calendar|schedule)\b",
    ),
    ("book, order or buy anything", r"\b(book|order|buy|purchase|reserve)\b (me |a |an |the |some |tickets?)"),
    ("look things up on the internet", r"\b(google|look (it |that )?up|search (the web|online|for)|browse)\b"),
    (
        "play music",
        r"\bplay (me |us |some |a |the )*(song|music|playlist|track)|\b(can|could|would|will) (you|u) (please )?play\b"
        r"|^\W*(please )?play\b|^\W*(please )?put on (some|a|an|the|my) "
        r"|\bput on (some|a|an|the|my) [^.]*\bfor (me|us)\b",
    ),
)
_PATTERNS = [(what, re.compile(pattern, re.IGNORECASE)) for what, pattern in CANNOT]


def cannot_do(text: str) -> list[str]:
    """The things in ``CANNOT`` that this message asks for."""
    return [what for what, pattern in _PATTERNS if pattern.search(text)]


def asked_to_do(text: str) -> bool:
    """Whether ``text`` asks the companion for something it cannot do yet (not only tells of such a thing)."""
    return bool(cannot_do(text)) and requests(text)


def note_for(text: str, user: str) -> str | None:
    """The event note to add before the message, or None when it asks for nothing the companion lacks."""
    asked = cannot_do(text)
    if not asked:
        return None
    return (
        f"{user} is asking for something you cannot do yet ({', '.join(asked)}). Say honestly that you can't, "
        "don't offer to do it later or ask for details as if you could, and stay with what they are feeling."
    )
