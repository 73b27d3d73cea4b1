"""Words that carry meaning: what full-text queries look for, how a memory is matched to the turn it came from,
whether a sentence asks something, and whether a message asks the companion to do something."""

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


# A request: an errand's verb first, after a word or two of lead-in and a "can you" or "please" ("ok please call
# Mike", "Can you set a timer"); or "can you" or "for me" anywhere ("I was wondering if you could...", "Put on some
# Clifford Brown for me"). "My schedule is packed" and "I got an email" ask for nothing.
_ERRAND = re.compile(
    r"\W*(?:(?:hey|ok|okay|so|and|please|oh)\W+)*"
    r"(?:(?:can|could|would|will|cud|wud) (?:you|u|ya) (?:please )?|please )?"
    r"(?P<verb>set|play|order|book|reserve|buy|pay|send|text|message|call|phone|ring|telephone|e-?mail|mail|write|"
    r"read|find|show|put|turn|add|schedule|wake|remind|look|search|google|check|sing|draw|open|start|stop|get|make|"
    r"tell)\b",
    re.I,
)
_ASKING = re.compile(
    r"\b(?:can|could|would|will|cud|wud) (?:you|u|ya)\b|\bif (?:you|u) (?:can|could|would)\b|\bfor me\b", re.I
)


def errand(message: str) -> str:
    """The verb of the errand a message begins by asking for ("set" of "Can you set a timer?"), or ""."""
    asked = _ERRAND.match(message)
    return asked["verb"].lower().replace("-", "") if asked else ""


def requests(message: str) -> bool:
    """Whether a message asks the companion to do something, rather than telling of it."""
    return bool(errand(message)) or bool(_ASKING.search(message))
