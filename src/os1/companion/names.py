"""The companion's name: chosen from a real dataset of given names, narrowed step by step, each step said aloud.

The dataset is names-dataset (727,556 first names with gender shares and popularity ranks by country). Reading
it takes ~6 s of CPU and ~1 GB, so it is read in a process of its own at the lowest priority, once (``read_once``),
which onboarding starts while the interview runs: the model's reactions keep the cores and this process's GIL,
and only the names kept come back. The narrowing: names common somewhere; given where the user lives or
where their language is spoken (everywhere, if too few are); of the voice they asked for; not an everyday or
unfortunate word in their language or in English (``words.py``); nobody's name in their answers; and of a sound
that suits the traits the companion chose.
"""

from __future__ import annotations

import os
import pickle
import random
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from os1.companion.languages import ANYWHERE, LANGUAGES, Place
from os1.companion.words import unsayable

# Sound symbolism (the bouba/kiki effect): soft sonorants and round vowels read as gentle, stops and front
# vowels as quick and bright. Each trait leans one way; the name's letters are scored against the lean.
SOFT = set("lmnrwaou")
SHARP = set("ktpzxiec")
TRAIT_LEAN = {
    "warm": 1.0,
    "gentle": 1.0,
    "calm": 1.0,
    "dreamy": 1.0,
    "thoughtful": 0.5,
    "tender": 1.0,
    "curious": 0.0,
    "honest": 0.0,
    "witty": -1.0,
    "playful": -1.0,
    "bold": -1.0,
    "bright": -1.0,
    "frank": -0.5,
    "wry": -0.5,
    "mischievous": -1.0,
}
TRAITS = tuple(TRAIT_LEAN)
_EASY = re.compile(r"[A-ZÀ-Ý][a-zß-ÿ]{2,7}")  # one Latin word of 3 to 8 letters
VOICES = ("feminine", "masculine", "neutral")
COMMON_IN_COUNTRY = 1000  # a name among a country's thousand commonest is given there
ENOUGH = 60  # a place with fewer names of the voice asked for (twice the names offered) is widened


@dataclass(frozen=True)
class GivenName:
    name: str
    female_share: float
    ranks: dict[str, int]  # country (ISO code) -> its rank there, 1 the commonest

    @property
    def best_rank(self) -> int:
        return min(self.ranks.values())

    def rank_in(self, countries: Iterable[str]) -> int | None:
        return min((self.ranks[c] for c in countries if c in self.ranks), default=None)


@dataclass(frozen=True)
class Shortlist:
    """What is left after narrowing, and how many names each step kept."""

    names: tuple[str, ...]
    steps: tuple[tuple[str, int], ...]


def read_dataset() -> tuple[int, list[GivenName]]:
    """Every name in the installed dataset that is common somewhere (top 500 of a country) and easy to say."""
    from names_dataset import NameDataset

    first_names = NameDataset(load_first_names=True, load_last_names=False).first_names
    kept = []
    for name, info in first_names.items():
        ranks = info.get("rank") or {}
        if not ranks or not _EASY.fullmatch(name):
            continue
        best = min(ranks.values())
        if best <= 500:
            kept.append(GivenName(name, float((info.get("gender") or {}).get("F", 0.5)), dict(ranks)))
    return len(first_names), kept


_read: Future[tuple[int, list[GivenName]]] | None = None
_reading = threading.Lock()


def read_once() -> Future[tuple[int, list[GivenName]]]:
    """The dataset as ``read_aside`` reads it, read once in this process: every interview and renaming after the
    first shares it (a server where many users begin at once starts one reader, not one of ~1 GB each; at the
    lowest priority, readers would pile up while the model keeps the cores busy). Read again if it failed."""
    global _read
    with _reading:
        if _read is None or (_read.done() and _read.exception() is not None):
            _read = read_aside()
        return _read


def read_aside() -> Future[tuple[int, list[GivenName]]]:
    """``read_dataset`` in a new Python process at the lowest CPU priority (``python -m os1.companion.names``: no
    fork of a process that runs the model's threads, and nothing asked of the caller's main module); the ~22,000
    names kept come back pickled (~1.5 MB), the ~1 GB it takes to read them goes with the process."""
    future: Future[tuple[int, list[GivenName]]] = Future()

    def read() -> None:
        try:
            # a process group of its own: Ctrl-C in the terminal stops a reply, not this reading. Not a session of
            # its own: Linux schedules each session as a group (autogroup), where the lowest priority counts for
            # nothing against the model's process, and the first two reactions took up to three times as long
            done = subprocess.run(
                [sys.executable, "-m", __name__], stdin=subprocess.DEVNULL, capture_output=True, process_group=0
            )
            if done.returncode != 0:
                raise RuntimeError(f"reading the names dataset failed: {done.stderr.decode(errors='replace')[-500:]}")
            future.set_result(pickle.loads(done.stdout))  # our own child's output
        except Exception as exc:  # the naming that waits for it reports it
            future.set_exception(exc)

    threading.Thread(target=read, name="os1-names", daemon=True).start()
    return future


def sound_score(name: str, lean: float) -> float:
    letters = name.lower()
    soft = sum(ch in SOFT for ch in letters)
    sharp = sum(ch in SHARP for ch in letters)
    return lean * (soft - sharp) / len(letters)


def _alike(name: str, user: str) -> bool:
    """Whether ``name`` begins a word of the user's name, or one begins it (three letters at least): the companion
    would sound like a nickname of the user's ("Pat" to "Dr. Patel")."""
    a = name.lower()
    return any(
        min(len(a), len(b)) >= 3 and (a.startswith(b) or b.startswith(a))
        for b in re.findall(r"[^\W\d_]+", user.lower())
    )


def shortlist(
    total: int,
    names: Iterable[GivenName],
    *,
    voice: str,
    traits: Iterable[str],
    avoid: Iterable[str],
    user: str = "",
    place: Place = ANYWHERE,
    refused: Iterable[str] = (),
    keep: int = 200,
    offer: int = 30,
    rng: random.Random | None = None,
) -> Shortlist:
    """``avoid``: the user's words, whose names are not offered; ``user``: their name, nor is a name that begins
    it or that it begins (Pat to Dr. Patel, Christine to Chris: a nickname of their own); ``refused``: names the
    user already turned down (never offered again)."""
    names = list(names)
    steps: list[tuple[str, int]] = [
        ("given names in the dataset", total),
        ("common somewhere and easy to say", len(names)),
    ]
    low, high = {"feminine": (0.9, 1.0), "masculine": (0.0, 0.1), "neutral": (0.25, 0.75)}[voice]
    names, where, tier_steps = _given_where(names, place.tiers, lambda n: low <= n.female_share <= high)
    steps.extend(tier_steps)
    names = [n for n in names if low <= n.female_share <= high]
    steps.append((f"that sound {voice}", len(names)))
    languages = list(dict.fromkeys([*([place.language] if place.language else []), "en"]))
    names = [n for n in names if unsayable(n.name, n.ranks, languages) is None]
    steps.append((f"that are not everyday or unfortunate words in {_listed(languages)}", len(names)))
    avoided = {word.lower() for text in avoid for word in re.findall(r"[^\W\d_]+", text)}
    avoided |= {name.lower() for name in refused}
    names = [n for n in names if n.name.lower() not in avoided and not _alike(n.name, user)]
    steps.append(
        (
            "that are nobody's name in your answers, nor like yours" + (", nor turned down" if refused else ""),
            len(names),
        )
    )
    traits = [t for t in traits if t in TRAIT_LEAN]
    lean = sum(TRAIT_LEAN[t] for t in traits) / max(1, len(traits))
    names.sort(key=lambda n: (-sound_score(n.name, lean), n.name))
    names = names[: max(keep, len(names) * 2 // 5)]  # the best-sounding two fifths...
    names.sort(key=lambda n: (n.rank_in(where) or n.best_rank, n.name))
    names = names[:keep]  # ...and of those, the most familiar (where the user lives, if the names are from there)
    steps.append((f"whose sound suits someone {', '.join(traits)}", len(names)))
    rng = rng or random.Random()
    offered = rng.sample(names, min(offer, len(names)))
    return Shortlist(tuple(sorted(n.name for n in offered)), tuple(steps))


def _given_where(
    names: list[GivenName], tiers: Sequence[tuple[str, tuple[str, ...]]], voiced: Callable[[GivenName], bool]
) -> tuple[list[GivenName], tuple[str, ...], list[tuple[str, int]]]:
    """The names given in the narrowest place of ``tiers`` that has enough of them in the voice asked for, or else
    all of them; with that place's countries (none: everywhere) and the step it makes."""
    tried = []
    for said, countries in tiers:
        here = [n for n in names if (n.rank_in(countries) or COMMON_IN_COUNTRY + 1) <= COMMON_IN_COUNTRY]
        if sum(map(voiced, here)) >= ENOUGH:
            return here, countries, [(said, len(here))]
        tried.append(said.split(" (")[0].removeprefix("given "))
    if not tried:
        return names, (), []
    return names, (), [(f"given anywhere (too few of the voice you asked for are given {tried[-1]})", len(names))]


def _listed(languages: Sequence[str]) -> str:
    said = [LANGUAGES[code].name for code in languages if code in LANGUAGES]
    return " or ".join(said) if len(said) < 3 else ", ".join(said[:-1]) + " or " + said[-1]


if __name__ == "__main__":  # read_aside's reader: the names pickled as this module's own, not __main__'s
    from os1.companion import names

    os.nice(19)
    sys.stdout.buffer.write(pickle.dumps(names.read_dataset()))
