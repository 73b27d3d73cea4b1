"""Load: N concurrent WebSocket conversations with a real `os1 serve`, whose model is an OpenAI-compatible upstream
that streams at a realistic pace (os1.testing.Upstream: a simulator that generates nothing; 300 ms to the first
token, then 30 tokens a second, by default).

Three processes share the machine's cores: the simulated upstream, the os1 server (`python -m os1 serve`,
`OS1_LLM_URL` pointing at the simulator, so no embedded model is loaded; MiniLM, recall and memory extraction
run as they do for any user), and this script, the clients. For each N:

setup      A fresh OS1_HOME with N accounts made by os1's own `Accounts` before the server starts (argon2id at
           its lowest cost: sign-up is not what this measures, and 10,000 hashes at the default cost take ~26
           min here), an API key each, and a met companion each (persona and profile saved in the user's own
           database, as onboarding does; the profile's name is "Sam <i>", so each request can be traced).
baseline   The upstream alone: requests straight to the simulator at the rate the sessions will send, from a
           bare socket client; their time to the first token minus the upstream's own is what the client and the
           loopback add, the floor under every figure below.
sessions   N WebSocket sessions open at `--connect-rate` a second, with an API key (as a program signs in);
           each greets on "ready", as the web app does, and sends `ping` every 25 s. Once every session is in
           (connected and greeted, or failed), and `--settle` seconds later, a window of `--duration` seconds
           begins, in which each session says one of bench/chat.py's lines at a random moment of its first
           `--interval` seconds and one every ~`--interval` seconds after that (the next not before the last
           reply is done): connected and conversing. The greetings time the connect storm; the lines, the window.

For every reply: the time from `say` (or `greet`) to its first `delta` at the client, minus the upstream's own
time from that request's arrival to its first token (the simulator records both on CLOCK_MONOTONIC, which all
processes here share), is the latency os1 adds; it splits into "before" (the message reaching the upstream as a
request: auth is done, so recall, the store, the prompt) and "after" (the first token reaching the client).
Errors are every failed connect, unexpected close, `error` message, interrupted reply and reply not done within
`--reply-timeout`. The server's RSS is sampled every second (and VmHWM read), CPU is read from /proc for all
three processes over the window, and the client's own event-loop lag is measured, as it inflates the figures.
`--profile` samples the server with py-spy, once through the connects and once through the window, and sums
where its time went in each (py-spy's own CPU, ~0.1 core, is not the server's but shares the cores).

Usage: python bench/load.py [--sessions 100,1000,10000] [--duration 60] [--interval 30] [--out ...]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher
from chat import LINES, PERSONA, PROFILE
from rich.console import Console
from rich.table import Table
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from os1 import models
from os1.config import Settings
from os1.memory.embed import ASSETS, MiniLM
from os1.memory.observe import Observer
from os1.memory.recall import Recall
from os1.memory.sqlite import OPEN_FILES, SQLiteStore, user_db_path
from os1.server.accounts import Accounts
from os1.testing import UPSTREAM_REPLY, ScriptedLLM, plainest

PING_SECONDS = 25  # the web app's (server/web/socket.js)
DRAFT_SECONDS = 1.0  # from handing a line over as a draft (a pause in the typing) to sending it
FDS_PER_STORE = 3  # at the server: a user's SQLite file, its -wal and its -shm, for at most OPEN_FILES users
GREETING = re.compile(r"^\[(Sam \d+) (?:has just finished setting you up|is back)")
HISTORY = Path(__file__).parent / "data" / "memory-sessions.json"
console = Console()


@dataclass
class Reply:
    session: int
    kind: str  # "greet" or "say"
    text: str
    sent: float
    drafted: bool = False  # the line was handed over as a draft first (a pause in the typing)
    first: float | None = None
    done: float | None = None
    error: str | None = None
    finished: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Run:
    sessions: int
    replies: list[Reply] = field(default_factory=list)
    connect_seconds: list[float] = field(default_factory=list)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    open_now: int = 0
    open_at_window_end: int = 0
    most_open: int = 0
    lag: list[float] = field(default_factory=list)  # the client's event-loop lag, seconds
    arrived: int = 0  # sessions that have connected and been greeted, or failed to
    everyone: asyncio.Event = field(default_factory=asyncio.Event)  # set when all have
    window: tuple[float, float] = (0.0, 0.0)  # the conversation's start and end, once everyone is in
    talking: asyncio.Event = field(default_factory=asyncio.Event)  # set when the window is known

    def arrive(self) -> None:
        self.arrived += 1
        if self.arrived == self.sessions:
            self.everyone.set()


# --- setup ------------------------------------------------------------------------------------------------------------


def installed_models() -> Path:
    settings = Settings.load()
    for name in ASSETS:
        if not models.installed_path(settings, name).exists():
            console.print(f"installing {name} into {models.models_dir(settings)}")
            models.install(settings, name)
    return models.models_dir(settings)


async def make_template(template: Path) -> None:
    """One user's store as after ten months: a met companion, and the 26 conversations of bench/data (498
    turns) said at their dates, embedded, with the memory work on them done (extraction, the diary, the
    reflection), by os1's own code, with the simulator's plainest answers (so nothing is extracted: the memories
    corpus stays empty, the transcript is what recall searches)."""
    store = SQLiteStore.open(template, "met")
    await store.save_persona(PERSONA)
    await store.save_profile(PROFILE)
    for conversation in json.loads(HISTORY.read_text())["sessions"]:
        at = datetime.fromisoformat(conversation["started_at"]).astimezone()
        session = await store.start_session(at)
        for turn in conversation["turns"]:
            await store.add_turn(session, turn["speaker"], turn["text"], at=at)
    recall = Recall(store, MiniLM.from_settings(Settings.load()))
    plain = ScriptedLLM(*[lambda _, schema: json.dumps(plainest(schema)) if schema else "Mm."] * 1000)
    await Observer(plain, recall, {"user": PROFILE.name, "assistant": PERSONA.name}).settle()
    store.close()


async def make_users(home: Path, count: int) -> list[tuple[str, str]]:
    """``count`` accounts, each with an API key and a companion they have talked with for ten months (their own
    copy of the template): (their profile's name, their key)."""
    (home / "models").symlink_to(installed_models())  # the installed models, not a second copy
    template = home / "template"
    await make_template(template)
    accounts = Accounts(home / "accounts.db")
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # real argon2id, lowest cost
    users = []
    for i in range(count):
        user = await accounts.create_user(f"load{i}@example.org", "correct horse battery")
        secret, _ = accounts.create_key(user, "load")
        path = user_db_path(home, user.id)
        path.parent.mkdir(parents=True)
        shutil.copyfile(user_db_path(template, "met"), path)  # the same met companion, then their own name
        store = SQLiteStore.open(home, user.id)
        await store.save_profile(replace(PROFILE, name=f"Sam {i}"))
        store.close()
        users.append((f"Sam {i}", secret))
    accounts.close()
    shutil.rmtree(template)
    return users


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


async def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            if process.poll() is not None:
                raise SystemExit(f"{url} exited ({process.returncode}): {tail(log)}")
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not answer within 60 s: {tail(log)}")


def tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


def stop(process: subprocess.Popen[bytes], seconds: float = 60) -> float:
    """Stop a process this script started (SIGINT: a graceful shutdown); the seconds it took."""
    began = time.monotonic()
    process.send_signal(signal.SIGINT)
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return time.monotonic() - began


# --- what the processes use -------------------------------------------------------------------------------------------


def family(pid: int) -> list[int]:
    """``pid`` and its children (a server with several workers is a supervisor and a process per worker)."""
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    children.append(int(entry))
    return [pid, *children]


def cpu_seconds(pid: int, *, children: bool) -> float:
    """CPU seconds of ``pid`` (and, with ``children``, its children's), every thread."""
    total = 0
    for member in family(pid) if children else [pid]:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / os.sysconf("SC_CLK_TCK")


def status_kib(pid: int, key: str) -> int:
    """A /proc status figure (VmRSS, VmHWM) of ``pid`` and its children, added up."""
    total = 0
    for member in family(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith(key + ":"):
                    total += int(line.split()[1])
    return total


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has spent busy so far (/proc/stat), whoever used them."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def open_fds(pid: int) -> int:
    """The most descriptors one process of the server holds (the limit is a process's)."""
    return max(len(os.listdir(f"/proc/{member}/fd")) for member in family(pid))


# --- clients ----------------------------------------------------------------------------------------------------------


async def session(run: Run, index: int, name: str, key: str, url: str, at: float, args: Any) -> None:
    """One user's conversation: connect at ``at``, greet, then talk during the run's window."""
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    began = time.monotonic()
    headers = {"Authorization": f"Bearer {key}"}
    try:
        conn = await connect(url, additional_headers=headers, proxy=None, ping_interval=None, open_timeout=60)
        ready = json.loads(await asyncio.wait_for(conn.recv(), 60))
        if ready.get("type") != "ready":
            raise RuntimeError(f"the first message is {ready.get('type')!r}, not 'ready'")
    except Exception as exc:
        run.errors[f"connect: {_describe(exc)}"] += 1
        run.arrive()
        return
    run.connect_seconds.append(time.monotonic() - began)
    run.open_now += 1
    run.most_open = max(run.most_open, run.open_now)
    pending: dict[str, Reply] = {}
    leaving = asyncio.Event()  # set when this client closes the connection itself
    talker = asyncio.create_task(talk(run, index, name, conn, pending, leaving, args))
    try:
        async for raw in conn:
            message = json.loads(raw)
            kind, reply = message.get("type"), pending.get(str(message.get("id")))
            if reply is None:
                if kind == "error":
                    run.errors[f"error message: {message.get('code')}"] += 1
                continue
            if kind == "delta" and reply.first is None:
                reply.first = time.monotonic()
            elif kind == "done":
                reply.done = time.monotonic()
                if message.get("interrupted"):
                    reply.error = "interrupted"
                reply.finished.set()
            elif kind == "error":
                reply.error = f"error message: {message.get('code')}"
                reply.finished.set()
    except ConnectionClosed:
        pass
    finally:
        talker.cancel()
        await asyncio.gather(talker, return_exceptions=True)
        run.open_now -= 1
    if not leaving.is_set():
        run.errors[f"closed by the server: {conn.close_code} {conn.close_reason or ''}".strip()] += 1
        for reply in pending.values():
            if reply.done is None and reply.error is None:
                reply.error = "connection closed"


async def talk(
    run: Run, index: int, name: str, conn: ClientConnection, pending: dict[str, Reply], leaving: asyncio.Event,
    args: Any,
) -> None:  # fmt: skip
    async def ask(kind: str, reply_id: str, text: str = "") -> None:
        drafted = kind == "say" and random.random() < args.drafted
        if drafted:  # the web app hands the draft over after a pause in the typing; the user reads it, then sends
            await conn.send(json.dumps({"type": "typing", "text": text}))
            await asyncio.sleep(DRAFT_SECONDS)
        reply = Reply(index, kind, text if kind == "say" else name, time.monotonic(), drafted)
        pending[reply_id] = reply
        run.replies.append(reply)
        await conn.send(json.dumps({"type": kind, "id": reply_id, "text": text}))
        try:
            await asyncio.wait_for(reply.finished.wait(), args.reply_timeout)
        except TimeoutError:
            reply.error = "no reply in time"

    pinger = asyncio.create_task(ping(conn))
    arrived = False
    try:
        await ask("greet", "g")
        run.arrive()
        arrived = True
        await run.talking.wait()
        start, end = run.window
        moment = start + random.uniform(0, args.interval)
        said = 0
        while moment < end:
            await asyncio.sleep(max(0.0, moment - time.monotonic()))
            line = f"{LINES[(index + said) % len(LINES)]} #{index}.{said}"  # a mark to find its request upstream
            await ask("say", f"s{said}", line)
            said += 1
            moment = max(moment + args.interval * random.uniform(0.8, 1.2), time.monotonic())
        await asyncio.sleep(max(0.0, end - time.monotonic()))
        run.open_at_window_end += 1
        await finish.wait()
        leaving.set()
        await conn.close()
    finally:
        pinger.cancel()
        if not arrived:  # the connection closed before the greeting
            run.arrive()


async def ping(conn: ClientConnection) -> None:
    while True:
        await asyncio.sleep(PING_SECONDS)
        await conn.send('{"type": "ping"}')


finish = asyncio.Event()  # every session closes when the run is over (made anew by each run's loop: see main)


async def measure_lag(run: Run) -> None:
    while True:
        planned = time.monotonic() + 0.05
        await asyncio.sleep(0.05)
        run.lag.append(time.monotonic() - planned)


async def baseline(
    port: int, rate: float, seconds: float, reply_timeout: float
) -> tuple[list[tuple[str, float, float]], collections.Counter[str]]:
    """Requests straight to the upstream at ``rate`` a second for ``seconds``: (text, sent, first token) of each,
    and the errors. The client is a few lines of HTTP/1.1 on a socket, a connection per request: httpx, os1's own,
    needs a whole core at 333 streams a second here, and would time itself instead of the upstream."""
    timed: list[tuple[str, float, float]] = []
    errors: collections.Counter[str] = collections.Counter()

    async def one(number: int, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        text = f"{LINES[number % len(LINES)]} #baseline.{number}"
        body = json.dumps({"messages": [{"role": "user", "content": text}], "stream": True, "max_tokens": 400})
        head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body.encode())}\r\nConnection: close\r\n\r\n")  # fmt: skip
        sent, first, seen = time.monotonic(), None, b""
        try:
            async with asyncio.timeout(reply_timeout):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(head.encode() + body.encode())
                while data := await reader.read(65536):
                    if first is None and b'"content"' in data:
                        first = time.monotonic()
                    seen = (seen + data)[-64:]
                writer.close()
            if b"[DONE]" not in seen:
                raise ConnectionError("the stream ended without [DONE]")
        except (OSError, TimeoutError) as exc:
            errors[_describe(exc)] += 1
            return
        if first is not None:
            timed.append((text, sent, first))

    now = time.monotonic()
    count = max(1, round(rate * seconds))
    await asyncio.gather(*(one(i, now + random.uniform(0, seconds)) for i in range(count)))
    return timed, errors


# --- one run ----------------------------------------------------------------------------------------------------------


async def one_run(count: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    global finish
    finish = asyncio.Event()
    home = Path(tempfile.mkdtemp(prefix=f"load-{count}-", dir=work))
    began = time.monotonic()
    users = await make_users(home, count)
    setup_seconds = time.monotonic() - began
    console.print(f"[bold]{count:,} sessions[/]: {count:,} users made in {setup_seconds:.0f} s")
    upstream_port, server_port = free_port(), free_port()
    upstream = f"http://127.0.0.1:{upstream_port}"
    python = sys.executable
    simulator = start(
        [python, "-m", "os1.testing", "--port", str(upstream_port), "--first-token", str(args.first_token),
         "--tokens-per-second", str(args.tokens_per_second)],
        dict(os.environ), home / "upstream.log",
    )  # fmt: skip
    server: subprocess.Popen[bytes] | None = None
    redis: subprocess.Popen[bytes] | None = None
    try:
        await wait_until_up(f"{upstream}/v1/models", simulator, home / "upstream.log")
        rate = count / args.interval
        console.print(f"baseline: the upstream alone, {rate:.1f} requests a second for {args.baseline_seconds:g} s")
        direct, direct_errors = await baseline(upstream_port, rate, args.baseline_seconds, args.reply_timeout)
        env = dict(os.environ, OS1_HOME=str(home), OS1_LLM_URL=f"{upstream}/v1")
        if args.server_path:
            env["PYTHONPATH"] = os.pathsep.join([args.server_path, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        if args.workers > 1:  # the workers share live users, per-user locks and news through a Redis of their own
            redis_port = free_port()
            redis = start(["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no"],
                          dict(os.environ), home / "redis.log")  # fmt: skip
            env["OS1_REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
        command = [python, "-m", "os1", "serve", "--port", str(server_port), "--workers", str(args.workers)]
        server = start(command, env, home / "server.log")
        await wait_until_up(f"http://127.0.0.1:{server_port}/healthz", server, home / "server.log")
        result = await converse(count, users, server, simulator, server_port, args, home)
        result["pace"] = {"interval_seconds": args.interval, "lines_per_second": round(count / args.interval, 1)}
        result["workers"] = args.workers
        async with httpx.AsyncClient(timeout=60) as client:
            records = (await client.get(f"{upstream}/upstream/requests")).json()["requests"]
        result["baseline"] = added_by(direct, direct_errors, {r["last"]: r for r in records})
        result["metrics"] = await server_metrics(server_port)
    finally:
        stopped = stop(server) if server is not None else None
        stop(simulator, 10)
        if redis is not None:
            stop(redis, 10)
    result["server_stop_seconds"] = round(stopped, 1) if stopped is not None else None  # killed at 60
    result |= analyse(result.pop("_run"), records)
    log = (home / "server.log").read_text(errors="replace")
    raised = collections.Counter(m.group(0)[:160] for m in re.finditer(r"^[\w.]+(?:Error|Exception): .*$", log, re.M))
    result["server_log"] = {"tracebacks": log.count("Traceback"), "exceptions": dict(raised.most_common(10)),
                            "tail": log[-1500:]}  # fmt: skip
    result["setup_seconds"] = round(setup_seconds, 1)
    if not args.keep:
        shutil.rmtree(home, ignore_errors=True)
    return result


async def converse(
    count: int, users: list[tuple[str, str]], server: subprocess.Popen[bytes], simulator: subprocess.Popen[bytes],
    port: int, args: argparse.Namespace, home: Path,
) -> dict[str, Any]:  # fmt: skip
    run = Run(count)
    url = f"ws://127.0.0.1:{port}/ws"
    t0 = time.monotonic() + 0.5
    ramp = count / args.connect_rate
    console.print(f"sessions: {count:,} connect over {ramp:.1f} s (planned), each greeted")
    tasks = [
        asyncio.create_task(session(run, i, name, key, url, t0 + i / args.connect_rate, args))
        for i, (name, key) in enumerate(users)
    ]
    lag = asyncio.create_task(measure_lag(run))
    samples: list[dict[str, float]] = []
    profiles: dict[str, subprocess.Popen[bytes]] = {}
    if args.profile:
        profiles["connects"] = profile_server(server.pid, home / "profile-connects.txt")
    pids = {"server": server.pid, "upstream": simulator.pid, "clients": os.getpid()}  # the clients: this process alone

    async def sample_until(end: float | None) -> None:
        """Every second, until ``end`` (or, with None, until every session is in)."""
        while not run.everyone.is_set() if end is None else time.monotonic() < end:
            samples.append({
                "t": round(time.monotonic() - t0, 1), "open": run.open_now,
                "rss_mb": status_kib(server.pid, "VmRSS") / 1024, "fds": open_fds(server.pid),
            })  # fmt: skip
            if end is not None:
                await asyncio.sleep(max(0.0, min(1.0, end - time.monotonic())))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(run.everyone.wait(), 1.0)

    await sample_until(None)
    connect_phase = time.monotonic() - t0
    if profiles:
        await stop_profile(profiles["connects"])
    start = time.monotonic() + args.settle
    run.window = (start, start + args.duration)
    run.talking.set()
    console.print(
        f"all in after {connect_phase:.1f} s: {run.open_now:,} sessions open; {args.duration:g} s of conversation "
        f"begin in {args.settle:g} s, a line every ~{args.interval:g} s each"
    )
    await sample_until(start)
    if args.profile:
        profiles["window"] = profile_server(server.pid, home / "profile-window.txt")
    collector_start = await collector_passes(port)
    cpu_start = {name: cpu_seconds(pid, children=name == "server") for name, pid in pids.items()} | {
        "machine": machine_busy_seconds()
    }
    await sample_until(run.window[1])
    elapsed = time.monotonic() - start
    used = {
        name: (cpu_seconds(pid, children=name == "server") - cpu_start[name]) / elapsed for name, pid in pids.items()
    }
    used["machine"] = (machine_busy_seconds() - cpu_start["machine"]) / elapsed  # others' work included
    collector = collector_window(collector_start, await collector_passes(port))
    if profiles:
        await stop_profile(profiles["window"])
    lag.cancel()
    rss_peak = max(s["rss_mb"] for s in samples)
    hwm = status_kib(server.pid, "VmHWM") / 1024
    console.print(f"window over: {run.open_now:,} open; waiting for the replies under way")
    under_way = [r.finished.wait() for r in run.replies if r.done is None and r.error is None]
    with contextlib.suppress(TimeoutError):  # such a reply is counted as an error by its session
        await asyncio.wait_for(asyncio.gather(*under_way), args.reply_timeout + 5)
    finish.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "_run": run,
        "connect_phase_seconds": round(connect_phase, 1),
        "cpu_cores": {name: round(value, 2) for name, value in used.items()},
        "collector_in_window": collector,
        "server_rss_mb": {"peak_sampled": round(rss_peak), "vm_hwm": round(hwm)},
        "server_fds_peak": max(s["fds"] for s in samples),
        "timeline": samples,
        "profile": {phase: summarise_profile(home / f"profile-{phase}.txt") for phase in profiles} or None,
    }


# --- figures ----------------------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def spread(seconds: list[float]) -> dict[str, Any]:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        **{f"p{q}": _round(percentile(ms, q)) for q in (50, 90, 99)},
        "max": _round(max(ms, default=None)),
    }


def added_by(
    direct: list[tuple[str, float, float]], errors: collections.Counter[str], records: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    added, own = [], []
    for text, sent, first in direct:
        record = records.get(text)
        if record and record["first"] is not None:
            own.append(record["first"] - record["received"])
            added.append((first - sent) - own[-1])
    return {"added_ms": spread(added), "upstream_first_token_ms": spread(own), "answered": len(direct),
            "errors": dict(errors)}  # fmt: skip


def analyse(run: Run, records: list[dict[str, Any]]) -> dict[str, Any]:
    texts = {r["last"]: r for r in records if r["kind"] == "text"}
    greetings = {m.group(1): r for r in records if r["kind"] == "text" and (m := GREETING.match(r["last"]))}
    figures: dict[str, Any] = {}
    parts: dict[str, Callable[[Reply], bool]] = {
        "say": lambda r: r.kind == "say",
        "say, drafted": lambda r: r.kind == "say" and r.drafted,
        "say, sent at once": lambda r: r.kind == "say" and not r.drafted,
        "greet": lambda r: r.kind == "greet",
    }
    for part, chosen in parts.items():
        added, before, after, client, own = [], [], [], [], []
        for reply in filter(chosen, run.replies):
            record = (greetings if reply.kind == "greet" else texts).get(reply.text)
            if reply.first is None or record is None or record["first"] is None:
                continue
            own.append(record["first"] - record["received"])
            client.append(reply.first - reply.sent)
            added.append(client[-1] - own[-1])
            before.append(record["received"] - reply.sent)
            after.append(reply.first - record["first"])
        figures[part] = {
            "asked": sum(map(chosen, run.replies)),
            "answered": sum(chosen(r) and r.done is not None and r.error is None for r in run.replies),
            "added_ms": spread(added), "before_upstream_ms": spread(before), "after_upstream_ms": spread(after),
            "client_first_delta_ms": spread(client), "upstream_first_token_ms": spread(own),
        }  # fmt: skip
    errors = collections.Counter(run.errors)
    errors.update(r.error for r in run.replies if r.error)
    return {
        "sessions": run.sessions,
        "connected": len(run.connect_seconds),
        "most_open_at_once": run.most_open,
        "open_at_window_end": run.open_at_window_end,
        "connect_ms": spread(run.connect_seconds),
        "replies": figures,
        "errors": dict(errors),
        "error_count": sum(errors.values()),
        "extraction_requests": sum(r["kind"] == "json" for r in records),
        "client_loop_lag_ms": spread(run.lag),
    }


async def server_metrics(port: int) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    except httpx.HTTPError as exc:
        return {"unanswered": _describe(exc)}
    wanted = ("os1_errors_total", "os1_messages_total", "os1_reply_first_token_seconds_count",
              "os1_reply_first_token_seconds_sum", "os1_websockets_open", "os1_user_spaces_open",
              "os1_vectors_held_bytes")  # fmt: skip
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
            if line.startswith(wanted)}  # fmt: skip


async def collector_passes(port: int) -> dict[str, float]:
    """The server's os1_gc_pause_seconds series (all its workers': each scrape reaches one, so with several
    workers this is one worker's)."""
    async with httpx.AsyncClient(timeout=60) as client:
        text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
            if line.startswith("os1_gc_pause_seconds")}  # fmt: skip


def collector_window(before: dict[str, float], after: dict[str, float]) -> dict[str, Any]:
    """The garbage collector's passes between two scrapes: how many, their seconds, and the bucket the longest
    fell in (the smallest bound every pass was under), in all and per generation."""
    grew = {key: value - before.get(key, 0.0) for key, value in after.items()}

    def passes(generation: str) -> dict[str, Any]:
        mine = {k: v for k, v in grew.items() if f'generation="{generation}"' in k or generation == "all"}
        count = sum(v for k, v in mine.items() if k.startswith("os1_gc_pause_seconds_count"))
        bounds = collections.Counter[float]()
        for key, value in mine.items():
            if match := re.match(r'os1_gc_pause_seconds_bucket\{.*le="([^"]+)"', key):
                bounds[float(match.group(1))] += int(value)
        longest = min((bound for bound, n in bounds.items() if n == count), default=None)
        seconds = sum(v for k, v in mine.items() if k.startswith("os1_gc_pause_seconds_sum"))
        return {"passes": int(count), "seconds": round(seconds, 3), "longest_under_seconds": longest}

    return {**passes("all"), "by_generation": {g: passes(g) for g in "012"}}


# --- profile ----------------------------------------------------------------------------------------------------------

# Where a sample counts, the first match from the innermost frame outwards; "file:function" substrings.
PARTS = [  # py-spy names a frame "function (path:line)"
    ("MiniLM embedding (onnxruntime, worker threads)", ("MiniLM.embed (",)),
    ("SQLite (the user's store, accounts)", ("(os1/memory/sqlite.py", "(os1/server/accounts.py")),
    ("recall: vectors, words, fusion", ("(os1/memory/recall.py", "(os1/memory/vectors.py", "(os1/memory/dates.py")),
    ("JSON", ("(json/",)),
    ("WebSocket protocol (websockets, deflate)", ("(websockets/", "websockets_sansio_impl")),
    ("upstream HTTP client (aiohttp)", ("(aiohttp/", "(yarl/", "(multidict/")),
    ("uvicorn, starlette, fastapi", ("(uvicorn/", "(starlette/", "(fastapi/")),
    ("prometheus metrics", ("(prometheus_client/",)),
    ("logging", ("(logging/",)),
    ("os1 companion, prompt, memory (Python)", ("(os1/",)),
    ("asyncio event loop", ("(asyncio/",)),
]


def profile_server(pid: int, output: Path) -> subprocess.Popen[bytes]:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    command = [spy, "record", "--pid", str(pid), "--rate", "100", "--format", "raw", "--nonblocking",
               "--subprocesses", "--output", str(output)]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def stop_profile(profile: subprocess.Popen[bytes]) -> None:
    """Have py-spy write what it has and stop (writing takes it a few seconds; the sessions go on meanwhile)."""
    profile.send_signal(signal.SIGINT)
    try:
        await asyncio.to_thread(profile.wait, 60)
    except subprocess.TimeoutExpired:
        profile.kill()


def summarise_profile(path: Path) -> dict[str, Any] | None:
    """Share of the server's busy samples per part (the innermost frame that names a part decides), and the
    functions that were on the CPU themselves most often."""
    if not path.exists():
        return None
    parts: collections.Counter[str] = collections.Counter()
    leaves: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if not number.isdigit():
            continue
        count, frames = int(number), stack.split(";")
        total += count
        leaves[frames[-1]] += count
        where = next((name for frame in reversed(frames) for name, marks in PARTS if any(m in frame for m in marks)),
                     "other (threads' waits, native)")  # fmt: skip
        parts[where] += count
    return {
        "samples": total,
        "parts_percent": {name: round(100 * n / total, 1) for name, n in parts.most_common()},
        "top_functions_percent": {name: round(100 * n / total, 1) for name, n in leaves.most_common(15)},
    }


# --- report -----------------------------------------------------------------------------------------------------------


def embedding_costs() -> dict[str, float]:
    """Milliseconds of one MiniLM call, in this process with nothing else running: a user's line as a recall
    query, and the line with a reply as extraction embeds a turn's pair (the batch is padded to the longest)."""
    embedder = MiniLM.from_settings(Settings.load())
    line = f"{LINES[1]} #12.3"
    costs = {}
    for label, texts in (("query", [line]), ("line and reply", [line, UPSTREAM_REPLY])):
        embedder.embed(texts)
        began = time.perf_counter()
        for _ in range(30):
            embedder.embed(texts)
        costs[label] = round((time.perf_counter() - began) / 30 * 1000, 1)
    return costs


def table(results: list[dict[str, Any]]) -> Table:
    """One column per N; "added" is the client's time to the first delta minus the upstream's own."""
    out = Table("", *(f"{r['sessions']:,} sessions" for r in results), title="os1 serve, N WebSocket sessions")

    def row(label: str, cell: Any) -> None:
        out.add_row(label, *(cell(r) for r in results))

    def pair(r: dict[str, Any], *path: str) -> str:
        found = r
        for key in path:
            found = found[key]
        return f"{_ms(found['p50'])} / {_ms(found['p99'])}"

    row(
        "pace: a line every ~s (lines/s)",
        lambda r: f"{r['pace']['interval_seconds']:g} ({r['pace']['lines_per_second']:g})" if "pace" in r else "",
    )
    row("server workers", lambda r: str(r.get("workers", 1)))
    row("connected", lambda r: f"{r['connected']:,} ({100 * r['connected'] / r['sessions']:.1f} %)")
    row("open through the window", lambda r: f"{r['open_at_window_end']:,}")
    row("lines answered", lambda r: f"{r['replies']['say']['answered']:,} / {r['replies']['say']['asked']:,}")
    row("[bold]added ms, p50 / p99[/]", lambda r: pair(r, "replies", "say", "added_ms"))
    row("  before the upstream", lambda r: pair(r, "replies", "say", "before_upstream_ms"))
    row("  after its first token", lambda r: pair(r, "replies", "say", "after_upstream_ms"))
    for part, label in (("say, drafted", "after a pause in the typing"), ("say, sent at once", "sent at once")):
        row(f"  {label}: share, added ms", lambda r, part=part: (
            f"{r['replies'][part]['asked'] / max(1, r['replies']['say']['asked']):.0%}, "
            + (pair(r, "replies", part, "added_ms") if r["replies"][part]["added_ms"]["n"] else "none")
        ) if part in r["replies"] else "")  # fmt: skip
    row("greeting: added ms", lambda r: pair(r, "replies", "greet", "added_ms"))
    row("upstream alone: added ms", lambda r: pair(r, "baseline", "added_ms"))
    row("client loop lag ms", lambda r: pair(r, "client_loop_lag_ms"))
    row(
        "server's GC passes: n, s, longest <",
        lambda r: (
            "{passes:,}, {seconds:.2f}, {longest_under_seconds:g} s".format(**r["collector_in_window"])
            if r.get("collector_in_window", {}).get("passes")
            else "none"
        ),
    )
    row("[bold]errors[/]", lambda r: f"{r['error_count']:,}")
    row("server RSS peak MB", lambda r: f"{r['server_rss_mb']['peak_sampled']:,}")
    row("CPU cores: server", lambda r: f"{r['cpu_cores']['server']:.2f}")
    row("  upstream / clients", lambda r: f"{r['cpu_cores']['upstream']:.2f} / {r['cpu_cores']['clients']:.2f}")
    row("  whole machine (others too)", lambda r: f"{r['cpu_cores']['machine']:.2f}")
    return out


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionClosed):
        return f"closed {exc.rcvd.code if exc.rcvd else 'without a code'} {exc.rcvd.reason if exc.rcvd else ''}".strip()
    return f"{type(exc).__name__}: {str(exc)[:80]}" if str(exc) else type(exc).__name__


def raise_fd_limit(largest: int) -> dict[str, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the server and the simulator inherit it
    need = largest + FDS_PER_STORE * min(largest, OPEN_FILES) + 1000  # sockets, stores, replies under way
    if hard < need:
        console.print(
            f"[yellow]open files: the limit here is {hard:,} a process; a server holding {largest:,} sessions needs "
            f"~{need:,} (a socket each, and {FDS_PER_STORE} for each of at most {OPEN_FILES:,} open stores), the "
            f"clients ~{largest + 1000:,}[/]"
        )
    return {"soft_before": soft, "limit": hard, "server_needs": need, "clients_need": largest + 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="100,1000,10000", help="the values of N, comma-separated")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of conversation once all are open")
    parser.add_argument("--interval", default="30", help="seconds between a session's lines, about: one for every "
                        "N, or one per N, comma-separated")  # fmt: skip
    parser.add_argument("--connect-rate", type=float, default=100.0, help="new sessions a second")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds between the last greeting and the window")
    parser.add_argument("--first-token", type=float, default=0.3, help="the upstream's seconds to its first token")
    parser.add_argument("--tokens-per-second", type=float, default=30.0, help="the upstream's pace after that")
    parser.add_argument("--baseline-seconds", type=float, default=20.0, help="length of the upstream-alone run")
    parser.add_argument("--reply-timeout", type=float, default=60.0)
    parser.add_argument(
        "--drafted",
        type=float,
        default=0.5,
        help="the share of lines handed over as a draft "
        f'(a "typing" message) {DRAFT_SECONDS:g} s before they are sent, as after a pause',
    )
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (more than one: with a Redis)")
    parser.add_argument("--profile", action="store_true", help="sample the server with py-spy (connects and window)")
    parser.add_argument("--server-path", help="put this source tree first on the server's PYTHONPATH (to try a change)")
    parser.add_argument("--work", default=tempfile.gettempdir(), help="where the temporary homes are made")
    parser.add_argument("--keep", action="store_true", help="keep each run's home (logs, databases)")
    parser.add_argument("--out", default="bench/results/load.json")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sessions.split(",")]
    intervals = [float(seconds) for seconds in args.interval.split(",")]
    if len(intervals) not in (1, len(sizes)):
        parser.error("--interval takes one value, or one for each value of --sessions")
    paces = dict(zip(sizes, intervals * len(sizes) if len(intervals) == 1 else intervals, strict=True))
    limits = raise_fd_limit(max(sizes))
    try:
        import uvloop

        loop_factory: Any = uvloop.new_event_loop
    except ImportError:
        loop_factory = None
    out = Path(args.out)
    earlier = json.loads(out.read_text())["runs"] if out.exists() else []  # a run of another N is kept
    results: list[dict[str, Any]] = []
    installed_models()
    embedding = embedding_costs()
    console.print(f"MiniLM, alone, ms a call: {embedding}")
    for count in sizes:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            measured = runner.run(one_run(count, argparse.Namespace(**vars(args) | {"interval": paces[count]}),
                                          Path(args.work)))  # fmt: skip
        results.append(measured | {"measured_at": datetime.now(UTC).isoformat(), "load_average": os.getloadavg()})
        kept = [r for r in earlier if r["sessions"] not in {n["sessions"] for n in results}]
        document = {
            "measured_at": datetime.now(UTC).isoformat(),
            "machine": {
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "load_average_1_5_15_min": os.getloadavg(),
            },
            "settings": {k: v for k, v in vars(args).items() if k not in ("out", "work")},
            "open_files": limits,
            "minilm_ms_per_call": embedding,
            "runs": sorted(kept + results, key=lambda r: int(r["sessions"])),
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(document, indent=1, ensure_ascii=False))
    every = json.loads(out.read_text())["runs"]
    console.print(table(every))
    for r in every:
        if r["errors"]:
            console.print(f"errors at {r['sessions']:,}: " + ", ".join(f"{k} x{n:,}" for k, n in r["errors"].items()))
        for phase, profile in (r.get("profile") or {}).items():
            if profile:
                parts = ", ".join(f"{k} {v} %" for k, v in profile["parts_percent"].items())
                console.print(f"server's samples at {r['sessions']:,}, {phase} (py-spy): {parts}")
    console.print(f"wrote {out}")


if __name__ == "__main__":
    main()
