"""Names that are everyday words, or unfortunate ones, in the user's language or in English (or another
assistant's name: Alexa, Siri).

Word frequencies come from wordfreq (its code is Apache-2.0; its data, built from Wikipedia, subtitles, books, web
text and more, is CC-BY-SA 4.0; os1 reads it where it is installed and ships none of it). wordfreq counts every use
of a spelling, names included: "john" is as frequent in English (Zipf 5.4) as "hope" (5.4), and "michael" (5.1)
more than "lame" (4.0). A fixed threshold would drop the commonest names with the words, so the test is relative
to how frequent a name of the same popularity is. Measured on the names-dataset names of every rank in the
countries of English, German, French, Spanish, Italian, Dutch and Portuguese, the median Zipf frequency of a name
ranked r there is close to ``5.1 - 0.9 * log10(r)`` in each (rank 10: 4.1 to 4.6; rank 100: 3.4 to 3.7; rank
1,000: 1.8 to 2.8). A name is an everyday word when its spelling is both frequent (Zipf >= 3.0, once per million
words) and at least 2.0 above that (a hundred times as frequent as names as popular are: most of its uses are the
word). In English that drops Will, May, Hope, Lame, Guy, Summer, June, April, Faith and Dick, and keeps Joy (+1.8),
Rose (+1.9), Grace (+1.4), Mark and John; in German it drops Juli, Lasse, Will, and keeps Hans, Uwe, Max and Ernst
(+1.9); in French it drops Petit, Victoire and Blanche, and keeps Jean (+1.8), François (+1.95), Rose and Fleur.
Frequencies cannot tell the two uses of a spelling apart, so this is a bound, not a dictionary.

Where the system has its dictionary word lists (Debian's wamerican, wbritish, wbrazilian, ... in /usr/share/dict;
macOS has an English one), they tell more: a spelling they list only in lowercase is a word of the language
("harsh", "con", "balde": a bucket, "neta": a granddaughter, "ariana": Aryan, or born under Aries), unless the
language's lists or the English ones also write it capitalised, as a name ("Mark", "Rose", "Vitória"). Such a
name is dropped unless it is among the ``FAMILIAR`` names most given where the language is spoken: those a speaker
knows as names first ("Bruna", "Jade"). Only lists that write names capitalised and other nouns not can tell the
two apart: the English, Portuguese, Italian, Dutch and Swedish ones; the French and Spanish lists write every
word in lowercase, names too ("clémence", "ángela"), and the German one capitalises every noun, so they are not
read. Each list is read once (0.1 to 0.3 s) and kept as two sets.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from os1.companion.languages import LANGUAGES

MIN_ZIPF = 3.0
MARGIN = 2.0
UNRANKED = 10_000  # a name not ranked in a language's countries is taken to be this rare there

# Names the dataset has as common given names that read as a rude or mocking word in a language, though not a
# frequent one. Short on purpose: only names whose other meaning is widely known to speakers.
UNFORTUNATE = {
    "en": {
        "Dick",  # slang for a penis, and an insult
        "Fanny",  # British slang for the vulva
        "Randy",  # British and Australian English for sexually eager
        "Willy",  # slang for a penis
    },
    "de": {
        "Heini",  # a fool ("so ein Heini")
        "Horst",  # slang for a dull or clumsy man ("so ein Horst")
    },
    "es": {
        "Concha",  # vulgar for the vulva in Argentina, Uruguay and Chile
    },
}

WORD_LISTS = Path("/usr/share/dict")
# The system's word lists that write names capitalised, by their Debian names (apt-get install wamerican ...).
LISTS = {
    "en": ("american-english", "british-english", "words"),
    "it": ("italian",),
    "pt": ("portuguese", "brazilian"),
    "nl": ("dutch",),
    "sv": ("swedish",),
}
FAMILIAR = 300  # a name this high in its language's countries is heard as a name first, though also a word

# Names of other voice assistants, in every language: a companion called Alexa sounds like someone else's product.
ASSISTANTS = frozenset({"Alexa", "Siri", "Cortana", "Bixby", "Jarvis"})


def expected_zipf(rank: int | None) -> float:
    """How frequent, as a word of text, a name of this rank in a language's countries typically is."""
    return 5.1 - 0.9 * math.log10(rank or UNRANKED)


def everyday_word(name: str, language: str, rank: int | None) -> bool:
    """Whether ``name`` is an everyday word of ``language``, where it has ``rank`` (None: not ranked)."""
    from wordfreq import zipf_frequency

    zipf = zipf_frequency(name.lower(), language)
    return zipf >= MIN_ZIPF and zipf - expected_zipf(rank) >= MARGIN


@cache
def read_list(path: Path) -> tuple[frozenset[str], frozenset[str]]:
    """The words a word list writes in lowercase, and those it writes capitalised (lowercased); none when the
    system has no such list."""
    try:
        listed = path.read_text(encoding="utf-8", errors="replace").split()
    except OSError:
        return frozenset(), frozenset()
    return frozenset(w for w in listed if w.islower()), frozenset(w.lower() for w in listed if w.istitle())


def listed_word(name: str, language: str, lists: Path = WORD_LISTS) -> bool:
    """Whether the system's word lists of ``language`` (in the folder ``lists``) have ``name`` as a lowercase word
    that neither they nor the English lists write capitalised, as a name."""
    spelling = name.lower()
    if not any(spelling in read_list(lists / listed)[0] for listed in LISTS.get(language, ())):
        return False
    return not any(spelling in read_list(lists / listed)[1] for listed in {*LISTS[language], *LISTS["en"]})


def unsayable(name: str, ranks: Mapping[str, int], languages: Iterable[str], lists: Path = WORD_LISTS) -> str | None:
    """The first of ``languages`` in which ``name`` is an everyday word or an unfortunate one, or None. A language
    os1 has no countries for is not checked (its names and words are not known here)."""
    for language in languages:
        if language not in LANGUAGES:
            continue
        if name in ASSISTANTS or name in UNFORTUNATE.get(language, ()):
            return language
        rank = min((ranks[c] for c in LANGUAGES[language].countries if c in ranks), default=None)
        if everyday_word(name, language, rank) or (
            (rank is None or rank > FAMILIAR) and listed_word(name, language, lists)
        ):
            return language
    return None


def warm(languages: Iterable[str]) -> None:
    """Read the word lists of ``languages`` now (about 0.1 to 0.2 s each), so the naming does not wait for them."""
    from wordfreq import zipf_frequency

    for language in languages:
        if language in LANGUAGES:
            zipf_frequency("a", language)
            for listed in {*LISTS.get(language, ()), *LISTS["en"]}:
                read_list(WORD_LISTS / listed)
