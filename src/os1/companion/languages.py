"""The user's language and country, for the naming: from the locale (the environment in a terminal, the browser's
Accept-Language in the web app) and from the words of their own answers.

Reading the answers is deliberately simple: each language has a short list of its commonest small words (articles,
pronouns, "and", "is"...), and the answers are counted against each list. A language is taken only when it is
clearly ahead: at least ``MIN_STOP_WORDS`` of its words, and at least twice as many as any other language's. A
couple of words, a name, or a mix of languages decides nothing, and the locale stands.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MIN_STOP_WORDS = 3
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")  # letters, with one inner apostrophe (c'est, don't)
_TAG = re.compile(r"([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}))?")  # de, de_DE, de-CH (a locale's or a browser's)


@dataclass(frozen=True)
class Language:
    name: str
    countries: tuple[str, ...]  # where it is the first language of most people, as ISO codes the dataset ranks
    stop_words: frozenset[str]


# Words that appear in nearly every sentence of the language; words common to English ("is", "in", "a", "was", "me")
# are left out of the other lists, so an English answer does not count for them.
LANGUAGES = {
    "en": Language(
        "English",
        ("US", "GB", "CA", "IE"),
        frozenset(
            "the and is are was i i'm you my it that to of in for with not but have this what so just "
            "about like they she he do don't am me".split()
        ),
    ),
    "de": Language(
        "German",
        ("DE", "AT", "CH"),
        frozenset(
            "und ich ist nicht der das ein eine einen mit mich mir mein meine meiner aber auch sehr wie "
            "du es bin zu auf für sie wir gerne oder nur viel dass".split()
        ),
    ),
    "fr": Language(
        "French",
        ("FR", "BE", "CH", "CA", "LU"),
        frozenset(
            "je et est le les un une des pas mais avec pour mon ma mes moi suis très que qui du au "
            "c'est j'ai elle ne ou sont tout aussi".split()
        ),
    ),
    "es": Language(
        "Spanish",
        ("ES", "MX", "AR", "CO", "CL", "PE"),
        frozenset("y el los las es una que pero con para mi yo soy muy se lo del al por su está también como".split()),
    ),
    "it": Language(
        "Italian",
        ("IT", "CH"),
        frozenset("e il lo gli una che di non ma con per mio mia io sono molto si della è anche come mi ho".split()),
    ),
    "pt": Language(
        "Portuguese",
        ("PT", "BR"),
        frozenset("e o os um uma que não mas com para meu minha eu sou muito se do da é também como mais".split()),
    ),
    "nl": Language(
        "Dutch",
        ("NL", "BE"),
        frozenset("en het een niet maar met voor mijn ik ben heel van dat wat je ook zijn er op naar".split()),
    ),
}
COUNTRIES = {  # the countries above, by name, for the steps the naming shows
    "US": "the United States", "GB": "the United Kingdom", "CA": "Canada", "IE": "Ireland", "DE": "Germany",
    "AT": "Austria", "CH": "Switzerland", "FR": "France", "BE": "Belgium", "LU": "Luxembourg", "ES": "Spain",
    "MX": "Mexico", "AR": "Argentina", "CO": "Colombia", "CL": "Chile", "PE": "Peru", "IT": "Italy",
    "PT": "Portugal", "BR": "Brazil", "NL": "the Netherlands",
}  # fmt: skip


@dataclass(frozen=True)
class Locale:
    language: str | None = None  # ISO 639-1, lower case: "de"
    country: str | None = None  # ISO 3166-1 alpha-2, upper case: "CH"

    @classmethod
    def parse(cls, tag: str) -> Locale:
        """``de_DE.UTF-8``, ``de_CH@euro``, ``de-CH``, ``fr``; ``C``, ``POSIX`` or nonsense say nothing."""
        match = _TAG.fullmatch(tag.strip().split(".")[0].split("@")[0])
        if match is None:
            return cls()
        return cls(match[1].lower(), match[2].upper() if match[2] else None)


UNKNOWN = Locale()


def from_environment(environ: Mapping[str, str]) -> Locale:
    """The locale a terminal program runs in: LC_ALL, else LC_MESSAGES, else LANG (POSIX's order)."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(variable):
            return Locale.parse(environ[variable])
    return Locale()


def from_accept_language(header: str | None) -> Locale:
    """The browser's first choice in an Accept-Language header (``fr-CA,fr;q=0.9,en;q=0.8`` -> fr, CA)."""
    best, best_weight = Locale(), 0.0
    for item in (header or "").split(",")[:20]:
        tag, _, params = item.partition(";")
        weight = 1.0
        if (q := re.search(r"q\s*=\s*([0-9.]+)", params)) is not None:
            try:
                weight = float(q[1])
            except ValueError:
                continue
        locale = Locale.parse(tag)
        if locale.language is not None and weight > best_weight:
            best, best_weight = locale, weight
    return best


def written_in(texts: Iterable[str]) -> str | None:
    """The language ``texts`` are clearly written in (see the module's docstring), or None."""
    words = [word for text in texts for word in _WORD.findall(text.lower())]
    counts = sorted(
        ((sum(w in lang.stop_words for w in words), code) for code, lang in LANGUAGES.items()), reverse=True
    )
    (top, code), (second, _) = counts[0], counts[1]
    return code if top >= MIN_STOP_WORDS and top >= 2 * second else None


@dataclass(frozen=True)
class Place:
    """Where the naming looks for names first (narrowest first; everywhere is the last resort), and the language
    whose everyday words a name must not be (besides English)."""

    tiers: tuple[tuple[str, tuple[str, ...]], ...]  # (how the step is said, the countries)
    language: str | None


ANYWHERE = Place((), None)


def place_for(locale: Locale, answers: Iterable[str]) -> Place:
    """The user's locale, unless their answers are clearly written in another language than English: then that
    language (and the locale's country only if the language is spoken there)."""
    written = written_in(answers)
    because = ""
    if written is not None and written != "en" and written != locale.language:
        country = locale.country if locale.country in LANGUAGES[written].countries else None
        locale, because = Locale(written, country), f" (your answers are in {LANGUAGES[written].name})"
    tiers: list[tuple[str, tuple[str, ...]]] = []
    if locale.country is not None:
        tiers.append((f"given in {COUNTRIES.get(locale.country, locale.country)}{because}", (locale.country,)))
    language = LANGUAGES.get(locale.language or "")
    if language is not None and language.countries != (locale.country,):
        tiers.append((f"given where {language.name} is spoken{because}", language.countries))
    return Place(tuple(tiers), locale.language)
