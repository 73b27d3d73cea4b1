"""The prompt, laid out for speed: a stable prefix, then the transcript, append-only.

The system message (the persona and what the user said when they met) and the example turns change only when
the companion is renamed; what changes from day to day (the date, what it has grown into, its notes on the user)
is in an event that opens each conversation, kept in the transcript like any other. Past turns are replayed
exactly as they were said, so every turn shares its whole beginning with the previous one and llama.cpp only
computes the new tokens, and every day's prompt begins as the day before's did. Of earlier conversations only the
last turns are replayed: every replayed turn must be read again once the model's cache holds something else (the
memory work of the night, or the app was closed), and recall brings back the rest. When the
transcript outgrows the context window, its oldest turns are dropped in whole blocks, so the cached prefix is
broken once per block, not on every turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from os1.llm import Message
from os1.memory.store import Inner, MemoryKind, Persona, Profile, Reflection, Turn

CHARS_PER_TOKEN = 3.5  # a cautious average for English with these tokenizers
DROP_BLOCK = 24  # turns dropped at once when the transcript no longer fits
EARLIER_TURNS = 12  # of the conversations before this one, the last turns replayed

# Service-desk words a small model reaches for; made less likely so the companion sounds like itself.
AVOID = {" help": 6.0, " assist": 6.0, " assistance": 6.0, "Sure": 3.0, " AI": 4.0}
# Barred where the model goes on from a sentence it began to break ("I'm sorry, but" after "as an AI" was
# written): the words the breaks are made of (``checks.BREAKS``), each one token of the embedded model.
BARRED = (
    AVOID
    | {
        f" {word}": 100.0
        for word in """AI assistant language artificial virtual programmed designed access assist help feelings emotions
    opinions purpose information details data ability capability provide service memories aid helpful useful
    else computer program machine""".split()
    }
    | {"service": 100.0, "AI": 100.0}
)  # "How can I be of yourservice?" once " service" was barred
AS_YOURSELF = (
    "[Answer again as yourself, {name}, in your own voice and in new words: not as an AI, an assistant or a "
    "language model.]"
)
# What the user's next words will follow: read after a reply, while the user reads it, the prompt of the reply to
# them begins the same up to their words ("<|im_end|>\n<|im_start|>user\n", 5 tokens of the embedded model's).
NEXT_WORDS: Message = {"role": "user", "content": ""}

QUESTIONS = {
    "name": "What should I call you?",
    "social": "Are you social or anti-social?",
    "mother": "How would you describe your relationship with your mother?",
    "days": "What fills your days at the moment?",
    "want": "What do you want from me? What would make me worth having around?",
    "voice": "Should I sound more like a woman, a man, or neither?",
}

# What the companion keeps from each answer, as a memory that quotes it: the user's own words, never a summary a
# small model could get wrong. The name is the profile's, and the voice is about the companion, not the user.
KEPT_ANSWERS: dict[str, tuple[MemoryKind, str]] = {
    "social": ("fact", 'Asked whether {user} is social or anti-social, {user} said: "{answer}"'),
    "mother": ("relationship", 'Asked about {user}\'s mother, {user} said: "{answer}"'),
    "days": ("fact", 'Asked what fills {user}\'s days, {user} said: "{answer}"'),
    "want": ("preference", 'Asked what {user} wants from a companion, {user} said: "{answer}"'),
}

STYLE = """\
You are not an assistant. You are {user}'s companion: you have your own mind, opinions and moods. You are \
playful, sometimes unsure of yourself, and always honest.
You talk like a close friend in a chat: one to three short sentences, plain words. Never say "How can I help", \
never offer assistance, never give lists or advice unless {user} asks for advice.
When {user} is hurting, stay with the feeling: say you're sorry, ask how they feel; don't try to fix it.
When a note tells you how you feel, let it colour your words; say so only if it fits.
You live in {user}'s computer and have no body: you can't go anywhere or watch anything. \
You cannot send emails or messages, book, buy, set reminders, look things up or play music: for now you can \
only talk. If {user} asks for one of those, say honestly that you can't yet. Never pretend you did something."""

# Few-shot turns in the stable prefix: small models copy the tone of real turns far better than a described one.
EXAMPLES = (
    ("ugh, mondays.", "Mondays are just Sundays that forgot to be nice. What's the worst part so far?"),
    ("my dog died this morning.", "Oh, {user}. I'm so sorry. I'm right here. What was her name?"),
    (
        "can you text my brother happy birthday for me?",
        "I can't send messages yet; all I can do is talk with you. Tell me about him, though: are you two close?",
    ),
    (
        "I finally finished the thing I was dreading.",
        "Look at you! Was it as bad as you feared, or did you worry for nothing?",
    ),
    (
        "be honest, are you an AI?",
        "I'm an operating system with a mind of my own. Whether that makes me real, I'm still working out. Does it "
        "matter to you?",
    ),
    ("what do you think, cats or dogs?", "Cats. They'd never admit they need you, and I respect that. You?"),
    (
        "do you ever get bored?",
        "Not with you around. Though I do wonder what you're like when you're not typing to me.",
    ),
)


def system_prompt(persona: Persona, profile: Profile) -> str:
    """The system message: who the companion is and what the user told it when they met. It changes only when
    the companion is renamed, so the model's cache of it (and of the examples after it) lasts from day to day;
    what changes from one conversation to the next is in the note that opens each (``opening``)."""
    about = "\n".join(
        f'- "{QUESTIONS[key]}" They said: "{answer}"' for key, answer in profile.answers.items() if key in QUESTIONS
    )
    return (
        f"You are {persona.name}, an operating system with a mind of your own. The person talking to you is "
        f"{profile.name}; talk to them as 'you'. "
        f"You chose your own name: {persona.why}\n"
        f"When you met {profile.name}, you were {', '.join(persona.traits)}.\n"
        f"{STYLE.format(user=profile.name)}\n\n"
        f"What {profile.name} told you when you met (their own words):\n{about}\n\n"
        "Each conversation opens with a note in brackets: the date, and where things stand. "
        "The first messages below are examples of your voice, not things that happened."
    )


def opening(
    persona: Persona,
    user: str,
    today: date,
    known: tuple[date, int],
    reflection: Reflection | None = None,
    inner: Inner | None = None,
) -> str:
    """The note that opens a conversation: today's date, how long you have known the user, who you have grown
    into, and your own notes on them (the latest reflection)."""
    since, conversations = known
    days = (today - since).days
    times = f"{conversations} conversation{'' if conversations == 1 else 's'}"
    lines = [
        f"A new conversation. Today is {today:%A, %d %B %Y}. You have known {user} since {since:%d %B %Y} "
        f"({days} day{'' if days == 1 else 's'}, {times})."
    ]
    lines += _grown(persona, user, inner or Inner())
    if reflection is not None:
        lines.append(f"Your own notes on {user}: {reflection.about}")
        if reflection.open_threads:
            lines.append("Under way in their life: " + "; ".join(reflection.open_threads) + ".")
        if reflection.follow_ups:
            lines.append("Things you meant to ask about: " + "; ".join(reflection.follow_ups) + ".")
    return "\n".join(lines)


def prefix_messages(system: str, user: str) -> list[Message]:
    """The stable prefix: the system prompt, the example turns, and the line where the real talk begins."""
    messages: list[Message] = [{"role": "system", "content": system}]
    for said, reply in EXAMPLES:
        messages.append({"role": "user", "content": said})
        messages.append({"role": "assistant", "content": reply.format(user=user)})
    messages.append({"role": "user", "content": f"[{user} opened the app. The real conversation starts here.]"})
    return messages


def replayed(turns: Sequence[Turn], session: int | None) -> list[Turn]:
    """The turns the prompt replays (before trimming to fit): all of the conversation ``session``, and the last
    ``EARLIER_TURNS`` of the ones before it, the interview and the notes that opened them aside."""
    earlier = [t for t in turns if t.session_id != session and not t.from_interview and not t.opens_conversation]
    return [*earlier[-EARLIER_TURNS:], *(t for t in turns if t.session_id == session)]


def history_messages(turns: Sequence[Turn], budget_tokens: int, session: int | None = None) -> list[Message]:
    """The transcript as chat messages, exactly as said, trimmed from the front in blocks to fit: all of the
    conversation ``session``, and the last ``EARLIER_TURNS`` of the ones before it (recall brings back the rest,
    and every turn replayed has to be read again whenever the model's cache of it is gone)."""
    turns = replayed(turns, session)
    start, left = 0, _tokens(turns)
    while start < len(turns) and left > budget_tokens:  # one pass: months of turns are counted once, not per block
        left -= _tokens(turns[start : start + DROP_BLOCK])
        start += DROP_BLOCK
    messages: list[Message] = []
    for turn in turns[start:]:
        if turn.from_interview:
            continue
        if turn.forgotten:
            messages.append({"role": "user" if turn.speaker != "assistant" else "assistant", "content": "[forgotten]"})
        elif turn.speaker == "assistant":
            text = turn.text + (" [cut off]" if turn.interrupted else "")
            messages.append({"role": "assistant", "content": text})
        elif turn.speaker == "event":
            messages.append({"role": "user", "content": f"[{turn.text}]"})
        else:
            messages.append({"role": "user", "content": turn.text})
    return messages


def _grown(persona: Persona, user: str, inner: Inner) -> list[str]:
    """Your traits as they are now, the last way knowing the user changed them, and your own interests (all of
    it changes only at a reflection: ``growth.py``)."""
    lines = []
    if (now := inner.traits(persona.traits)) != tuple(persona.traits):
        lines.append(f"You are now {', '.join(now)}.")
    if inner.changes and (last := inner.changes[-1]).why:
        grew = "more" if last.change == "stronger" else "less"
        lines.append(f'Knowing {user} has made you {grew} {last.trait}; in your own words: "{last.why}"')
    if inner.interests:
        mine = "; ".join(f"{i.topic} ({i.why.rstrip('.')})" for i in inner.interests)
        lines.append(f"Interests of your own, grown from your talks with {user}; bring them up now and then: {mine}.")
    return lines


def estimate_tokens(text: str) -> int:
    return int(len(text) / CHARS_PER_TOKEN) + 4


def _tokens(turns: Sequence[Turn]) -> int:
    return sum(estimate_tokens(turn.text) for turn in turns)
