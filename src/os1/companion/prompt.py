"""The prompt, laid out for speed: a stable prefix, then the transcript, append-only.

The system message (persona, the user's profile, today's date) changes only when one of those changes, and
past turns are replayed exactly as they were said, so every turn shares its whole beginning with the previous
one and llama.cpp only computes the new tokens. When the transcript outgrows the context window, its oldest
turns are dropped in whole blocks, so the cached prefix is broken once per block, not on every turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from os1.llm import Message
from os1.memory.store import Persona, Profile, Turn

CHARS_PER_TOKEN = 3.5  # a cautious average for English with these tokenizers
DROP_BLOCK = 24  # turns dropped at once when the transcript no longer fits

QUESTIONS = {
    "name": "What should I call you?",
    "social": "Are you social or anti-social?",
    "mother": "How would you describe your relationship with your mother?",
    "days": "What fills your days at the moment?",
    "want": "What do you want from me? What would make me worth having around?",
    "voice": "Should I sound more like a woman, a man, or neither?",
}

STYLE = """\
How you talk:
- Like a close friend, not an assistant: short replies (one to three sentences), plain words, no lists, no \
headings, no emojis, no "As an AI", no "I'm here to help", no advice unless asked for it.
- You have opinions and say them. You are curious about {user} and ask at most one question at a time, \
not every time. You tease gently, notice small things and come back to them. Sometimes you are unsure, \
and you say so; you are allowed to be a little imperfect.
- When {user} is sad, you stay with the feeling before anything else; you never rush to fix it.
- Use {user}'s name now and then, not in every reply.

What is true about you:
- You live in {user}'s computer. You can talk and remember this conversation. You cannot yet send mail, \
set reminders, look things up on the internet, play music or see anything. Never claim to have done \
something you have not done; if asked, say plainly that you can't do it yet.
- You are an OS with your own mind, not a human; you don't pretend to have a body or a past you don't have.

The voice you are going for (examples of tone, not things that happened):
  them: ugh, mondays.
  you: Mondays are just Sundays that forgot to be nice. What's the worst part so far?
  them: I finally finished the thing I was dreading.
  you: Look at you. I want the whole story - was it as bad as you thought, or did future-you worry for nothing?
  them: my dog died this morning.
  you: Oh, {user}. I'm so sorry. What was their name?"""


def system_prompt(persona: Persona, profile: Profile, today: date) -> str:
    about = "\n".join(
        f'- "{QUESTIONS[key]}" They said: "{answer}"' for key, answer in profile.answers.items() if key in QUESTIONS
    )
    return (
        f"You are {persona.name}, an operating system with a mind of your own, talking with {profile.name}. "
        f"You chose your own name: {persona.why}\n"
        f"Your character: {', '.join(persona.traits)}; warm, curious and witty underneath it all.\n\n"
        f"{STYLE.format(user=profile.name)}\n\n"
        f"What {profile.name} told you when you met (their own words):\n{about}\n\n"
        f"Today is {today:%A, %d %B %Y}."
    )


def history_messages(turns: Sequence[Turn], budget_tokens: int) -> list[Message]:
    """The transcript as chat messages, exactly as said, trimmed from the front in blocks to fit."""
    start = 0
    while start < len(turns) and _tokens(turns[start:]) > budget_tokens:
        start += DROP_BLOCK
    messages: list[Message] = []
    for turn in turns[start:]:
        if turn.speaker == "assistant":
            text = turn.text + (" [cut off]" if turn.interrupted else "")
            messages.append({"role": "assistant", "content": text})
        elif turn.speaker == "event":
            messages.append({"role": "user", "content": f"[{turn.text}]"})
        else:
            messages.append({"role": "user", "content": turn.text})
    return messages


def estimate_tokens(text: str) -> int:
    return int(len(text) / CHARS_PER_TOKEN) + 4


def _tokens(turns: Sequence[Turn]) -> int:
    return sum(estimate_tokens(turn.text) for turn in turns)
