"""``os1 serve`` as an operator runs it: a real process on the embedded model (real llama.cpp, the small model),
reached over HTTP and the WebSocket, stopped with Ctrl-C."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from os1.memory.store import Persona, Profile
from tests.serving import Server, free_port
from tests.test_cli import environ_without_colour

pytestmark = pytest.mark.model


def test_the_server_answers_with_the_embedded_model_and_stops_on_ctrl_c(
    home: Path, small_model_path: Path, persona: Persona, profile: Profile
) -> None:
    port = free_port()
    env = environ_without_colour({**os.environ, "OS1_HOME": str(home), "OS1_MODEL": str(small_model_path)})
    process = subprocess.Popen([sys.executable, "-m", "os1", "serve", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        server = Server(url, home)
        client, said = server.sign_up("theo@example.org")
        assert said["user"]["admin"] is True
        server.meet(said["user"]["id"], persona, profile)
        assert client.get("/", follow_redirects=True).headers["content-type"].startswith("text/html")  # the web app
        cookie = {"Cookie": f"os1_session={client.cookies['os1_session']}"}
        with connect(f"ws://127.0.0.1:{port}/ws", additional_headers=cookie, open_timeout=10) as socket:
            assert json.loads(socket.recv(timeout=30))["companion"] == {"name": "Samantha"}
            socket.send(json.dumps({"type": "say", "id": "m1", "text": "Hello! How are you today?"}))
            while (message := json.loads(socket.recv(timeout=120)))["type"] == "delta":
                pass
        assert message["type"] == "done" and message["text"].strip(), message  # the real model's words
        assert "os1_messages_total" in client.get("/metrics").text
        for open_client in server.clients:
            open_client.close()
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert f"serving on http://127.0.0.1:{port}" in err


def test_several_workers_need_redis(home: Path, small_model_path: Path) -> None:
    env = environ_without_colour({**os.environ, "OS1_HOME": str(home), "OS1_MODEL": str(small_model_path)})
    env.pop("OS1_REDIS_URL", None)
    result = subprocess.run([sys.executable, "-m", "os1", "serve", "--workers", "2"], env=env, capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert result.returncode == 1 and "OS1_REDIS_URL" in result.stderr
