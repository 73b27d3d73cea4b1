"""What the companion is asked about itself that the conversation cannot tell it: whether it is talking with
anyone else right now. The answer is the server's own count of live conversations, given to the model as a
note just before the question (as ``abilities`` does): the number only, never who or what about.
"""

from __future__ import annotations

import re
from collections.abc import Callable

ABOUT_OTHERS = re.compile(
    r"\b(are|were|do|have|will|can) you\b(?:\s+\w+){0,2}?\s+(talk|speak|chat)\w*\b[^.?!]{0,30}"
    r"\b(anyone|anybody|someone|somebody|others|other (people|users|humans|persons))\b"
    r"|\b(anyone|anybody|someone|somebody) else\b[^.?!]{0,30}\b(talk|speak|chat)\w*[^.?!]{0,20}\byou\b"
    r"|\bhow many (other )?(people|users|humans|persons|conversations)\b[^.?!]{0,40}\byou\b"
    r"|\bam i the only one\b",
    re.IGNORECASE,
)


def note_on_company(text: str, user: str, count: Callable[[], int]) -> str | None:
    """The note to add before ``text`` when it asks whether the companion is talking with others; ``count``
    says how many other conversations it is in right now (asked only then: on a server it counts them all)."""
    if not ABOUT_OTHERS.search(text):
        return None
    others = count()
    if others == 0:
        return f"{user} asks whether you are talking with anyone else. Right now you are not: only with {user}."
    return (
        f"{user} asks whether you are talking with anyone else. The truth, from the server's own count: right now "
        f"you are in {others:,} other conversation{'' if others == 1 else 's'} as well. Say so honestly, with the "
        "number. You know nothing about those people and say nothing about them."
    )
