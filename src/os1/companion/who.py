"""What /who shows: who the companion is, in its own words, and how it has changed since the user met it."""

from __future__ import annotations

from os1.companion import inner
from os1.memory.store import Inner, Mood, Persona, TraitChange


def described(persona: Persona, user: str, grown: Inner, mood: Mood, said: int) -> str:
    """Its name and why, its traits (as they have ``grown``) and how they changed, how it feels right now
    (``mood``) and why, and the interests it has grown; ``said``: how many things the user has said to it."""
    p = persona
    lines = [
        f"I'm {p.name}. I chose my name on {p.created_at.astimezone():%d %B %Y}, out of "
        f"{p.names_considered:,} given names. {p.why}",
        f"I'm {', '.join(grown.traits(p.traits))}, with a {p.voice} voice. You're {user}; "
        f"you've said {said:,} thing{'' if said == 1 else 's'} to me so far.",
        f"Right now I feel {inner.phrase(mood)}: {inner.why(mood)}.",
    ]
    if grown.changes:
        lines.append(f"When we met I was {', '.join(p.traits)}. Since then:")
        lines += [f"- {_changed(change)}" for change in grown.changes]
    if grown.interests:
        lines.append("Things I've come to care about myself, from our talks:")
        lines += [f"- {i.topic} (since {i.since.astimezone():%d %B %Y}): {i.why}" for i in grown.interests]
    return "\n".join(lines)


def _changed(change: TraitChange) -> str:
    """A trait change as /who tells it: when, what, and the reason it gave (unless forgotten since)."""
    grew = f"I grew {'more' if change.change == 'stronger' else 'less'} {change.trait}"
    why = f": {change.why}" if change.why else " (the reason went with a memory you had me forget)"
    return f"on {change.at.astimezone():%d %B %Y} {grew}{why} (now {', '.join(change.after)})"
