import pytest

from os1.companion.abilities import asked_to_do, cannot_do, note_for


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("can you send her a congratulations email from me?", ["send email"]),
        ("email my boss that I'm sick", ["send email"]),
        ("text my brother happy birthday", ["send messages or texts"]),
        ("please remind me tomorrow at 9", ["set reminders or alarms, or touch a calendar"]),
        ("book me a table for two", ["book, order or buy anything"]),
        ("can you look it up?", ["look things up on the internet"]),
        ("play me a song", ["play music"]),
        ("can u play some Tame Impala to cheer me up", ["play music"]),
        ("Put on some Clifford Brown for me, would you?", ["play music"]),
        ("Call Mike and tell him this thing works.", ["make calls"]),
    ],
)
def test_requests_it_cannot_do_yet_are_noticed(text: str, asked: list[str]) -> None:
    assert cannot_do(text) == asked
    assert asked_to_do(text)


@pytest.mark.parametrize(
    "text",
    [
        "I got an email from my boss today",
        "I was texting with my sister",
        "my mom called",
        "I bought a plant",
        "I play the veena when I cannot sleep",
        "call me Theo",
        "I put on a jacket and went out",
        "Message from my boss this morning, rude as ever",
    ],
)
def test_talking_about_those_things_is_just_talk(text: str) -> None:
    assert cannot_do(text) == []
    assert note_for(text, "Theo") is None


def test_the_note_names_the_user_and_the_missing_ability() -> None:
    note = note_for("send an email to my landlord", "Theo")
    assert note is not None and note.startswith("Theo is asking for something you cannot do yet (send email)")


def test_a_message_that_only_tells_of_such_a_thing_asks_for_nothing() -> None:
    assert cannot_do("my schedule is packed this week")  # the note is still added: it costs nothing said
    assert not asked_to_do("my schedule is packed this week")
