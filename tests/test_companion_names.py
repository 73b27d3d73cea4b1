"""Narrowing the given names: where the user lives, their language, everyday and unfortunate words (the real
names-dataset and the real wordfreq word lists)."""

import os
import random
import time
from pathlib import Path
from typing import Any

import pytest

from os1.companion.languages import (
    UNKNOWN,
    Locale,
    from_accept_language,
    from_environment,
    place_for,
    written_in,
)
from os1.companion.names import GivenName, read_aside, read_dataset, read_once, shortlist
from os1.companion.words import unsayable

FRENCH = {
    "name": "Appelle-moi Camille",
    "social": "Plutôt sociable, mais je suis vite fatiguée par les gens",
    "mother": "C'est compliqué. Elle est drôle mais elle ne m'écoute pas",
    "days": "Je travaille dans une librairie et je lis beaucoup",
    "want": "Quelqu'un qui me comprend, avec qui parler le soir",
    "voice": "Une femme, je pense",
}
ENGLISH = {
    "name": "call me Theo",
    "social": "social I guess, but people tire me out",
    "mother": "complicated. Linda is funny but she never listens",
    "days": "I write letters for other people",
    "want": "someone who actually gets me",
    "voice": "a woman, I think",
}


@pytest.fixture(scope="module")
def dataset() -> tuple[int, list[GivenName]]:
    return read_dataset()


def test_the_dataset_read_aside_in_a_process_of_its_own_is_the_one_read_here(
    dataset: tuple[int, list[GivenName]],
) -> None:
    """The reader runs at the lowest priority in this session (a session of its own is scheduled apart, where its
    priority counts for nothing against the model), in a process group of its own (Ctrl-C does not reach it)."""
    reading = read_aside()
    reader = None
    while reader is None and not reading.done():
        reader = next((pid for pid in _children() if b"os1.companion.names" in _cmdline(pid)), None)
        time.sleep(0.01)
    assert reader is not None
    while _nice(reader) != 19 and not reading.done():
        time.sleep(0.01)
    assert (os.getsid(reader), _nice(reader)) == (os.getsid(0), 19)
    assert os.getpgid(reader) == reader != os.getpgid(0)
    assert reading.result(timeout=300) == dataset


def test_the_dataset_is_read_once_in_a_process() -> None:
    """Every interview shares one reading: a server where many begin at once starts one ~1 GB reader."""
    assert read_once() is read_once()


def _children() -> list[int]:
    """This process's children (of any of its threads), from /proc."""
    children = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            if f"\nPPid:\t{os.getpid()}\n" in status.read_text():
                children.append(int(status.parent.name))
        except (FileNotFoundError, ProcessLookupError):
            pass  # ended meanwhile
    return children


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return b""


def _nice(pid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, pid)


@pytest.fixture(scope="module")
def by_name(dataset: tuple[int, list[GivenName]]) -> dict[str, GivenName]:
    return {n.name: n for n in dataset[1]}


NO_LISTS = Path(__file__).parent / "no word lists here"  # wordfreq alone, whatever lists this machine has


def refused_in(by_name: dict[str, GivenName], language: str, *names: str) -> list[str]:
    return [name for name in names if unsayable(name, by_name[name].ranks, [language], NO_LISTS) == language]


def test_a_name_the_word_lists_write_only_in_lowercase_is_a_word_unless_it_is_familiar(
    by_name: dict[str, GivenName], tmp_path: Path
) -> None:
    """The system's word lists, where it has them: "ariana" (Aryan, or born under Aries) and "balde" (a bucket)
    are words to a speaker of Portuguese; "Vitória" is listed capitalised too, and Bruna is too familiar a name
    to be heard as the word first."""
    (tmp_path / "brazilian").write_text("ariana\nbalde\nbruna\nvitória\nVitória\ncasa\n")
    (tmp_path / "american-english").write_text("Mark\nmark\nharsh\nAriel\n")
    names = ("Ariana", "Balde", "Bruna", "Vitória")
    listed = [n for n in names if unsayable(n, by_name[n].ranks, ["pt"], tmp_path)]
    alone = [n for n in names if unsayable(n, by_name[n].ranks, ["pt"], NO_LISTS)]
    assert [n for n in listed if n not in alone] == ["Ariana", "Balde"]  # Vitória: a frequent word, by wordfreq
    assert unsayable("Harsh", by_name["Harsh"].ranks, ["en"], tmp_path) == "en"
    assert unsayable("Ariana", by_name["Ariana"].ranks, ["pt"], NO_LISTS) is None  # wordfreq alone lets it by


def test_lame_and_other_everyday_words_are_refused_in_english_and_names_are_kept(
    by_name: dict[str, GivenName],
) -> None:
    words = ("Lame", "Will", "May", "Hope", "Summer", "Faith")
    assert refused_in(by_name, "en", *words) == list(words)
    names = ("John", "Michael", "Grace", "Rose", "Joy", "Mark", "Lily")  # frequent in text as names, not words
    assert refused_in(by_name, "en", *names) == []


def test_everyday_words_are_refused_in_german_and_french_for_those_languages(by_name: dict[str, GivenName]) -> None:
    assert refused_in(by_name, "de", "Juli", "Lasse", "Will", "Hans", "Uwe", "Max") == ["Juli", "Lasse", "Will"]
    assert refused_in(by_name, "fr", "Petit", "Victoire", "Blanche", "Jean", "François", "Claire") == [
        "Petit", "Victoire", "Blanche",
    ]  # fmt: skip
    assert refused_in(by_name, "en", "Juli", "Lasse", "Petit", "Victoire") == []  # not words of English


def test_unfortunate_names_are_refused_in_their_language(by_name: dict[str, GivenName]) -> None:
    assert refused_in(by_name, "en", "Fanny", "Randy") == ["Fanny", "Randy"]  # not frequent words, but unfortunate
    assert refused_in(by_name, "fr", "Fanny") == []  # an ordinary name in French
    assert unsayable("Fanny", by_name["Fanny"].ranks, ["fr", "en"]) == "en"  # most users read English too
    assert unsayable("Fanny", by_name["Fanny"].ranks, ["sv"]) is None  # a language os1 has no lists for


def test_the_names_of_other_assistants_are_refused_everywhere(by_name: dict[str, GivenName]) -> None:
    assert refused_in(by_name, "en", "Alexa", "Alexis", "Alex") == ["Alexa"]
    assert refused_in(by_name, "de", "Alexa") == ["Alexa"]


def test_the_locale_comes_from_the_environment_or_the_browser() -> None:
    assert from_environment({"LANG": "de_DE.UTF-8"}) == Locale("de", "DE")
    assert from_environment({"LANG": "de_DE.UTF-8", "LC_MESSAGES": "fr_CH", "LC_ALL": ""}) == Locale("fr", "CH")
    assert from_environment({"LANG": "en_GB.UTF-8", "LC_ALL": "pt_BR.UTF-8"}) == Locale("pt", "BR")
    assert from_environment({"LANG": "C.UTF-8"}) == UNKNOWN == from_environment({})
    assert from_environment({"LANG": "nl_NL@euro"}) == Locale("nl", "NL")
    assert from_accept_language("fr-CA,fr;q=0.9,en;q=0.8") == Locale("fr", "CA")
    assert from_accept_language("en;q=0.5, de-AT") == Locale("de", "AT")
    assert from_accept_language("it") == Locale("it", None)
    assert from_accept_language("*") == UNKNOWN == from_accept_language(None) == from_accept_language("q=;;,")


def test_answers_written_in_french_are_detected_and_a_few_words_decide_nothing() -> None:
    assert written_in(FRENCH.values()) == "fr"
    assert written_in(ENGLISH.values()) == "en"
    assert written_in(["Ich bin Lehrerin und lese gerne, aber meine Mutter ist schwierig"]) == "de"
    assert written_in(["Theo", "yes", "a woman"]) is None  # too few words to tell
    assert written_in(["je suis the one and the only, c'est moi"]) is None  # a mix: neither is clearly ahead


def test_the_place_is_the_locale_unless_the_answers_are_clearly_in_another_language() -> None:
    german = place_for(Locale("de", "DE"), ENGLISH.values())  # English answers keep the locale
    assert german.language == "de"
    assert german.tiers == (("given in Germany", ("DE",)), ("given where German is spoken", ("DE", "AT", "CH")))
    french = place_for(Locale("en", "US"), FRENCH.values())
    assert french.language == "fr"
    assert french.tiers == (
        ("given where French is spoken (your answers are in French)", ("FR", "BE", "CH", "CA", "LU")),
    )
    swiss = place_for(Locale("de", "CH"), FRENCH.values())  # French is spoken in Switzerland: it stays the country
    assert swiss.tiers[0] == ("given in Switzerland (your answers are in French)", ("CH",))
    assert place_for(UNKNOWN, ENGLISH.values()).tiers == place_for(UNKNOWN, []).tiers == ()


def all_kept(dataset: tuple[int, list[GivenName]], **options: Any) -> tuple[list[str], list[tuple[str, int]]]:
    """Every name the narrowing keeps (no cut to the best-sounding, no sample), and its steps."""
    short = shortlist(*dataset, traits=["warm"], avoid=[], keep=10**6, offer=10**6, **options)
    return list(short.names), list(short.steps)


def test_a_locale_narrows_to_names_given_in_that_country(
    dataset: tuple[int, list[GivenName]], by_name: dict[str, GivenName]
) -> None:
    names, steps = all_kept(dataset, voice="feminine", place=place_for(Locale("de", "DE"), []))
    assert all(by_name[name].ranks.get("DE", 10**6) <= 1000 for name in names)
    assert ("given in Germany", steps[2][1]) == steps[2] and 300 < steps[2][1] < 1000
    assert steps[4][0] == "that are not everyday or unfortunate words in German or English"
    assert "Juli" in {n.name for n in dataset[1] if n.ranks.get("DE", 10**6) <= 1000} and "Juli" not in names

    short = shortlist(*dataset, voice="feminine", traits=["warm"], avoid=[], place=place_for(Locale("de", "DE"), []),
                      rng=random.Random(5))  # fmt: skip
    assert len(short.names) == 30 and all(by_name[name].ranks.get("DE", 10**6) <= 1000 for name in short.names)


def test_too_few_names_in_a_place_widen_it_and_say_so(dataset: tuple[int, list[GivenName]]) -> None:
    _, steps = all_kept(dataset, voice="neutral", place=place_for(Locale("de", "CH"), []))
    assert steps[2][0] == "given where German is spoken"  # few names in Switzerland alone are neutral
    _, steps = all_kept(dataset, voice="neutral", place=place_for(Locale("it", "IT"), []))
    assert steps[2][0] == "given anywhere (too few of the voice you asked for are given where Italian is spoken)"
    assert steps[2][1] == steps[1][1]  # every name common somewhere
    counts = [count for _, count in steps]
    assert counts == sorted(counts, reverse=True)


def test_lame_is_never_offered_to_an_english_speaker(
    dataset: tuple[int, list[GivenName]], by_name: dict[str, GivenName]
) -> None:
    assert 0.25 <= by_name["Lame"].female_share <= 0.75  # a neutral name, common in Botswana
    for place in (place_for(Locale("en", "US"), []), place_for(UNKNOWN, [])):
        names, _ = all_kept(dataset, voice="neutral", place=place)
        assert names and "Lame" not in names


def test_names_turned_down_are_never_offered_again(dataset: tuple[int, list[GivenName]]) -> None:
    names, _ = all_kept(dataset, voice="masculine", place=place_for(Locale("en", "GB"), []))
    refused = names[:5]
    again, steps = all_kept(dataset, voice="masculine", place=place_for(Locale("en", "GB"), []), refused=refused)
    assert set(again) == set(names) - set(refused)
    assert steps[5][0] == "that are nobody's name in your answers, nor like yours, nor turned down"


def test_a_name_that_sounds_like_a_nickname_of_the_users_is_not_offered(dataset: tuple[int, list[GivenName]]) -> None:
    place = place_for(Locale("en", "GB"), [])
    names, _ = all_kept(dataset, voice="neutral", place=place)
    assert "Pat" in names
    kept, _ = all_kept(dataset, voice="neutral", place=place, user="Dr. Patel")
    assert set(names) - set(kept) == {name for name in names if name.lower() in {"pat", "patel"}}
    assert "Pat" not in kept and len(kept) == len(names) - 1
