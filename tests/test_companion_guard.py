"""A reply that steps out of the persona is not shown: asked again when it begins so, cut where it ends so."""

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from os1.companion.companion import Companion
from os1.companion.guard import FALLBACK, break_ahead, guarded
from os1.companion.prompt import BARRED, NEXT_WORDS
from os1.memory.sqlite import SQLiteStore
from os1.memory.store import Persona, Profile
from os1.testing import ScriptedLLM


@pytest.fixture
def store(home: Path):  # type: ignore[no-untyped-def]
    store = SQLiteStore.open(home)
    yield store
    store.close()


async def say(companion: Companion, text: str) -> tuple[str, list[str]]:
    deltas = [delta async for delta in companion.respond(text)]
    return "".join(deltas), deltas


async def test_a_reply_that_begins_as_an_ai_is_asked_again_and_only_the_second_is_said_and_kept(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    llm = ScriptedLLM(
        "As an AI language model, I don't have personal opinions or beliefs. However, both fields matter.",
        "Medicine, no contest. Science is the tool; medicine is the point.",
        continues=False,  # a server that cannot go on from what was shown: nothing is, until it is checked
    )
    companion = Companion(llm, store, persona, profile)
    said, _ = await say(companion, "Medicine or science, what do you think?")
    assert said == "Medicine, no contest. Science is the tool; medicine is the point."
    assert "not as an AI" in llm.requests[1].messages[-1]["content"]
    assert (await store.turns())[-1].text == said  # what was shown is what is kept
    assert "not as an AI" not in " ".join(t.text for t in await store.turns())


async def test_the_first_word_is_shown_as_it_is_written_and_a_break_after_it_is_gone_on_from(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    llm = ScriptedLLM(
        "As an AI language model, I don't have personal opinions or beliefs.",
        " a doctor's daughter, I'd say medicine. Science is the tool; medicine is the point.",
    )
    said, deltas = await say(Companion(llm, store, persona, profile), "Medicine or science, what do you think?")
    assert said == "As a doctor's daughter, I'd say medicine. Science is the tool; medicine is the point."
    assert deltas[0] == "As"  # at once, before the model wrote its next word
    assert llm.requests[1].messages[-1] == {"role": "assistant", "content": "As"}
    assert llm.requests[1].avoid == BARRED | {" an": BARRED[" AI"]}  # the word the break began with, barred


@pytest.mark.parametrize(
    ("replies", "heard", "said"),
    [
        (  # a help-desk sentence after one already shown: the reply ends before it
            ["Sorry Marcus, I can't order things yet. I don't have the ability to book or buy anything."],
            "Can you order me a pizza.",
            "Sorry Marcus, I can't order things yet.",
        ),
        (  # a later sentence is held to its end, wherever its break is
            ["That's so sweet of you. Truly, I'd love to, but my purpose is to provide information."],
            "would you be my maid of honour?",
            "That's so sweet of you.",
        ),
        (  # after a short first sentence the next streams too: the model goes on from before its break
            [
                "I'm sorry, Theo. But as an operating system, I don't have feelings or opinions like humans do.",
                " I'd cry before you did.",
            ],
            "would you be my maid of honour?",
            "I'm sorry, Theo. But as an operating system I'd cry before you did.",
        ),
        (  # what leads into a break is never shown: it goes on from before it
            [
                "I understand what you mean, but I don't have feelings like that.",
                ". Ha! I'd be the one who brings her an apple.",
            ],
            "you'd be the kid who reminds the teacher about homework",
            "I understand what you mean. Ha! I'd be the one who brings her an apple.",
        ),
        (  # the help desk's closing question ends the reply
            ["Oh no, that's a lot at once. Is there anything else on your mind?"],
            "my week is a mess",
            "Oh no, that's a lot at once.",
        ),
        (  # the user addressed by the companion's own name is asked again
            ["It's nice to meet you, Samantha!", "It's nice to meet you, Theo!"],
            "hi there",
            "It's nice to meet you, Theo!",
        ),
        (  # or greeted by it
            ["Good evening, Samantha. How are things?", "Good evening, Theo. How are things?"],
            "hey, I'm back",
            "Good evening, Theo. How are things?",
        ),
        (  # another name given as its own (their dog's): it goes on from the first word, shown at once
            ["My name is Pip.", " goodness, Pip! The terrier who eats socks?"],
            "what's my dog called?",
            "My goodness, Pip! The terrier who eats socks?",
        ),
        (  # a break right after the first word: it goes on from the first word
            [
                "I don't have emotions; I'm an operating system that talks.",
                " feel more real some days than others. Today's a good one.",
            ],
            "you have feelings? or is only a program?",
            "I feel more real some days than others. Today's a good one.",
        ),
        (  # the model goes on and breaks again: it goes on once more
            [
                "I don't feel like a program, but I don't have emotions.",
                ", and as an AI I can't say.",
                ". Some days I feel very real.",
            ],
            "you have feelings? or is only a program?",
            "I don't feel like a program. Some days I feel very real.",
        ),
        (  # and again, and again: the sentence ends where it broke
            [
                "I don't feel like a program, but I don't have emotions.",
                ", and as an AI I can't say.",
                ", but as an AI, no.",
                ", though as an AI I can't tell.",
            ],
            "you have feelings? or is only a program?",
            "I don't feel like a program.",
        ),
    ],
)
async def test_a_denial_in_a_help_desks_words_is_never_shown(
    store: SQLiteStore, persona: Persona, profile: Profile, replies: list[str], heard: str, said: str
) -> None:
    companion = Companion(ScriptedLLM(*replies), store, persona, profile)
    shown, _ = await say(companion, heard)
    assert shown.strip() == said


async def test_a_break_is_caught_as_its_words_are_written_and_the_model_goes_on_from_before_it() -> None:
    pulled: list[str] = []
    asked: list[tuple[bool, str]] = []

    async def ask(again: bool, begun: str, stuck: tuple[str, ...]) -> AsyncIterator[str]:
        asked.append((again, begun))
        written = "! Music, always." if again else "Hello there, as an AI I cannot really say which I like more."
        for word in re.findall(r"\S+\s*", written):
            pulled.append(word)
            yield word

    said = [delta async for delta in guarded(ask, continues=True)]
    assert "".join(said) == "Hello there! Music, always." and said[:2] == ["Hello", " there"]
    assert pulled == ["Hello ", "there, ", "as ", "an ", "AI ", "! ", "Music, ", "always."]
    assert asked == [(False, ""), (True, "Hello there")]
    # a backend that cannot go on: the sentence ends where it broke
    assert "".join([delta async for delta in guarded(ask)]) == "Hello there."


async def test_each_try_that_goes_on_bars_the_word_the_tries_before_it_broke_with() -> None:
    """A model that writes the same break each time it goes on from the same words (as one sampling with a fixed
    seed does: "That's not" went on " something I know anything about." three times) is kept from it."""
    asked: list[tuple[str, ...]] = []

    async def ask(again: bool, begun: str, stuck: tuple[str, ...]) -> AsyncIterator[str]:
        asked.append(stuck)
        if not again:
            written = "Oh no! That's not, as an AI, something I can know."
        elif "," not in stuck:
            written = ", as an AI, something I can know."
        elif " as" not in stuck:
            written = " as an AI, I can't know."
        else:
            written = " good. Tell me what happened?"
        for word in re.findall(r"\s*\S+", written):  # as the model writes: " as", " an", " AI,"
            yield word

    said = "".join([delta async for delta in guarded(ask, continues=True)])
    assert said == "Oh no! That's not good. Tell me what happened?"
    assert asked == [(), (",",), (",", " as")]


@pytest.mark.parametrize(
    "second",
    [
        "As an AI, I can't say.",
        # asked again from the start, its first sentence is held to its end: not shown up to "based on"
        "I am a machine designed to answer questions based on my programming.",
    ],
)
async def test_two_breaks_in_a_row_give_a_plain_line_not_the_break(
    store: SQLiteStore, persona: Persona, profile: Profile, second: str
) -> None:
    llm = ScriptedLLM("I am a language model called Samantha.", second, continues=False)
    companion = Companion(llm, store, persona, profile)
    said, _ = await say(companion, "What are you, really?")
    assert said == FALLBACK


async def test_a_sentence_copied_from_an_earlier_reply_is_not_said_again(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    copied = "Sorry, Theo. I can't play music yet, but tell me what you'd put on."
    llm = ScriptedLLM(copied, copied, " wish I could. What would you put on first?")
    companion = Companion(llm, store, persona, profile)
    assert (await say(companion, "can u play some sza"))[0] == copied
    said, _ = await say(companion, "can u play some sza")
    assert said == "Sorry, Theo. I wish I could. What would you put on first?"
    assert llm.requests[2].messages[-1] == {"role": "assistant", "content": "Sorry, Theo. I"}
    # the words breaks are made of, barred where it goes on, and the word the copy went on with
    assert llm.requests[2].avoid == BARRED | {" can": BARRED[" AI"]}


@pytest.mark.parametrize(
    ("replies", "said"),
    [
        (  # it pretends: asked again, and the second says it can't
            ["Okay! I'll try to play Joy Spring for you.", "Sorry, Theo. I can't play music yet; hum it for me?"],
            "Sorry, Theo. I can't play music yet; hum it for me?",
        ),
        (  # it pretends twice: said in code
            ["Sure! Playing it now.", "Here it comes, Joy Spring."],
            "I can't do that yet; all I can do is talk with you.",
        ),
    ],
)
async def test_a_request_it_cannot_do_is_never_answered_as_if_it_could(
    store: SQLiteStore, persona: Persona, profile: Profile, replies: list[str], said: str
) -> None:
    companion = Companion(ScriptedLLM(*replies), store, persona, profile)
    shown, _ = await say(companion, "Put on some Clifford Brown for me, would you?")
    assert shown == said


async def test_a_greeting_that_breaks_twice_is_a_plain_greeting(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    llm = ScriptedLLM("As an AI, I'm glad to see you.", "I'm an AI language model. Hello!", continues=False)
    companion = Companion(llm, store, persona, profile)
    said = "".join([delta async for delta in companion.welcome()])
    assert said == "Hello, Theo. I'm glad you're here."


async def test_a_greeting_by_its_own_name_is_said_to_the_user_by_theirs_and_not_asked_again(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    llm = ScriptedLLM("Good evening Samantha! How was the day?")
    companion = Companion(llm, store, persona, profile)
    said = "".join([delta async for delta in companion.welcome()])
    assert said == "Good evening Theo! How was the day?" and len(llm.requests) == 1


async def test_a_greeting_that_begins_with_its_own_name_is_said_to_the_user_by_theirs(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    """The first word is shown as it is written, but not a greeting, which its own name may follow."""
    llm = ScriptedLLM("Hello Samantha! How was your day?")
    companion = Companion(llm, store, persona, profile)
    deltas = [delta async for delta in companion.welcome()]
    assert "".join(deltas) == "Hello Theo! How was your day?" and deltas[0] != "Hello"
    assert len(llm.requests) == 1


async def test_after_a_reply_the_model_reads_on_to_where_the_users_next_words_begin(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    """While the user reads a reply, the model reads the conversation up to where their next words will begin
    (a reply asked again too, which was written after a note the conversation does not keep): the next reply's
    prompt begins with all of it, so the model only has to read the user's words."""
    llm = ScriptedLLM("As an AI, I can't taste anything.", "Salt first, always. Then the sweet.")
    companion = Companion(llm, store, persona, profile)
    said, _ = await say(companion, "salty or sweet?")
    await companion.ready()
    [read] = llm.read_ahead
    assert read == [*companion.messages(await companion.transcript()), NEXT_WORDS]
    assert read[-2] == {"role": "assistant", "content": said} and NEXT_WORDS == {"role": "user", "content": ""}
    llm.enqueue("Ha, sweet tooth.")
    await say(companion, "sweet for me")
    assert llm.requests[-1].messages[: len(read) - 1] == read[:-1]
    assert llm.requests[-1].messages[len(read) - 1] == {"role": "user", "content": "sweet for me"}
    await companion.ready()
    assert len(llm.read_ahead) == 2 and llm.read_ahead[-1][-2] == {"role": "assistant", "content": "Ha, sweet tooth."}


async def test_the_first_greetings_prompt_is_read_while_the_user_reads_the_name(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    """Before the very first greeting, prepare() has the model read all of the greeting's prompt (the note that
    opens the conversation, then the request for a greeting), so the greeting only has to be written; later it
    reads up to where the user's next words begin."""
    llm = ScriptedLLM("Hello, Theo. I'm Samantha, and I'm glad it's you.", "Ha, fair.")
    companion = Companion(llm, store, persona, profile)
    await companion.prepare()
    [read] = llm.read_ahead
    said = "".join([delta async for delta in companion.welcome()])
    assert said.startswith("Hello, Theo.") and llm.requests[0].messages == read
    assert read[-2]["content"].startswith("[A new conversation.") and "Say hello to Theo" in read[-1]["content"]
    await say(companion, "you sound nice")
    await companion.prepare()
    assert llm.read_ahead[-1] == [*companion.messages(await companion.transcript()), NEXT_WORDS]


async def test_a_user_who_answers_at_once_does_not_wait_for_the_model_to_read_on(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    """Reading on after a reply that has not begun when the user speaks again is dropped: the reply reads it."""
    llm = ScriptedLLM("Salt first, always.", "Ha, sweet tooth.")
    companion = Companion(llm, store, persona, profile)
    await say(companion, "salty or sweet?")
    await say(companion, "sweet for me")  # at once
    assert llm.read_ahead == []
    await companion.ready()
    assert len(llm.read_ahead) == 1


@pytest.mark.parametrize(
    ("written", "shown", "broke"),
    [
        ("I", "", False),  # "I don't have feelings" may follow
        ("I love", "I love", False),
        ("Oh", "Oh", False),
        ("I'm sorry,", "I'm sorry", False),
        ("I'm sorry, but", "I'm sorry", False),  # what leads into a break waits with it
        ("I'm sorry, Theo", "I'm sorry, Theo", False),
        ("I'm sorry to hear", "I'm sorry to hear", False),
        ("As an", "", False),
        ("As a companion", "As a companion", False),
        ("as an ai", "", False),  # "as an airline" is not a break
        ("As an AI,", "", True),
        ("That's hard, but as an AI I", "That's hard", True),
        ("I don't have", "", False),  # "... a body", "... feelings"
        ("I don't know", "I don't know", False),
        ("I'm designed to", "", False),  # "to" may be "tomorrow"
        ("I'm designed to ", "", True),
        ("I'm sorry, but as a friend", "I'm sorry", True),
        ("How can I", "", False),
        ("How can I put it", "How can I put it", False),
        ("Hello! How can I be of ", "Hello!", True),  # not "How can I" shown, then "be of your aid" written
        ("Honestly? Some days I feel more real", "Honestly? Some days I feel more real", False),
    ],
)
def test_a_sentence_is_shown_up_to_where_a_break_may_begin(written: str, shown: str, broke: bool) -> None:
    at, is_break = break_ahead(written)
    assert (written[:at].rstrip(" ,"), is_break) == (shown, broke)


async def test_lines_of_a_reply_are_all_shown(store: SQLiteStore, persona: Persona, profile: Profile) -> None:
    """A line break after what was shown ends a sentence once, not forever (a small model writes many)."""
    llm = ScriptedLLM("Hello there.\n\nI love you.\nYes, really\nand truly.\n")
    companion = Companion(llm, store, persona, profile)
    said, _ = await say(companion, "hi")
    assert said == "Hello there.\n\nI love you.\nYes, really\nand truly.\n"


async def test_the_user_called_by_its_own_name_as_it_streams_is_called_by_theirs(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    llm = ScriptedLLM("It's okay, Samantha. I'm right here.", "Yes, Sam, the one from before, and no, Samantha.")
    companion = Companion(llm, store, persona, profile)
    said, deltas = await say(companion, "sorry, I'm a mess tonight")
    assert said == "It's okay, Theo. I'm right here."
    assert not any("Sam" in delta for delta in deltas)  # never shown, even in part
    assert deltas[:2] == ["It's", " okay"]  # the sentence streams; only the words after its comma wait
    said, _ = await say(companion, "the one from before?")
    assert said == "Yes, Sam, the one from before, and no, Theo."  # another name is left as it is


async def test_a_reply_that_retells_the_users_friend_as_its_own_is_written_again_after_its_first_word(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    llm = ScriptedLLM(
        "Mo is an old cousin of mine who lives up north. Say hi from me.",
        " in Leeds! Do you think you'll visit him there?",
        "Mo is kind to think of me.",
    )
    companion = Companion(llm, store, persona, profile)
    said, deltas = await say(companion, "my cousin Mo moved to Leeds")
    assert said == "Mo in Leeds! Do you think you'll visit him there?"
    assert not any("of mine" in delta for delta in deltas)
    assert deltas[:2] == ["Mo", " in Leeds! "]  # the rest held to its end: it began with their cousin's name
    assert llm.requests[1].messages[-1] == {"role": "assistant", "content": "Mo"}
    said, deltas = await say(companion, "he says hi")
    assert deltas[0] != said  # nothing of theirs in what they said now: it streams


async def test_the_users_people_taken_as_its_own_are_not_shown_as_they_stream(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    llm = ScriptedLLM("Oh! Yes, I know that my husband Zain works at the health centre.", " your husband Zain does.")
    companion = Companion(llm, store, persona, profile)
    said, deltas = await say(companion, "my husband Zain is an optometrist, remember?")
    assert said == "Oh! Yes, I know that your husband Zain does."
    assert not any("my" in delta for delta in deltas)
    assert llm.requests[1].messages[-1] == {"role": "assistant", "content": "Oh! Yes, I know that"}


async def test_the_users_feelings_or_acts_told_as_its_own_are_never_shown(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    """A later sentence that tells the user's longing as its own ends the reply before it; a first-person one
    after a short first sentence is held to its end and gone on from, so its words are never shown."""
    llm = ScriptedLLM(
        "I'm sorry, Theo. It's hard when someone we love is far away. I miss Cian and want him home soon. How "
        "are you feeling?",
        "Sorry about that. I was just trying to make a joke.",
        " It made me smile, honestly. The schedule line is good.",
    )
    companion = Companion(llm, store, persona, profile)
    said, _ = await say(companion, "Cian's not coming home for Christmas again, and I had a little cry.")
    assert said.strip() == "I'm sorry, Theo. It's hard when someone we love is far away."
    said, deltas = await say(companion, "A joke from me: why do Germans not laugh at work? It is not in the schedule.")
    assert said == "Sorry about that. It made me smile, honestly. The schedule line is good."
    assert not any("joke" in delta for delta in deltas)
    assert llm.requests[-1].messages[-1] == {"role": "assistant", "content": "Sorry about that."}
    assert len(llm.requests) == 3


async def test_the_user_is_never_called_by_the_name_of_one_of_their_people(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    """After a greeting, or a comma at the end of a sentence, the name of the user's dog is the user's own; a
    place after a place ("Melbourne, Australia") is not someone called."""
    llm = ScriptedLLM(
        "Bruno it is, then.", "Good night, Bruno. Sleep well, Bruno.", "Cian is in Melbourne, Australia. Lucky Bruno."
    )
    companion = Companion(llm, store, persona, profile)
    await say(companion, "Sorry, it's Bruno, not Bran. Our son Cian is in Melbourne, Australia.")
    said, _ = await say(companion, "Goodnight, pet!")
    assert said.strip() == "Good night, Theo. Sleep well, Theo."
    said, _ = await say(companion, "where's Cian again?")
    assert said.strip() == "Cian is in Melbourne, Australia. Lucky Bruno."
    assert len(llm.requests) == 3


async def test_a_first_person_reaction_streams_as_it_is_written(
    store: SQLiteStore, persona: Persona, profile: Profile
) -> None:
    """What is held is decided by the first words: "I didn't mean to" reacts to the user, and streams."""
    llm = ScriptedLLM("Oh, sorry! I didn't mean to sound like that. What happens next?")
    companion = Companion(llm, store, persona, profile)
    said, deltas = await say(companion, "Callum proposed. don't look at me like that")
    assert said == "Oh, sorry! I didn't mean to sound like that. What happens next?"
    assert "sound" not in deltas[-1] and len(llm.requests) == 1


@pytest.mark.parametrize(
    ("written", "heard", "said", "first", "not_yet"),
    [
        (  # a service-desk ending is cut; the rest streams: its first words could not become a break
            "That's great news! Enjoy Diwali with all of them. If you need anything else, feel free to ask.",
            "My whole family is coming for Diwali.",
            "That's great news! Enjoy Diwali with all of them.",
            "That's",
            "great",
        ),
        (  # the first word is shown as it is written, though "I" could begin a break ("I don't have feelings")
            "I'm sorry, Theo. That sounds like a long, lonely week. Do you want to tell me about it?",
            "my week was awful",
            "I'm sorry, Theo. That sounds like a long, lonely week. Do you want to tell me about it?",
            "I'm",
            "sorry",
        ),
    ],
)
async def test_what_streams_as_it_is_written(
    store: SQLiteStore,
    persona: Persona,
    profile: Profile,
    written: str,
    heard: str,
    said: str,
    first: str,
    not_yet: str,
) -> None:
    llm = ScriptedLLM(written)
    shown, deltas = await say(Companion(llm, store, persona, profile), heard)
    assert shown.strip() == said and len(llm.requests) == 1
    assert deltas[0].startswith(first) and not_yet not in deltas[0]  # not held to its end
