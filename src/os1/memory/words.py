"""Words that carry meaning: what full-text queries look for, and how a memory is matched to the turn it came from."""

from __future__ import annotations

import re

STOPWORDS = frozenset(
    "a about after all also am an and any are as at be been before but by can could did do does doing for from had "
    "has have he her here hers him his how i if in into is it its just me more most my myself no not now of off on "
    "once only or other our out over own said same she should so some such than that the their them then there "
    "these they this those through to too under until up very was we were what when where which while who whom "
    "why will with would you your yours".split()
)


def stems(text: str) -> set[str]:
    """The first four letters of each meaningful word ("vegetarian" and "vegetarianism" meet as "vege")."""
    return {w[:4] for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 2 and w not in STOPWORDS}
