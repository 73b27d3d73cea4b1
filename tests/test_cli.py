"""The ``os1`` command as a user runs it: real processes, the real small model, real files."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from os1.memory.sqlite import SQLiteStore, user_db_path

pytestmark = pytest.mark.model


def os1(home: Path, model: Path, *args: str, stdin: bytes = b"", **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "OS1_HOME": str(home), "OS1_MODEL": str(model), "COLUMNS": "200", **env}
    result = subprocess.run(
        [sys.executable, "-m", "os1", *args],
        input=stdin,  # bytes as they are, invalid UTF-8 included
        capture_output=True,
        env=environ_without_colour(environment),
        timeout=180,
        check=False,
    )
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode("utf-8"), result.stderr.decode("utf-8")
    )


def environ_without_colour(env: dict[str, str]) -> dict[str, str]:
    env.pop("FORCE_COLOR", None)
    return {**env, "NO_COLOR": "1", "TERM": "dumb"}


def transcript(home: Path) -> list[tuple[str, str, bool]]:
    """What was said and what happened, without the notes that open each conversation (the date...)."""
    store = SQLiteStore.open(home)
    turns = asyncio.run(store.turns())
    store.close()
    return [(t.speaker, t.text, t.interrupted) for t in turns if not t.opens_conversation]


def test_help_lists_the_commands(home: Path, small_model_path: Path) -> None:
    result = os1(home, small_model_path, "--help")
    assert result.returncode == 0
    for command in ("chat", "doctor", "models", "reset"):
        assert command in result.stdout


def test_once_prints_one_reply_and_exits(set_up_home: Path, small_model_path: Path) -> None:
    result = os1(set_up_home, small_model_path, "chat", "--once", stdin=b"hi, how are you?\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Samantha: ")
    assert len(result.stdout.strip()) > len("Samantha:")
    turns = transcript(set_up_home)
    assert next((speaker, text) for speaker, text, _ in turns) == ("user", "hi, how are you?")
    assert turns[1][0] == "assistant" and turns[1][1].strip() in result.stdout


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        (b"caf\xe9 \xff\xfe\n", "standard input is not valid UTF-8 (byte 0xe9 at position 3); nothing was sent"),
        (b"a" * 100_000, "the message is 100,000 characters long; the limit is 8,000"),
        (b"  \n\n", "the message is empty"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_nothing_is_saved(
    set_up_home: Path, small_model_path: Path, stdin: bytes, message: str
) -> None:
    result = os1(set_up_home, small_model_path, "chat", "--once", stdin=stdin)
    assert result.returncode == 2
    assert message in " ".join(result.stderr.split())
    assert transcript(set_up_home) == []


def test_once_before_setup_says_what_to_do(home: Path, small_model_path: Path) -> None:
    result = os1(home, small_model_path, "chat", "--once", stdin=b"hello")
    assert result.returncode == 1
    assert "not set up yet: run `os1` in a terminal first" in result.stderr


def test_a_corrupt_database_is_reported_and_never_overwritten(home: Path, small_model_path: Path) -> None:
    path = user_db_path(home)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x00garbage" * 512)
    result = os1(home, small_model_path, "chat", "--once", stdin=b"hello")
    assert result.returncode == 1
    assert "is not an SQLite database" in result.stderr and "left untouched" in result.stderr
    assert "Traceback" not in result.stderr
    assert path.read_bytes() == b"\x00garbage" * 512
    doctor = os1(home, small_model_path, "doctor")
    assert doctor.returncode == 1 and "unusable" in doctor.stdout


def test_a_file_that_is_not_a_model_gives_an_actionable_error(set_up_home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 1000)
    result = os1(set_up_home, bad, "chat", "--once", stdin=b"hello")
    assert result.returncode == 1
    assert f"llama.cpp could not load {bad}" in " ".join(result.stderr.split())
    assert "OS1_MODEL" in result.stderr and "Traceback" not in result.stderr
    assert transcript(set_up_home)[0][:2] == ("user", "hello")  # what the user said is kept


def test_doctor_reports_the_setup_and_the_exact_fix(home: Path, small_model_path: Path) -> None:
    ok = os1(home, small_model_path, "doctor")
    assert ok.returncode == 0, ok.stdout
    assert str(small_model_path) in ok.stdout and str(home) in ok.stdout and "All good" in ok.stdout
    missing = os1(home, small_model_path, "doctor", OS1_MODEL="qwen2.5-0.5b")
    assert missing.returncode == 1
    assert "os1 models install qwen2.5-0.5b" in missing.stdout


def test_reset_asks_first(set_up_home: Path, small_model_path: Path) -> None:
    kept = os1(set_up_home, small_model_path, "reset", stdin=b"n\n")
    assert "Nothing was deleted" in kept.stdout and user_db_path(set_up_home).exists()
    (set_up_home / "kept").mkdir()
    (set_up_home / "kept" / "prefix-0.kv").write_bytes(b"what it was told")
    gone = os1(set_up_home, small_model_path, "reset", stdin=b"y\n")
    assert gone.returncode == 0 and not user_db_path(set_up_home).exists()
    assert not (set_up_home / "kept").exists()  # the model's copy of its prompt's beginning goes too


def test_first_run_interview_naming_and_coming_back(home: Path, small_model_path: Path) -> None:
    answers = b"Theo\nsocial, mostly\nit's complicated\nwriting letters\nsomeone to talk to\na woman\n"
    first = os1(home, small_model_path, stdin=answers + b"hello there\n/who\n/quit\n")
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert "What should I call you?" in out and "Theo. Nice to meet you, Theo." in out
    assert "I read 727,556 given names" in out
    name = out.split("Call me ", 1)[1].split(".", 1)[0]
    assert name.isalpha() and name != "Theo"
    assert f"I'm {name}. I chose my name on" in out and "you've said 1 thing to me" in out  # /who
    said = transcript(home)  # the interview first (each question, then its answer), then the conversation
    assert said[:2] == [("assistant", "What should I call you?", False), ("user", "Theo", False)]
    assert [s for s, _, _ in said] == ["assistant", "user"] * 6 + ["event", "assistant", "user", "assistant"]

    again = os1(home, small_model_path, "chat", stdin=b"/who\n/quit\n")
    assert again.returncode == 0
    assert "What should I call you?" not in again.stdout  # no second interview
    assert f"I'm {name}." in again.stdout and "hello there" in again.stdout  # the recent lines are shown


def test_another_name_at_the_naming_and_by_rename_and_it_stays(home: Path, small_model_path: Path) -> None:
    answers = b"Theo\nsocial, mostly\nit's complicated\nwriting letters\nsomeone to talk to\na woman\n"
    first = os1(home, small_model_path, stdin=answers + b"no, another one\nhello there\n/rename\n/who\n/help\n/quit\n",
                LANG="en_GB.UTF-8")  # fmt: skip
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert "given in the United Kingdom" in out
    named = [said.split(".", 1)[0] for said in out.split("Call me ")[1:]]
    assert len(named) == 3 and len(set(named)) == 3  # at the naming, then by /rename: a new name each time
    assert f"I'm {named[2]}. I chose my name on" in out  # /who
    assert "/rename  I choose another name" in out  # /help
    store = SQLiteStore.open(home)
    persona = asyncio.run(store.persona())
    turns = [turn for turn in asyncio.run(store.turns()) if not turn.from_interview and not turn.opens_conversation]
    store.close()
    assert persona is not None and persona.name == named[2] and persona.refused == (named[0], named[1])
    assert [t.speaker for t in turns] == ["event", "event", "assistant", "user", "assistant", "event"]
    assert named[0] in turns[0].text and named[1] in turns[0].text  # "another one", told in the transcript
    assert turns[1].text.endswith("in one or two sentences.") and named[1] in turns[1].text  # the first hello
    assert named[1] in turns[5].text and named[2] in turns[5].text  # /rename

    again = os1(home, small_model_path, "chat", stdin=b"/who\n/quit\n")
    assert f"I'm {named[2]}." in again.stdout  # kept


@contextmanager
def chatting(home: Path, model: Path) -> Iterator[tuple[subprocess.Popen[bytes], bytearray]]:
    """A real `os1 chat` process on pipes, and everything it has printed so far (read as it comes)."""
    env = environ_without_colour({**os.environ, "OS1_HOME": str(home), "OS1_MODEL": str(model), "COLUMNS": "200"})
    with subprocess.Popen(
        [sys.executable, "-m", "os1", "chat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        # Ctrl-C reaches it as in a terminal, also when the tests run as a background job (a shell starts those
        # with SIGINT ignored, and a child inherits that)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        stdout = proc.stdout
        seen = bytearray()
        reader = threading.Thread(target=lambda: [seen.extend(chunk) for chunk in iter(stdout.read1, b"")])
        reader.start()
        try:
            wait_for(seen, b"(/help for commands)")
            yield proc, seen
        finally:
            proc.kill()
            reader.join()


def say(proc: subprocess.Popen[bytes], seen: bytearray, line: bytes) -> int:
    """Send a line and wait for the companion to start answering; the offset where its words begin."""
    assert proc.stdin is not None
    mark = len(seen)
    proc.stdin.write(line + b"\n")
    proc.stdin.flush()
    wait_for(seen, b"Samantha: ", start=mark)
    return seen.index(b"Samantha: ", mark) + len(b"Samantha: ")


def test_ctrl_c_stops_the_reply_not_the_program(set_up_home: Path, small_model_path: Path) -> None:
    with chatting(set_up_home, small_model_path) as (proc, seen):
        start = say(proc, seen, b"Tell me a very long story about a lighthouse keeper, at least five hundred words.")
        while len(seen) < start + 20:
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        wait_for(seen, b"(stopped)")
        assert proc.stdin is not None
        proc.stdin.write(b"/quit\n")
        proc.stdin.flush()
        assert proc.wait(timeout=60) == 0
    last = transcript(set_up_home)[-1]
    assert last[0] == "assistant" and last[2] is True  # kept, marked as cut off
    assert last[1].strip()[:15].encode() in bytes(seen)


def wait_for(buffer: bytearray, text: bytes, *, start: int = 0, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while text not in buffer[start:]:
        assert time.monotonic() < deadline, f"never saw {text!r} in {bytes(buffer)!r}"
        time.sleep(0.02)


def test_a_crash_right_after_the_reply_loses_nothing(set_up_home: Path, small_model_path: Path) -> None:
    with chatting(set_up_home, small_model_path) as (proc, seen):
        start = say(proc, seen, b"My sister Anna moved to Lisbon last week.")
        wait_for(seen, b"\n", start=start)  # the reply is complete
        proc.kill()  # no goodbye, no settling: as if the power went
        proc.wait(timeout=30)
    store = SQLiteStore.open(set_up_home)
    queued = asyncio.run(store.queued_turns())
    store.close()
    assert [t.text for t in queued] == ["My sister Anna moved to Lisbon last week."]  # kept for memory

    again = os1(set_up_home, small_model_path, "chat", "--once", stdin=b"hello again")
    assert again.returncode == 0, again.stderr
    store = SQLiteStore.open(set_up_home)
    assert asyncio.run(store.queued_turns()) == []  # the next run picked it up and finished it
    store.close()
