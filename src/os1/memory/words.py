"""Words that carry meaning: what full-text queries look for, how a memory is matched to the turn it came from,
and whether a sentence asks something."""

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


# How a question begins when its writer leaves off the question mark ("whats my dogs name", "What was my wife's
# name. You remember?"), after a word or two of lead-in ("ok so", "quick"); "When I was a kid" and "What I love is"
# begin no question.
_QUESTION = re.compile(
    r"\W*(?:(?:ok|okay|so|and|hey|wait|quick|now)\W+)*"
    r"(?:(?:what|who|whose|where|when|which|why|how(?:\s+(?:old|many|much|long|far|often))?)\s+"
    r"(?:is|was|are|were|do|does|did|will|would|can|could|should|has|have|had)"
    r"|(?:what|who|where|how)(?:'s|s)|(?:do|did|can|could|will|would|have|are) you|remember (?:my|what|where|who))\b",
    re.I,
)


def asks(sentence: str) -> bool:
    """Whether ``sentence`` asks something: a question mark, or the first words of a question."""
    return "?" in sentence or bool(_QUESTION.match(sentence))
