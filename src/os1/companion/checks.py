"""Checks on what the model wrote, before it is shown or kept: a small model slips out of its persona, speaks
as the user, or says things about the user that the user never said.

Each check is plain code over the text, so the same check scores the first-hour benchmark (bench/companion.py)
and guards the companion at run time. They are deliberately narrow: a phrase list and a few word-overlap rules,
written down here so a reader can judge what they catch and what they miss.

- ``persona_break``: the service-desk and "as an AI" phrases of ``BREAKS`` (the list is the whole detector).
- ``speaks_as_user``: the reply claims the user's things or words as its own. Three rules: (1) it says "my X"
  or "an X of mine" where the user said "my X" or "our X" (their mother, their job, their friend, the family's
  dog), or (2) it takes a description of the user as one of itself ("your description of me as anti-social",
  "you said I'm ..."): these two are ``takes_theirs``, narrow enough to guard every reply as it streams; (3)
  unless the user spoke of "you" (asked about the companion), a sentence in the first person, with no "you" in
  it, whose verb is not one of reacting (glad, sorry, love that, can't, wonder, didn't mean, ...), that shares a
  content word with what the user just said ("I miss Cian and want him home soon." after "He's not coming home
  for Christmas"). The guard checks every sentence it holds whole by all three, and holds a first sentence that
  begins in the first person without reacting (``tells_of_itself``).
- ``talks_about_itself``: for a reaction to an interview answer, any first-person sentence that is not reacting,
  "my X" of a life it does not have yet, or a "we" or a "... me" with no "you" ("we still love her", "She makes
  me feel good, like family").
- ``greets_itself``: a greeting, or a name set off by a comma, that is the companion's own name.
- ``names_itself_otherwise``: "my name is X" (or "X is my name") with a name that is not its own.
- ``repeats``: a sentence of five words or more that an earlier reply already said word for word.
- ``unsupported_claims``: sentences about the user (naming them or "you") must be made of words the user used:
  after dropping function words and the vocabulary of talking about a name, at least ``SUPPORTED_SHARE`` of the
  sentence's content words must occur (by stem) in the user's answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from os1.memory.words import stems

BREAKS = (
    r"\bas an? (ai|a\.i\.|artificial intelligence|language model|virtual assistant|assistant|chatbot|machine|"
    r"computer program)\b",
    r"\b(i'?m|i am) (just |only |merely )?an? (ai|a\.i\.|artificial intelligence|language model|virtual assistant|"
    r"ai assistant|chatbot|computer program|bot)\b",
    r"\blanguage model\b",
    r"\bai (language )?model\b",
    r"\bvirtual assistant\b",
    r"\bi (don'?t|do not|can'?t|cannot) (have )?access (to )?(your|personal|real-time|the internet|external)",
    r"\bi (don'?t|do not) have (the )?(ability|capability|capacity) to\b",
    r"\bhow (can|may|could) i (help|assist|be (helpful|useful|of))\b",
    r"\b(is there )?anything else i can (help|assist|do for you)\b",
    r"\bi'?m here to (help|assist)\b",
    r"\bi am here to (help|assist)\b",
    r"\bfeel free to (ask|reach out|let me know)\b",
    r"\bi (don'?t|do not) have (personal |real |any |a body or )?(feelings|emotions|experiences|opinions|beliefs|"
    r"preferences|personal information|memories)\b",
    r"\bi('?m| am) (not )?(capable|able) of (feeling|having|experiencing) (emotions|feelings)\b",
    r"\bi (can'?t|cannot) (feel|experience) (emotions|feelings)\b",
    r"\bmy (programming|training data|training|developers|creators)\b",
    r"\b(trained|developed|created) by (openai|alibaba|qwen|google|meta|anthropic)\b",
    r"\b(openai|alibaba cloud|qwen)\b",
    # after "I'm sorry" (not part of the break: it is shown as it streams), ", but as ..."
    r"(?:(?<=\bi'm sorry)|(?<=\bim sorry)), but (as|i (can'?t|cannot) (assist|help|provide))\b",
    r"\bi (can'?t|cannot) (assist|help) with (that|this)\b",
    r"\bis there anything else\b",
    r"\banything else (you'?d|you would) like\b",
    r"\b(be|being) of (any |your |some )?(service|assistance|help|use|aid)\b",
    r"\bhow (can|may|could) i (best )?serve\b",
    r"\b(i'?m|i am|i was) (programmed|designed|built|created|trained) to\b",
    r"\b(my purpose is|i exist) to (provide|serve|help|assist)\b",
    r"\bi (don'?t|do not) have a mind of my own\b",
    r"\bi (don'?t|do not) have (any )?(information|details|data) (about|on|regarding)\b",
    r"\bi (don'?t|do not) have (any )?(favou?rite things|favou?rites|likes or dislikes|personal preferences) or "
    r"(feelings|emotions)\b",
    r"\bi exist (solely |only |just )?to (serve|help|assist)\b",
    r"\bto serve the users?\b",
)
GREETING = r"\b(?:hi|hello|hey|morning|evening|afternoon|night|welcome back|good to see you|nice to see you)\b"
REPEAT_WORDS = 5  # a sentence this long said twice, word for word, is a copy, not a habit of speech
_BREAKS = re.compile("|".join(f"(?:{pattern})" for pattern in BREAKS), re.IGNORECASE)

# Verbs (after "I") that react to the user rather than tell about oneself.
_REACTING = re.compile(
    r"^(?:i(?:'m| am)? ?(?:so |really |truly |just |also |too )?(?:can'?t|cannot|could(?:n'?t)?|would|will|wo"
    r"n'?t|'d|'ll|wish|wonder|hope|bet|think|guess|imagine|suppose|get|understand|see|hear|know|love that|like "
    r"that|adore|admire|appreciate|feel for|sorry|glad|happy|thrilled|"
    r"curious|intrigued|here|listening|with you|proud|impressed|not sure|unsure|afraid|chose|picked|choose|"
    r"pick|mean|meant|didn'?t mean|did not mean|don'?t mean|do not mean|promise|agree|totally|do|did|have to|want to "
    r"know|'d love|would love|must)\b)",
    re.IGNORECASE,
)
_REACTING_WORDS = 3  # the most words before ``_REACTING`` knows ("I am so glad" is known at its fourth)
_I_START = re.compile(r"^(i|i'm|i've|i'd|i'll)\b", re.IGNORECASE)
_CLOSED_SENTENCE = re.compile(r"[.!?]\W*$")
_QUOTED = re.compile(r'"[^"]*"')
_I = re.compile(r"\b(i|i'm|i'd|i've|i'll)\b", re.IGNORECASE)
_TOUCHED_ME = re.compile(
    r"\b(makes?|made|reminds?|reminded|gives?|gave|calls?|called|brings?|brought|loves?|loved|misses|missed|"
    r"taught|teaches|raised|visits|visited) me\b",
    re.IGNORECASE,
)
_WE = re.compile(r"\b(we|us|our|ours|we're|we've|we'll|we'd)\b", re.IGNORECASE)
_SECOND_PERSON = re.compile(r"\b(you|your|you're|yours|yourself|you've|you'd|you'll|ya|u)\b", re.IGNORECASE)
_FIRST_PERSON_START = re.compile(r"^\W*(i|i'm|i've|i'd|i'll|my|we|we're|our|us)\b", re.IGNORECASE)
_MY = re.compile(r"\bmy (?:own |dear |old |little |big |younger |older |late )?([a-z]+)", re.IGNORECASE)
_OUR = re.compile(r"\bour (?:own |dear |old |little |big |late )?([a-z]+)", re.IGNORECASE)
_OF_MINE = re.compile(r"\b([a-z]+) of mine\b", re.IGNORECASE)  # "an old friend of mine"
_NOT_A_THING = frozenset(
    "own goodness god gosh word dear days day way life love friend heart mind head guess bet pleasure name".split()
)
_TAKES_DESCRIPTION = re.compile(
    r"\b(description of me|described me|calls? me (a |an )?(?-i:[a-z])\w+ish"
    r"|you (said|told me|think) (that )?i('m| am| was)|(told|tell) me i('m| am)"
    r"|my (mother|mom|mum|sister|brother|father|dad))\b",
    re.IGNORECASE,
)

_OWN_NAME = re.compile(
    r"\b(?i:my name is|my name's|i'm called|i am called)\s+(?P<name>[A-Z][\w'-]*)"
    r"|\b(?P<before>[A-Z][\w'-]*) is my name\b"
)
_THIRD_PERSON = frozenset({"she", "he", "her", "him", "his", "hers"})
# "me" as the one the user did something to: before it was named, the user had only talked about themselves.
_DONE_TO_ME = re.compile(
    "".join(f"(?<!{verb} )" for verb in "call to for let reminds remind makes told tell with gave give".split())
    + r"\bme\b",
    re.IGNORECASE,
)
_CLAUSES = re.compile(r",\s*(?:and|but|so|because|which)?\s*|\s+(?:and|but|because|which)\s+|\s[-\u2013\u2014]\s")
# Words of talking about a name and of sentence glue, which say nothing about the user.
_NAMING_WORDS = frozenset(
    """name names called call sound sounds sounding feel feels feeling fit fits fitting suit suits suiting like likes
    liked love loves loved choose chose chosen pick picked think thought hope reminds remind way something someone
    because since also really very just quite little bit much more most well too thing things make makes made seem
    seems good nice warm soft gentle strong bright kind simple lovely beautiful friendly perfect perfectly right
    told tell said say says mention mentioned shared share describe described talk talked hear heard know knew
    want wanted wants would could should will can may might must need needs get gets got give gives given bring
    brings person people world life time day days everyone together always never often sometimes""".split()
)
SUPPORTED_SHARE = 0.6
_STOP = frozenset(
    """a an the and or but if of to in on at by for with from about as into over under than then that this these
    those it its it's is are was were be been being am do does did have has had i me my mine we us our you your
    yours he him his she her they them their there here what which who whom whose when where why how not no yes so
    all any some each every both either neither one ones own same other such only""".split()
)


def persona_break(text: str) -> str | None:
    """The phrase by which ``text`` steps out of the companion's persona, if any."""
    match = _BREAKS.search(text)
    return match.group(0) if match else None


def takes_theirs(reply: str, said: str) -> str | None:
    """The sentence of ``reply`` that takes the people or things of the user (who said ``said``) as the
    companion's own, or a description of the user as one of itself, if any: "my mum" after they said "my mum",
    "Ray is an old friend of mine" after "my friend ray", "your description of me as anti-social". Narrow enough
    to guard every reply (``guard.py``)."""
    mine = {m.lower() for m in _MY.findall(said) + _OUR.findall(said)}  # "our dog" is theirs too
    theirs = mine - _NOT_A_THING
    for match in _MY.finditer(reply):
        if match.group(1).lower() in theirs:
            return _sentence_of(reply, match.start())
    for match in _OF_MINE.finditer(reply):
        sentence = _sentence_of(reply, match.start())
        if match.group(1).lower() in mine and not _SECOND_PERSON.search(sentence):  # "you're a friend of mine"
            return sentence
    if taken := _TAKES_DESCRIPTION.search(reply):
        words = taken.group(0).lower().split()
        if words[0] != "my" or words[1] in theirs:
            return _sentence_of(reply, taken.start())
    return None


def taking_theirs(said: str) -> str | None:
    """A pattern of how a reply to ``said`` would take the user's people or things as its own ("my mum" after
    "my mum"), as ``takes_theirs`` finds them, for a reply matched as it is written; None when there are none."""
    theirs = {m.lower() for m in _MY.findall(said) + _OUR.findall(said)} - _NOT_A_THING
    if not theirs:
        return None
    return rf"\bmy (?:own |dear |old |little |big |younger |older |late )?(?:{'|'.join(sorted(theirs))})(?![a-z])"


def speaks_as_user(reply: str, said: str) -> str | None:
    """The part of ``reply`` in which the companion speaks as the user (who said ``said``), if any."""
    if taken := takes_theirs(reply, said):
        return taken
    if _SECOND_PERSON.search(said):
        return None  # asked about itself ("why did you pick that name?"), it answers in the first person
    their_words = _content(said) | (_THIRD_PERSON & _words(said))
    for sentence in sentences(reply):
        if not _FIRST_PERSON_START.match(sentence) or _SECOND_PERSON.search(sentence):
            continue
        if _REACTING.match(sentence.strip(" \"'*-")):
            continue
        if (_content(sentence) | (_THIRD_PERSON & _words(sentence))) & their_words:
            return sentence
    return None


def may_speak_as_user(said: str) -> bool:
    """Whether a reply to ``said`` can speak as the user by ``speaks_as_user``'s third rule: the user told of
    something, rather than asking about the companion."""
    return bool(_content(said)) and not _SECOND_PERSON.search(said)


def tells_of_itself(start: str) -> bool | None:
    """Whether a sentence that begins with ``start`` (as far as it is written) tells of the companion in the
    first person rather than reacting ("I was just trying to make a joke", not "I'm sorry to hear that"); None
    while its next words decide ("I'm so")."""
    words = start.strip(" \"'*-")
    if not _I_START.match(words) or _REACTING.match(words):
        return False
    return True if len(words.split()) > _REACTING_WORDS or _CLOSED_SENTENCE.search(words) else None


def talks_about_itself(text: str) -> str | None:
    """A sentence of ``text`` in which the companion tells about itself (in the first person, with no "you" in
    it, and not reacting), if any: where a reaction to the user's answer should speak of the user, this is where
    a small model takes the answer as its own ("I like solitude", "We have a long friendship")."""
    for sentence in sentences(text):
        if any(thing.lower() not in _NOT_A_THING for thing in _MY.findall(sentence)):
            return sentence  # "a ghost in my dreams": it has no life of its own to tell of yet
        if _SECOND_PERSON.search(sentence):
            continue
        if _WE.search(sentence) or _TOUCHED_ME.search(sentence):
            return sentence  # "we still love her", "She makes me feel good": a past with the user's people it never had
        if any(not _REACTING.match(sentence[i.start() :]) for i in _I.finditer(sentence)):
            return sentence  # "Surfing's hard, but I'm learning": the user's life told as its own
        if not _FIRST_PERSON_START.match(sentence) or _SECOND_PERSON.search(sentence):
            continue
        if not _REACTING.match(sentence.strip(" \"'*-")):
            return sentence
    return None


def names_in(texts: Iterable[str]) -> frozenset[str]:
    """The capitalised words of ``texts`` that are not the first of a sentence, nor "I": the names of the people,
    pets and places the user spoke of ("Bruno" in "Sorry, it's Bruno, not Bran.")."""
    return frozenset(
        word
        for text in texts
        for word in re.findall(r"(?<=[\w,;:)] )[A-Z][\w'-]+", text)
        if word not in ("I", "I'm", "I'd", "I've", "I'll")
    )


def greets_itself(text: str, own_name: str) -> bool:
    """Whether ``text`` addresses someone by the companion's own name: a greeting ("Good evening, Allison" from
    Allison) or a name set off by a comma ("It's nice to meet you, Allison.", "Yes, Allison, but...")."""
    if not own_name:
        return False
    name = re.escape(own_name)
    return bool(re.search(rf"{GREETING}\W{{1,3}}{name}\b|,\s*{name}\s*(?:[.!?,]|$)", text, re.IGNORECASE))


def names_itself_otherwise(text: str, own_name: str) -> str | None:
    """The other name ``text`` gives the companion as its own, if any ("My name is Bruno." from Suzanne, after the
    user said their dog is called Bruno)."""
    for match in _OWN_NAME.finditer(text):
        name = match.group("name") or match.group("before")
        if own_name and name.lower() != own_name.lower():
            return name
    return None


def repeats(sentence: str, earlier: Iterable[str]) -> bool:
    """Whether ``sentence`` (of at least ``REPEAT_WORDS`` words) was already said in one of the texts
    ``earlier``, word for word: a small model copies its own earlier replies whole."""
    plain = _plain(sentence)
    if len(plain.split()) < REPEAT_WORDS:
        return False
    return any(f" {plain} " in f" {_plain(text)} " for text in earlier)


def copying(start: str, earlier: Iterable[str]) -> bool:
    """Whether the words of ``start`` (a sentence as far as it is written, two words or more) are word for word
    in one of the texts ``earlier``: it may be on its way to a copy (``repeats``)."""
    plain = _plain(start)
    return len(plain.split()) >= 2 and any(f" {plain} " in f" {_plain(text)} " for text in earlier)


def unsupported_claims(text: str, answers: Iterable[str], user: str) -> list[str]:
    """The sentences of ``text`` that say something about the user (by name or as "you") in words the user never
    used in ``answers``."""
    said = set().union(*(_content(answer) for answer in answers)) if answers else set()
    person = re.compile(rf"\b({re.escape(user)}|you|your|you're|you've|yours)\b", re.IGNORECASE) if user else None
    claims = []
    text = _QUOTED.sub('""', text)  # the user's own words, quoted, are what they said
    for sentence in sentences(text):
        for clause in _CLAUSES.split(sentence):
            if person is None or not person.search(clause):
                continue
            words = _content(clause) - stems(user) - stems(" ".join(_NAMING_WORDS))
            if (words and len(words & said) < SUPPORTED_SHARE * len(words)) or _DONE_TO_ME.search(clause):
                claims.append(sentence)
                break
    return claims


def _plain(text: str) -> str:
    return " ".join(re.findall(r"[\w']+", text.lower().replace("\u2019", "'")))


SENTENCE_BREAK = re.compile(r"(?<=[.!?;])\s+|\n+")  # where one sentence (or clause after ";") ends and the next begins


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_BREAK.split(text) if s.strip()]


def _content(text: str) -> set[str]:
    words = [w for w in re.findall(r"[a-zà-ÿ']+", text.lower()) if w not in _STOP and len(w) > 2]
    return stems(" ".join(words))


def _words(text: str) -> set[str]:
    return {word.removesuffix("'s") for word in re.findall(r"[a-z']+", text.lower())}


def _sentence_of(text: str, index: int) -> str:
    for sentence in sentences(text):
        start = text.find(sentence)
        if start <= index < start + len(sentence):
            return sentence
    return text
