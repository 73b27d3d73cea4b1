"""The web app's screenshots in docs/screenshots/, taken with the real default model: a real `os1 serve` on a
fresh home (the installed models linked in, not copied), Debian's Chromium driven by Playwright through sign-up,
the interview and the naming, a conversation, the memory page and the settings. Every word on them is the
model's or the person's; nothing is scripted but what the person types.

Usage: .venv/bin/python scripts/screenshots.py   (several minutes on two cores: the model answers every step)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect, sync_playwright

from os1 import models
from os1.config import DEFAULT_MODEL, Settings
from os1.memory.embed import ASSETS

SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ANSWERS = {  # what the person says in the interview, in the order the companion asks
    "What should I call you?": "Theo",
    "Are you social or anti-social?": "Social at work, but I need long quiet evenings after.",
    "How would you describe your relationship with your mother?": "Warm, but she worries about me too much.",
    "What fills your days at the moment?": "I write letters for other people, and I walk a lot.",
    "What do you want from me? What would make me worth having around?": "Someone to talk to at night.",
    "Should I sound more like a woman, a man, or neither?": "A woman.",
}
WAIT_MS = 300_000  # for any of the model's answers, on two cores
SAID = ["I moved to Porto last month, for a job at the aquarium.", "The sea lions are my favourite so far."]
SETTLED = (
    "document.getAnimations().every(a => a.playState !== 'running' || a.effect.getTiming().iterations === Infinity)"
)


def main() -> None:
    settings = Settings.load()
    for name in (DEFAULT_MODEL, *ASSETS):
        if not models.installed_path(settings, name).exists():
            models.install(settings, name)
    with tempfile.TemporaryDirectory() as temporary:
        home = Path(temporary)
        (home / "models").symlink_to(models.models_dir(settings))
        port = free_port()
        env = dict(os.environ, OS1_HOME=str(home))
        env.pop("OS1_LLM_URL", None)
        server = subprocess.Popen([sys.executable, "-m", "os1", "serve", "--port", str(port)], env=env)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_up(url, server)
            photograph(url)
        finally:
            server.terminate()
            server.wait(60)
    print(f"wrote {', '.join(sorted(p.name for p in SHOTS.glob('*.png')))} in {SHOTS}")


def photograph(url: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US", color_scheme="light")
        context.set_default_timeout(WAIT_MS)
        expect.set_options(timeout=WAIT_MS)
        page = context.new_page()
        page.goto(url)
        expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
        shot(page, "sign-in")
        page.get_by_role("button", name="Create an account").click()
        page.get_by_label("Email").fill("theo@example.org")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Create account").click()
        for index, (question, answer) in enumerate(ANSWERS.items()):
            field = page.get_by_label(question)
            field.fill(answer)
            if index == 2:
                shot(page, "interview")
            field.press("Enter")
        chosen = page.get_by_role("heading", level=2)
        expect(chosen).to_be_visible()
        name = chosen.inner_text()
        shot(page, "naming")
        page.get_by_role("button", name="Say hello").click()
        log = page.get_by_role("log")
        message = page.get_by_label(f"Message to {name}")
        expect(log.locator(".from-companion:not(.pending)")).to_have_count(1)  # its hello, read before answering
        for line in SAID:
            message.fill(line)
            message.press("Enter")
            expect(log.get_by_text(line)).to_be_visible()
            page.wait_for_function("!document.querySelector('[aria-busy=\"true\"]')")
        expect(log.get_by_text(f"{name} will remember that.").first).to_be_visible()
        shot(page, "chat")
        log.get_by_role("link", name="See what").first.click()
        expect(page.get_by_role("heading", name=f"What {name} remembers")).to_be_visible()
        page.get_by_role("button", name="Where this came from").first.click()
        expect(page.get_by_role("blockquote").first).to_be_visible()
        shot(page, "memory")
        page.get_by_role("navigation").get_by_role("link", name="Settings").click()
        expect(page.get_by_role("heading", name="Accounts on this server")).to_be_visible()
        shot(page, "settings")
        context.close()
        browser.close()


def shot(page: Page, name: str) -> None:
    page.wait_for_function(SETTLED)
    page.screenshot(path=SHOTS / f"{name}.png")
    print(f"{name}.png")


def wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if server.poll() is not None:
            raise SystemExit(f"os1 serve stopped (exit {server.returncode})")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("os1 serve did not answer within 5 minutes")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


if __name__ == "__main__":
    main()
