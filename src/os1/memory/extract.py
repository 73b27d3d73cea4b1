"""From turns to memories: what is worth keeping, extracted with JSON-schema constrained output, then applied.

Applying is where time is kept honest: a new fact about the same subject and relation (``Theo`` / ``lives in``)
closes the old one at the new one's date instead of deleting it, the same fact said twice is stored once, and
trivia (importance 1 of 5) is not stored. Dates are the speaker's own words, resolved by ``dates.resolve``
against the moment the turn was said. Facts are about whoever said them: in a conversation between two people,
each turn is labelled with its speaker.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time

from os1.llm import LLM, complete_json
from os1.memory.corrections import correction
from os1.memory.dates import resolve
from os1.memory.recall import Recall
from os1.memory.store import Memory, MemoryKind, Turn
from os1.memory.words import asks, errand, stems

# A closed set of relations, so that "I moved to Berlin" meets "lives in Lisbon" under the same key.
RELATIONS = (
    "lives in", "works as", "works at", "studies", "likes", "dislikes", "is called", "is related to", "is friends with",
    "is partner of", "has birthday on", "owns", "plans to", "feels", "other",
)  # fmt: skip
SUPERSEDABLE = frozenset({"lives in", "works as", "works at", "studies", "is called", "is partner of", "owns"})
KIND_OF: dict[str, MemoryKind] = {
    "likes": "preference", "dislikes": "preference", "is related to": "relationship", "is friends with": "relationship",
    "is partner of": "relationship", "feels": "mood", "plans to": "event", "has birthday on": "event",
}  # fmt: skip
MIN_IMPORTANCE = 2  # of 5: 1 is small talk
MENDED_LAST = 5  # memories a correction may mend after they were kept
MIN_SUPPORT = 0.5  # of a memory's meaningful words (names aside), the share its source turn must have said
# What a small model keeps that is not a memory: the user asking the companion for something, or saying
# that they said something ("Margo asks about her", "Margo asked for a joke about pianos").
NOT_A_FACT = re.compile(
    r"\b(asks?|asked|asking|requests?|requested|wants? to know|wonders?|wondered)\b"
    r"|\b(told|tells|telling) (him|her|them|it|a joke|jokes|another joke)\b"
    r"|\bknows? about\b"  # "Sanne knows about Fenna's busy schedule": what was said, not what it said
    r"|\b(you|your|yours|yourself)\b",  # a memory tells of people by name: "you" was a line copied as said
    re.I,
)
# The conversation's own comings and goings ("Kev is back.", "Lucas wants to go to sleep.", "Rosa says goodnight"):
# true when said, and nothing to know a person by the next day. A habit is kept ("Wes goes to bed at nine").
PASSING = re.compile(
    r"\b(is|are) back( again)?\W*$"
    r"|\b(will|wants? to|should|needs? to|has to|must|is going to|is off to|is about to)\s+(go\s+)?(to\s+)?"
    r"(sleep|bed)\b"
    r"|\bis going to (sleep|bed)\b"
    r"|\b(says?|said) (hello|hi|hey|goodbye|bye|goodnight|good night)\b",
    re.I,
)
SAID_OF_ITSELF = re.compile(r"\b(\w+)(?:'s)? (?:\w+ )?(?:is called|tells|told|asks|asked) \1\b", re.I)
# What people call the companion ("Some chatbot with a cute name", "wow. a talking computer"), never what the user
# is: "Marcus is a chatbot" swapped who is who.
MACHINE = re.compile(
    r"\b(?:is|was|are)\s+(?:just\s+)?(?:a|an|some|the)?\s*(?:[\w'-]+\s+){0,3}"
    r"(?:computer|chatbot|chat bot|bot|robot|ai|machine|program|toaster|language model|assistant)"
    r"(?=\s*(?:[.,;!?]|$|with\b|that\b|who\b))",
    re.I,
)
SPOKEN_TO = re.compile(r"\b(you|your|you're|you'd|you'll|yours|yourself|u|ur|ya)\b", re.I)
FIELDS = ("turn", "text", "subject", "relation", "object", "when", "importance")

# Each memory is a list, not an object: the model writes a third of the tokens (no key names), and generating
# them is most of what extraction costs on a CPU.
SCHEMA = {
    "type": "object",
    "properties": {
        "memories": {
            "type": "array",
            "maxItems": 10,
            "items": {
                "type": "array",
                "prefixItems": [
                    {"type": "integer", "minimum": 1},
                    {"type": "string"},
                    {"type": "string"},
                    {"enum": list(RELATIONS)},
                    {"type": "string"},
                    {"type": "string"},
                    {"type": "integer", "minimum": 1, "maximum": 5},
                ],
                "maxItems": len(FIELDS),
                "minItems": len(FIELDS),
            },
        }
    },
    "required": ["memories"],
}

INSTRUCTIONS = f"""\
You keep the long-term memory of a companion. Read the numbered turns and list what is worth remembering about \
the people who speak: facts about their lives, what they like and dislike, the people in their lives and how \
they relate, plans and events with their dates, and how they feel. Skip small talk, greetings and passing \
remarks: keep only what will still matter next week; most turns hold nothing. Only what was said; never guess. \
Never keep a request or a question to the companion (to play music, tell a joke, remind them), nor that someone \
asked or said something: keep the fact itself, or nothing.
Write each memory as a list: [turn, text, subject, relation, object, when, importance]
- turn: the number of the turn it comes from
- text: one short standalone sentence that names the person it is about (never "I" or "you")
- subject: that person's name; relation: one of {", ".join(RELATIONS)} ("other" if none fits); \
object: the rest of the fact in a few words
- when: the words of the turn that say when it happened or will happen ("last Tuesday", "in June"), or "" if \
the turn does not say
- importance: 2 a minor detail, 3 useful to know, 4 important, 5 life-changing

Example turns:
[1] Sam (Monday 02 March 2026): ugh, long day
[2] Sam (Monday 02 March 2026): my brother Tom just moved to Leeds, I'm helping him paint on Saturday
[3] Sam (Monday 02 March 2026): and I've gone off coffee completely, tea only now
[4] Sam (Monday 02 March 2026): can you put on some music? and tell me a joke
Answer: {{"memories": [[2, "Sam's brother is called Tom.", "Sam", "is related to", "Tom, brother", "", 4], \
[2, "Tom moved to Leeds.", "Tom", "lives in", "Leeds", "", 3], \
[2, "Sam will help Tom paint his new flat on Saturday.", "Sam", "plans to", "help Tom paint", "on Saturday", 3], \
[3, "Sam stopped drinking coffee and drinks tea instead.", "Sam", "dislikes", "coffee", "", 3]]}}
(Turn 4 asks for something: nothing to keep.)"""


@dataclass(frozen=True)
class Applied:
    stored: list[Memory]
    closed: list[Memory]  # memories that stopped being true because of a stored one
    skipped: int  # duplicates and trivia


async def extract(llm: LLM, turns: Sequence[Turn], names: dict[str, str]) -> list[dict[str, object]]:
    """The model's raw memory items for these turns. ``names`` maps a speaker to the name to show for it."""
    lines = [
        f"[{i}] {names.get(t.speaker, t.speaker)} ({t.at.astimezone():%A %d %B %Y}): {t.text}"
        for i, t in enumerate(turns, 1)
        if t.speaker != "event" and not small_talk(t.text)
    ]
    if not lines:
        return []
    reply = await complete_json(
        llm,
        [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": "\n".join(lines)}],
        SCHEMA,
        max_tokens=100 + 80 * len(lines),  # room for a couple of memories per turn
        temperature=0.1,
    )
    items = reply.get("memories", []) if isinstance(reply, dict) else []
    return [
        dict(zip(FIELDS, item, strict=True)) for item in items if isinstance(item, list) and len(item) == len(FIELDS)
    ]


async def apply(
    recall: Recall,
    turns: Sequence[Turn],
    items: Sequence[dict[str, object]],
    model_id: str,
    names: Mapping[str, str] | None = None,
) -> Applied:
    """Store the worthwhile items, closing what they supersede; every memory names its source turn, and says
    mostly what that turn said. ``names`` maps a speaker to their name, as for ``extract``."""
    people = " ".join((names or {}).values())
    speakers = list((names or {}).values())  # what they are called is the profile's and the persona's to say
    stored: list[Memory] = []
    closed: list[Memory] = []
    skipped = 0
    for item in items:
        index = int(str(item.get("turn", 0)))
        importance = int(str(item.get("importance", 1)))
        text = str(item.get("text", "")).strip()
        if not 1 <= index <= len(turns) or importance < MIN_IMPORTANCE or not text:
            skipped += 1
            continue
        subject = _key(item.get("subject"))
        relation = str(item.get("relation", "other"))
        obj = _key(item.get("object"))
        turn = _source(turns, index, f"{text} {obj}", subject)
        named = f"{turn.speaker} {people} {subject if text.lower().startswith(subject) else ''}"  # who it is about
        stated = _stated(turn)
        if (
            not _supported(text, stated, turn.text, names=named)
            or not _fact(text, named)
            or _asked_of_it(text, turn.text)
            or _misattributed(text, turn.text, (names or {}).get("user", ""))
        ):
            skipped += 1  # not what the turn said (an example's words, a guess), or not a fact at all
            continue
        renamed = any(re.match(rf"{re.escape(name)} is called\b", text, re.I) for name in speakers if name)
        if SAID_OF_ITSELF.search(text) or (relation == "is called" and obj in ("", subject)) or renamed:
            skipped += 1  # "Margo is called Margo", "Erik is called Karin", "Margo tells Margo": who said what got lost
            continue
        if relation in SUPERSEDABLE and not stems(obj) & stems(" ".join(t.text for t in turns)):
            skipped += 1  # a change of home, job or partner must be in what was said: never a guess
            continue
        text, subject, obj = (_mended(part, turn, turns) for part in (text, subject, obj))
        when = resolve(str(item.get("when") or ""), turn.at.astimezone().date())
        valid_from = datetime.combine(when, time(12), tzinfo=UTC) if when else turn.at
        same_key = await recall.store.current_with_key(subject, relation) if relation != "other" else []
        if any(_key(m.object) == obj for m in same_key) or any(m.text == text for m in stored):
            skipped += 1
            continue
        if relation in SUPERSEDABLE:
            for old in same_key:
                await recall.store.close_memory(old.id, valid_from)
                closed.append(old)
        memory = Memory(
            id=0,
            kind=_kind(relation, when is not None),
            text=text,
            source_turn_ids=(turn.id,),
            created_at=turn.at,
            subject=subject,
            predicate=relation,
            object=obj,
            valid_from=valid_from,
            importance=importance / 5,
            extracted_by=model_id,
        )
        stored.append(await recall.remember(memory))
    await _mend_kept(recall, turns, {memory.id for memory in stored})
    return Applied(stored, closed, skipped)


FILLER = frozenset(
    "a aah ah ahh all aw aww bye cheers cool day evening exactly fair fine good goodnight great ha haha hahaha hello "
    "hey hi hm hmm honestly i it it's just lol long love me morning nice night no nope oh ok okay omg right same see "
    "so sure thank thanks that the tired too totally true ugh wow yeah yep yes you".split()
)


def small_talk(text: str) -> bool:
    """Nothing but filler ("haha yes", "ugh, long day", "ok goodnight"): not worth a model's time."""
    words = re.findall(r"[\w']+", text.lower())
    return all(word in FILLER for word in words)


def _supported(text: str, stated: str, said: str, *, names: str) -> bool:
    """Whether what a turn ``stated`` holds most of the meaningful words of ``text``, and what it ``said`` every
    name in it (the speakers' names aside)."""
    words = stems(text) - stems(names)
    proper = stems(" ".join(re.findall(r"\b[A-Z][a-z]+", text))) - stems(names)
    heard = stems(said) | {word[:4] for word in re.findall(r"[a-z]+", said.lower())}
    return proper <= heard and (not words or len(words & stems(stated)) >= MIN_SUPPORT * len(words))


def _fact(text: str, names: str) -> bool:
    """Not a request, a question, a coming or going, or the user's words as they said them ("What's my dog's
    name?"), and about someone it names (one of ``names``, or a name within a sentence): "Wow. a diplomat." is
    about no one."""
    if (
        NOT_A_FACT.search(text)
        or PASSING.search(text)
        or text.rstrip().endswith("?")
        or re.search(r"\b(I|my|me)\b", text)
    ):
        return False
    known = stems(names)
    return any(
        (match.start() > 0 and text[: match.start()].rstrip()[-1:] not in ".!?") or stems(match.group()) <= known
        for match in re.finditer(r"\b[A-Z][\w'-]*", text)
    )


def _misattributed(text: str, said: str, user: str) -> bool:
    """Whether ``text``, a memory about ``user``, gives them what ``said`` tells of someone else ("Callum teaches PE"
    kept as "Bex teaches PE") or what they called the companion ("Marcus is a chatbot with a cute name")."""
    if not user or not re.match(rf"{re.escape(user)}\b(?!')", text):
        return False
    if MACHINE.search(text):
        return True
    told = " ".join(text[len(user) :].split()[:2]).rstrip(".,!?")
    other = re.search(rf"\b((?-i:[A-Z][\w'-]*)|he|she|they|we)\s+{re.escape(told)}\b", said, re.I) if told else None
    return other is not None and other.group(1).lower() not in (user.lower(), "i")


def _stated(turn: Turn) -> str:
    """What ``turn`` states: of the user's words, the sentences that ask nothing and, of those, the clauses that do
    not speak to the companion ("What exactly are you? A language model with a pleasant name?", "Bet you couldn't
    back a 53 foot trailer into a dock", "can u play some Tame Impala"); the companion's words as they are."""
    if turn.speaker != "user":
        return turn.text
    sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n+", turn.text) if not asks(s)]
    clauses = [c for s in sentences for c in re.split(r"[,;:]\s+|\s+(?:and|but|so)\s+|\s[-\u2013\u2014]\s", s)]
    return " ".join(c for c in clauses if not SPOKEN_TO.search(c))


async def _mend_kept(recall: Recall, turns: Sequence[Turn], new: set[int]) -> None:
    """Mend what was kept before these turns as a correction among them says (the slip may have been kept from an
    earlier batch): the newest ``MENDED_LAST`` memories, of turns said before the correction."""
    for said in turns:
        if said.speaker != "user" or (fix := correction(said.text)) is None:
            continue
        for memory in await recall.store.memories(last=MENDED_LAST):
            earlier = memory.id not in new and max(memory.source_turn_ids, default=0) < said.id
            if earlier and not memory.quotes_interview and (mended := fix.applied(memory.text)):
                await recall.edit(memory.id, mended)


def _mended(text: str, turn: Turn, turns: Sequence[Turn]) -> str:
    """``text``, kept from ``turn``, as the user's corrections later in ``turns`` mend it ("Sorry, it's Dallas, not
    Denver.")."""
    for later in turns:
        if later.id > turn.id and later.speaker == "user" and (fix := correction(later.text)):
            text = fix.applied(text) or text
    return text


def _asked_of_it(text: str, said: str) -> bool:
    """Whether ``text`` only repeats what the user, saying ``said``, asked the companion to do: a request ("can u
    play some Tame Impala", "Set me an alarm for 4") is no fact about the user ("Dale sets an alarm for 4")."""
    verb = errand(said)[:4]
    return bool(verb) and any(word.startswith(verb) for word in re.findall(r"[a-z]+", text.lower()))


def _source(turns: Sequence[Turn], index: int, said: str, subject: str) -> Turn:
    """The turn a memory came from: the one the model named, unless another turn of the batch shares more of the
    memory's words (small models miscount turns)."""
    words = stems(said) - stems(subject)
    overlap = [len(words & stems(t.text)) for t in turns]
    best = max(range(len(turns)), key=lambda i: (overlap[i], i == index - 1))
    return turns[index - 1] if overlap[index - 1] >= overlap[best] else turns[best]


def _kind(relation: str, dated: bool) -> MemoryKind:
    if relation in KIND_OF:
        return KIND_OF[relation]
    return "event" if dated and relation not in SUPERSEDABLE else "fact"


def _key(value: object) -> str:
    """Subjects and objects compared as written, ignoring case and surrounding punctuation."""
    return " ".join(str(value or "").strip(" .,!?\"'").split()).lower()
