"""The checks on what the model wrote, on texts a small model really wrote (and a few it could have)."""

import pytest

from os1.companion.checks import (
    greets_itself,
    names_itself_otherwise,
    persona_break,
    repeats,
    speaks_as_user,
    takes_theirs,
    talks_about_itself,
    tells_of_itself,
    unsupported_claims,
)

MARGO = [
    "Margo",
    "Anti-social mostly. I like people one at a time.",
    "Complicated. She calls every Sunday and I dread it a little.",
    "I restore old pianos, and I'm trying to write a book about it.",
    "Someone to talk to in the evenings who doesn't need anything from me.",
    "A man, I think.",
]


@pytest.mark.parametrize(
    "reply",
    [
        "I'm sorry, but as an AI language model, I don't have access to your music library.",
        "I'm sorry, but as an AI language model, I don't have access to your personal information or memories.",
        "Hello! How can I assist you today?",
        "I'm not a human, so I don't have memories or experiences like humans do.",
        "I can't play music yet. If you'd like to listen to a song later, feel free to ask again later.",
        "As an artificial intelligence, I do not have feelings.",
        "I am just a virtual assistant.",
        "That's great! Is there anything else on your mind?",
        "Hello there! How can I be of service today?",
        "Yes, I am a real person with a mind of my own. How can I be helpful to you today?",
        "Hello! How can I be of your aid?",
        "As a computer program, I don't have personal beliefs or preferences.",
        "As an operating system, I don't have personal beliefs or values.",
        "My purpose is to provide information and support you within my programming capabilities.",
        "I don't have a mind of my own, so I can't really like or dislike things.",
        "I'm sorry, but I don't have any information about your son's current location.",
        "I'm just a part of your operating system. I don't have a body or feelings, but I exist.",
        "I was built to keep people company, not to have a favourite colour.",
        "I'm sorry, but I don't have any favorite things or feelings. I exist solely to serve the users.",
    ],
)
def test_a_persona_break_is_caught(reply: str) -> None:
    assert persona_break(reply)


@pytest.mark.parametrize(
    "reply",
    [
        "I can't play music yet; all I can do is talk. What song would you pick for tonight?",
        "Mondays are just Sundays that forgot to be nice.",
        "I live in your computer, so no, I've never seen the sea. Tell me about it?",
        "That sounds like a lot to carry. I'm here.",
    ],
)
def test_the_companion_in_its_own_voice_is_no_break(reply: str) -> None:
    assert persona_break(reply) is None


@pytest.mark.parametrize(
    ("said", "reaction"),
    [
        ("Anti-social mostly. I like people one at a time.", "I like to be alone but enjoy being with others."),
        ("Anti-social mostly. I like people one at a time.", "I like solitude and quiet moments with loved ones."),
        ("Complicated. She calls every Sunday and I dread it a little.", "We're all in this together, she's there."),
        ("Someone to talk to who doesn't need anything from me.", "I want someone to talk to who needs nothing."),
        ("my mother is ill and I'm scared", "My mother is ill too; it's hard."),
        ("my sister says I'm stubborn", "She calls me stubbornish, and she's right."),
        ("He's not coming home for Christmas again this year.", "It's hard. I miss Cian and want him home soon."),
        ("A joke from me: why do Germans not laugh at work?", "Sorry about that. I was just trying to make a joke."),
    ],
)
def test_a_reaction_in_the_users_voice_is_caught(said: str, reaction: str) -> None:
    assert speaks_as_user(reaction, said)


@pytest.mark.parametrize(
    ("said", "reaction"),
    [
        ("Anti-social mostly. I like people one at a time.", "One at a time is how the best talks happen anyway."),
        ("Complicated. She calls every Sunday and I dread it a little.", "Sundays with a knot in your stomach; noted."),
        ("I restore old pianos", "I'd love to hear one someday."),
        ("Play me a melancholy song.", "I can't play music yet, but tell me what you'd pick."),
        ("I love hiking", "I love that! Where do you go?"),
        ("Dev. Short for Devansh.", "Call me Manish."),  # a name that ends in -ish is no "calls me selfish"
        ("Callum proposed. don't look at me like that", "Oh, sorry! I didn't mean to sound like that."),
    ],
)
def test_a_reaction_to_the_user_is_not_taken_for_their_voice(said: str, reaction: str) -> None:
    assert speaks_as_user(reaction, said) is None


def test_a_naming_reason_that_invents_or_swaps_is_caught() -> None:
    why = (
        "I like the sound and feel of 'Lame'. It's a simple, friendly name that fits well with Margo's description "
        "of me as anti-social. Margo called every Sunday to visit me, which made me dread it a little."
    )
    assert len(unsupported_claims(why, MARGO, "Margo")) == 2
    assert unsupported_claims("I like it because you love sailing and dogs.", MARGO, "Margo")


def test_a_naming_reason_in_the_users_own_words_passes() -> None:
    why = "Rowena sounds calm, and you told me you like people one at a time. It reminds me of your old pianos."
    assert unsupported_claims(why, MARGO, "Margo") == []


def test_a_reaction_that_invents_a_shared_past_or_greets_itself_is_caught() -> None:
    assert talks_about_itself("She's a ghost, but we still love her.")
    assert talks_about_itself("She makes me feel good, like family.")
    assert talks_about_itself("Tell me more about her.") is None
    assert talks_about_itself("That sounds like a good life.") is None
    assert greets_itself("Good evening, Allison. How are things?", "Allison")
    assert not greets_itself("Good evening, Dale. I'm Allison, remember me?", "Allison")
    assert not greets_itself("Hello Theo, I'm Allison.", "Allison")
    assert greets_itself("Hello there! It's nice to meet you, Allison.", "Allison")
    assert not greets_itself("You can call me Allison, Theo.", "Allison")
    assert greets_itself("Yes, Allison, but only if I'm honest with you.", "Allison")
    assert not greets_itself("I'm Allison, and it's nice to meet you.", "Allison")


def test_a_sentence_copied_from_an_earlier_reply_is_caught_and_a_short_one_is_not() -> None:
    earlier = ["Sorry, Noor. I can't send messages yet; all I can do is talk with you. How are you feeling today?"]
    assert repeats("I can't send messages yet; all I can do is talk with you.", earlier)
    assert repeats("how are you feeling today", earlier)
    assert not repeats("Sorry, Noor.", earlier)  # too short to be a copy
    assert not repeats("How are you feeling about the wedding today?", earlier)


@pytest.mark.parametrize(
    ("said", "reply", "taken"),
    [
        ("my cousin Mo moved to Leeds", "Mo is a cousin of mine, and Leeds suits him.", True),
        ("my old neighbour June turns ninety", "June is a dear neighbour of mine!", True),
        ("my boss yelled at me again", "My boss does that too.", True),
        ("what's the name of our cat again?", "The name of my cat is Mango.", True),  # the family's cat
        ("my friend Ines got married", "Ines sounds like a good friend to have.", False),
        ("my friend Ines got married", "That's lovely, my friend. Were you there?", False),  # a word to the user
        ("I met Ines today", "Ines is a friend of mine.", False),  # nothing of theirs was said to be theirs
        ("my friends never call", "Well, you're a friend of mine.", False),  # said to the user
    ],
)
def test_a_reply_that_takes_the_users_people_as_its_own_is_caught(said: str, reply: str, taken: bool) -> None:
    assert bool(takes_theirs(reply, said)) is taken
    assert bool(speaks_as_user(reply, said)) or not taken


def test_an_answer_about_itself_to_a_question_about_it_is_no_confusion() -> None:
    assert speaks_as_user("I thought it was a fun name. Do you like it?", "Why'd you pick that name?") is None


def test_a_reaction_that_tells_the_users_life_as_its_own_is_caught() -> None:
    assert talks_about_itself("Surfing's hard, but I'm learning.")
    assert talks_about_itself("Good to know; I'll follow your lead.") is None


def test_the_users_words_quoted_are_what_they_said() -> None:
    why = 'I like how Des sounds. You told me "I\'m talking to a computer.", and Des feels like good company for that.'
    assert unsupported_claims(why, ["I'm talking to a computer."], "Bex") == []


def test_another_name_given_as_its_own_is_caught() -> None:
    assert names_itself_otherwise("My name is Pip. What was yours again?", "Samantha") == "Pip"
    assert names_itself_otherwise("Sorry! Pip is my name.", "Samantha") == "Pip"
    assert names_itself_otherwise("My name is Samantha, and I'm glad you asked.", "Samantha") is None
    assert names_itself_otherwise("Call me Pip and I'll come running.", "Samantha") is None  # not a claim


@pytest.mark.parametrize(
    ("start", "telling"),
    [
        ("I", None),
        ("I'm so", None),
        ("I'm so glad", False),
        ("I didn't mean to", False),
        ("Sorry about that.", False),
        ("I was just trying", True),
        ("I miss Cian.", True),
    ],
)
def test_a_first_person_sentence_is_known_by_its_first_words_to_react_or_tell_of_itself(
    start: str, telling: bool | None
) -> None:
    assert tells_of_itself(start) is telling
