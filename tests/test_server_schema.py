"""Schemathesis against the real server's OpenAPI description: generated requests to every operation, as an
administrator with an API key (so every route is reached), and not one answered with a server error."""

import subprocess
import sys
from pathlib import Path

from os1.memory.embed import MiniLM
from os1.memory.store import Persona, Profile
from os1.testing import ScriptedLLM
from tests.serving import serving, talk


def test_no_generated_request_gets_a_server_error(
    home: Path, embedder: MiniLM, persona: Persona, profile: Profile, tmp_path: Path
) -> None:
    with serving(home, ScriptedLLM(*[talk] * 5000), embedder) as server:
        client, said = server.sign_up("ada@example.org")  # the first account: the administrator
        server.meet(said["user"]["id"], persona, profile)
        secret = client.post("/api/keys", json={"name": "schemathesis"}).json()["secret"]
        run = subprocess.run(
            [str(Path(sys.executable).parent / "schemathesis"), "run", f"{server.url}/api/openapi.json",
             "--checks", "not_a_server_error", "--max-examples", "20", "--workers", "1", "--seed", "1",
             "--rate-limit", "15/s",  # under the per-address limit, so requests reach the routes
             "--header", f"Authorization: Bearer {secret}", "--request-timeout", "30",
             "--report", "junit", "--report-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout[-4000:]
        assert "No issues found" in run.stdout or " passed" in run.stdout, run.stdout[-2000:]
