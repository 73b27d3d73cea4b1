"""The web app (src/os1/server/web) in a real browser, Debian's Chromium driven by Playwright, against the real
server: signing up, the interview and the naming, a conversation, the memory page remembering what was said
and forgetting it for good, the settings; signing in, stopping a reply mid-sentence, a new password and
deleting the account, and bringing in old conversations.

The screenshots in docs/screenshots/ are taken with the real model by scripts/screenshots.py, not here.
"""

import json
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import ConsoleMessage, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from os1.companion.prompt import QUESTIONS
from os1.llm import Message
from os1.memory.embed import MiniLM
from os1.memory.sqlite import user_db_path
from os1.memory.store import Persona, Profile
from os1.testing import ScriptedLLM
from tests.serving import serving, talk
from tests.test_server_api import LAST_YEAR, remembering

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
ANSWERS = {"name": "Theo", "voice": "a woman"}
REPLY = "I'm here, listening."  # what the scripted model says to anything


@contextmanager
def browsing(*flags: str) -> Iterator[Page]:
    """A page in a fresh headless Chromium (with ``flags`` added to its command line), failing the test if the
    page's own scripts report an error. (Open it after anything that runs its own event loop: Playwright's sync
    API keeps one running while it is open.)"""
    assert CHROMIUM.exists(), "the browser tests need Debian's chromium: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[*FLAGS, *flags])
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US", color_scheme="light")
        context.set_default_timeout(15_000)
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))

        def complain(message: ConsoleMessage) -> None:
            if message.type == "error" and not message.text.startswith("Failed to load resource"):  # (a 4xx)
                problems.append(message.text)

        page.on("console", complain)
        try:
            yield page
            assert problems == [], "the page's scripts reported errors"
        finally:
            context.close()
            browser.close()


def signing_in(page: Page, url: str, email: str, password: str) -> None:
    """Open the web app at ``url`` and sign in (or try to) with ``email`` and ``password``."""
    page.goto(url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def shown_eventually(page: Page, text: str, seconds: float) -> None:
    """Wait for text that appears after something in the background is done, reloading the page meanwhile."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            page.get_by_text(text).wait_for(timeout=1000)
            return
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                raise
            page.reload()


def choosing_slowly(messages: Sequence[Message], schema: dict[str, Any] | None) -> str:
    """``remembering``, but the companion takes its time to say why it chose its name (100 words)."""
    if "sound" in (schema or {}).get("properties", {}):
        return json.dumps({"name": schema["properties"]["name"]["enum"][0], "sound": "It fits. " * 50})
    return remembering(messages, schema)


def test_meeting_talking_remembering_and_forgetting(home: Path, embedder: MiniLM) -> None:
    with serving(home, ScriptedLLM(*[choosing_slowly] * 200, delay=0.02), embedder) as server, browsing() as page:
        page.goto(server.url)
        expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
        page.get_by_role("button", name="Create an account").click()
        page.get_by_label("Email").fill("theo@example.org")
        page.get_by_label("Password").fill("short")
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_role("alert")).to_have_text("The password is too short: use at least 8 characters.")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Create account").click()

        expect(page.get_by_text("I'd like to get to know you")).to_be_visible()  # the greeting
        for index, (key, question) in enumerate(QUESTIONS.items()):
            expect(page.get_by_text(f"Question {index + 1} of {len(QUESTIONS)}")).to_be_visible()
            answer = page.get_by_label(question)
            answer.fill(ANSWERS.get(key, "fine, thanks"))
            answer.press("Enter")
        # its reaction to the last answer, and the page's own line while it chooses: either may be shown first
        expect(page.get_by_text("Give me a moment").first).to_be_visible()

        # the names' narrowing is shown while the companion still chooses among the last few
        expect(page.get_by_text("Saying them aloud…")).to_be_visible(timeout=180_000)  # it reads the whole dataset
        expect(page.get_by_text("given names in the dataset")).to_be_visible()
        chosen = page.get_by_role("heading", level=2)
        expect(chosen).to_have_count(0)
        expect(chosen).to_be_visible()
        name = chosen.inner_text()
        expect(page.get_by_role("listitem").filter(has_text=re.compile(f"^{name}$"))).to_have_class("chosen")
        expect(page.get_by_text("Saying them aloud…")).to_have_count(0)
        expect(page.get_by_text("It fits.")).to_be_visible()  # why it chose the name, in its own words
        expect(page.get_by_role("banner").get_by_role("link", name=name)).to_be_visible()

        # another name, by the button and in words: each refused name is struck through, never chosen again
        page.get_by_role("button", name="Choose another name").click()
        expect(chosen).not_to_have_text(name)
        expect(page.get_by_text("Then I choose")).to_be_visible()
        second = chosen.inner_text()
        said = page.get_by_label(f"What you think of the name {second}")
        said.fill("no, another one")
        said.press("Enter")
        expect(chosen).not_to_have_text(second)
        name = chosen.inner_text()
        expect(page.locator(".shortlist .refused")).to_have_count(2)
        expect(page.get_by_role("banner").get_by_role("link", name=name)).to_be_visible()

        page.get_by_role("button", name="Say hello").click()
        log = page.get_by_role("log")
        expect(log.get_by_text(REPLY)).to_have_count(1)  # the first hello
        message = page.get_by_label(f"Message to {name}")
        message.fill("I live in Porto.")
        page.wait_for_timeout(1000)  # a pause in the typing: the page hands the draft over
        message.press("Enter")
        expect(log.get_by_text("I live in Porto.")).to_be_visible()
        expect(log.get_by_text(REPLY)).to_have_count(2)
        expect(message).to_have_value("")
        with server.client() as operator:  # the reply used the search made while the user paused
            assert "os1_lines_recalled_ahead_total 1.0" in operator.get("/metrics").text
        expect(log.get_by_text(f"{name} will remember that.")).to_be_visible(timeout=20_000)  # told when it is kept

        log.get_by_role("link", name="See what").click()
        expect(page.get_by_role("heading", name=f"What {name} remembers")).to_be_visible()
        shown_eventually(page, "Theo lives in Porto.", seconds=20)
        expect(page.get_by_text("5 memories", exact=True)).to_be_visible()  # and the interview's four answers
        for source in page.get_by_role("button", name="Where this came from").all():
            source.click()
        expect(page.get_by_role("blockquote").filter(has_text="I live in Porto.")).to_have_count(1)

        page.get_by_role("button", name="Edit “Theo lives in Porto.”").click()
        page.get_by_role("textbox", name="Memory").fill("Theo lives in Lisbon.")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Theo lives in Lisbon.")).to_be_visible()

        page.get_by_role("button", name="Forget “Theo lives in Lisbon.”").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text("cannot be undone")
        dialog.get_by_role("button", name="Forget").click()
        expect(page.get_by_text("Theo lives in Lisbon.")).to_have_count(0)
        page.reload()
        expect(page.get_by_text("4 memories", exact=True)).to_be_visible()  # forgotten for good, not just hidden
        expect(page.get_by_text("Theo lives in")).to_have_count(0)
        page.get_by_role("navigation").get_by_role("link", name="Talk").click()
        expect(log.get_by_text("This message was forgotten.")).to_be_visible()  # what it was learned from, too
        expect(log.get_by_text("I live in Porto.")).to_have_count(0)

        page.get_by_role("navigation").get_by_role("link", name="Settings").click()
        expect(page.get_by_text("theo@example.org", exact=True).first).to_be_visible()
        expect(page.get_by_role("heading", name="Accounts on this server")).to_be_visible()  # the first account
        page.get_by_label("Name for a new key").fill("laptop")
        page.get_by_role("button", name="Create key").click()
        expect(page.get_by_text("it will not be shown again")).to_be_visible()
        expect(page.get_by_label("New API key")).to_have_value(re.compile(r"^os1_"))
        expect(page.get_by_text(f"{server.url}/v1")).to_be_visible()

        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
        expect(page.get_by_text("You are signed out.")).to_be_visible()


def test_signing_in_and_stopping_a_reply(home: Path, embedder: MiniLM, persona: Persona, profile: Profile) -> None:
    def rambling(messages: Sequence[Message], schema: dict[str, Any] | None) -> str:
        return talk(messages, schema) if schema else "and " * 300 + "that is all."

    with serving(home, ScriptedLLM(*[rambling] * 50, delay=0.05), embedder) as server:
        _, said = server.sign_up("theo@example.org")
        server.meet(said["user"]["id"], persona, profile)
        with browsing() as page:
            signing_in(page, server.url, "theo@example.org", "not my password")
            expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
            page.get_by_label("Password").fill("correct horse battery")
            page.get_by_role("button", name="Sign in").click()

            log = page.get_by_role("log")
            expect(log.get_by_text("and and and")).to_be_visible()  # the greeting, still being written
            page.get_by_role("button", name="Stop").click()
            expect(log.get_by_text("— cut off")).to_be_visible()
            expect(page.get_by_role("button", name="Stop")).to_be_hidden()
            expect(log).not_to_contain_text("that is all.")

            page.reload()  # the transcript keeps what was said, as said
            expect(log.get_by_text("— cut off")).to_be_visible()
            expect(log.get_by_text("Samantha", exact=True)).to_have_count(1)  # one reply, not two


def test_a_line_said_while_the_greeting_is_written_comes_after_it(
    home: Path, embedder: MiniLM, persona: Persona, profile: Profile
) -> None:
    greeting = "Hello Theo, it is good to see you again after all this time."
    with serving(home, ScriptedLLM(greeting, "I'm listening.", *[talk] * 20, delay=0.15), embedder) as server:
        _, said = server.sign_up("theo@example.org")
        server.meet(said["user"]["id"], persona, profile)
        with browsing() as page:
            signing_in(page, server.url, "theo@example.org", "correct horse battery")
            message = page.get_by_label("Message to Samantha")
            expect(page.get_by_role("button", name="Send")).to_be_enabled()
            message.fill("Sorry, I'm in a hurry.")  # before the greeting's first word
            message.press("Enter")
            log = page.get_by_role("log")
            expect(log.get_by_text("I'm listening.")).to_be_visible()
            order = [greeting, "Sorry, I'm in a hurry.", "I'm listening."]
            assert log.locator(".turn .words").all_inner_texts() == order  # as the server answered, not as asked
            page.reload()
            expect(log.get_by_text("I'm listening.")).to_be_visible()
            assert log.locator(".turn .words").all_inner_texts() == order


def test_a_new_password_and_leaving_for_good(home: Path, embedder: MiniLM, persona: Persona, profile: Profile) -> None:
    with serving(home, ScriptedLLM(*[talk] * 50), embedder) as server:
        server.sign_up("ada@example.org")  # the administrator, who stays
        _, said = server.sign_up("theo@example.org")
        server.meet(said["user"]["id"], persona, profile)
        with browsing() as page:
            signing_in(page, server.url, "theo@example.org", "correct horse battery")
            page.get_by_role("navigation").get_by_role("link", name="Settings").click()
            about = page.get_by_role("region", name="Samantha")  # who it is now, as /who tells it
            expect(about.get_by_text("curious: we have only just met")).to_be_visible()  # it said its first hello
            expect(about.get_by_text("warm, curious, witty")).to_be_visible()

            page.get_by_label("Current password").fill("correct horse battery")
            page.get_by_label("New password").fill("a longer secret")
            page.get_by_role("button", name="Change password").click()
            expect(page.get_by_text("Your password is changed.")).to_be_visible()

            page.get_by_label("Your password, to confirm").fill("correct horse battery")  # the old one
            page.get_by_role("button", name="Delete my account").click()
            page.get_by_role("dialog").get_by_role("button", name="Delete everything").click()
            expect(page.get_by_text("The password is wrong.")).to_be_visible()  # and still signed in
            page.get_by_label("Your password, to confirm").fill("a longer secret")
            page.get_by_role("button", name="Delete my account").click()
            page.get_by_role("dialog").get_by_role("button", name="Delete everything").click()
            expect(page.get_by_text("Your account is deleted, and everything in it.")).to_be_visible()
            expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
    assert not user_db_path(home, said["user"]["id"]).parent.exists()


def test_bringing_in_old_conversations(home: Path, embedder: MiniLM, persona: Persona, profile: Profile) -> None:
    with serving(home, ScriptedLLM(*[remembering] * 50), embedder) as server:
        _, said = server.sign_up("theo@example.org")
        server.meet(said["user"]["id"], persona, profile)
        old = home / "conversations.json"
        old.write_text(json.dumps(LAST_YEAR))
        broken = home / "broken.json"
        broken.write_text('{"sessions": [')
        with browsing() as page:
            signing_in(page, server.url, "theo@example.org", "correct horse battery")
            page.get_by_role("navigation").get_by_role("link", name="Memory").click()
            expect(page.get_by_text("Nothing yet.")).to_be_visible()
            with page.expect_file_chooser() as chooser:
                page.get_by_role("button", name="Bring in old conversations").click()
            chooser.value.set_files(broken)
            expect(page.get_by_text("broken.json: The file is not valid JSON (line 1, column 15")).to_be_visible()
            with page.expect_file_chooser() as chooser:
                page.get_by_role("button", name="Bring in old conversations").click()
            chooser.value.set_files(old)
            expect(page.get_by_text(f"Brought in 1 conversation. {persona.name} has read them all.")).to_be_visible()
            expect(page.get_by_text("Theo lives in Porto.")).to_be_visible()
            page.get_by_role("navigation").get_by_role("link", name="Talk").click()
            expect(page.get_by_role("log").get_by_text("Porto! The river.")).to_be_visible()
