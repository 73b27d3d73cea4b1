"""Accounts on the real server: sign-up, sign-in, sign-out, sessions and their cookies, CSRF, API keys, the
administrator's powers (and their limit), rate limits."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from os1.memory.embed import MiniLM
from os1.memory.sqlite import user_db_path
from os1.memory.store import Persona, Profile
from os1.server.accounts import Accounts
from os1.testing import ScriptedLLM
from tests.serving import Server, serving, talk


@pytest.fixture
def server(home: Path, embedder: MiniLM) -> Iterator[Server]:
    with serving(home, ScriptedLLM(*[talk] * 50), embedder) as running:
        yield running


def test_sign_up_sign_in_and_out(server: Server) -> None:
    client, first = server.sign_up("ada@example.org")
    assert first["user"]["admin"] is True and first["user"]["email"] == "ada@example.org"  # the first is admin
    cookie = next(iter(client.cookies.jar))
    assert cookie.name == "os1_session" and cookie.has_nonstandard_attr("HttpOnly")
    raw = client.post("/api/logout")  # the CSRF header is set by sign_up: accepted
    assert raw.status_code == 204
    assert client.get("/api/keys").status_code == 401  # the session is over
    _, second = server.sign_up("bob@example.org")
    assert second["user"]["admin"] is False

    with server.client() as anyone:
        wrong = anyone.post("/api/login", json={"email": "ada@example.org", "password": "not the password"})
        unknown = anyone.post("/api/login", json={"email": "nobody@example.org", "password": "whatever1"})
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json() == {"error": {"message": "wrong email or password",
                                                           "type": "authentication_error"}}  # fmt: skip
        again = anyone.post("/api/login", json={"email": "ADA@example.org", "password": "correct horse battery"})
        assert again.status_code == 200 and again.json()["user"]["id"] == first["user"]["id"]
        taken = anyone.post("/api/signup", json={"email": "ada@example.org", "password": "something else"})
        assert taken.status_code == 400 and "already an account" in taken.json()["error"]["message"]
        short = anyone.post("/api/signup", json={"email": "cy@example.org", "password": "short"})
        assert short.status_code == 400 and "at least 8" in short.json()["error"]["message"]
        not_email = anyone.post("/api/signup", json={"email": "cy", "password": "long enough"})
        assert not_email.status_code == 400 and "not an email" in not_email.json()["error"]["message"]


def test_a_cookie_without_its_csrf_token_changes_nothing(server: Server) -> None:
    client, _ = server.sign_up("ada@example.org")
    token = client.headers.pop("X-CSRF-Token")
    refused = client.post("/api/keys", json={"name": "laptop"})
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["error"]["message"]
    assert client.get("/api/keys").json() == {"keys": []}  # reading needs no token, and nothing was made
    client.headers["X-CSRF-Token"] = "a guess"
    assert client.post("/api/keys", json={"name": "laptop"}).status_code == 403
    client.headers["X-CSRF-Token"] = token
    assert client.post("/api/keys", json={"name": "laptop"}).status_code == 201


def test_an_expired_session_is_refused(server: Server) -> None:
    client, _ = server.sign_up("ada@example.org")
    accounts = Accounts(server.home / "accounts.db")
    accounts.expire_session(client.cookies["os1_session"])
    accounts.close()
    answer = client.get("/api/keys")
    assert answer.status_code == 401 and "sign in again" in answer.json()["error"]["message"]


def test_api_keys_are_shown_once_work_and_can_be_revoked(server: Server) -> None:
    ada, _ = server.sign_up("ada@example.org")
    bob, _ = server.sign_up("bob@example.org")
    made = ada.post("/api/keys", json={"name": "laptop"}).json()
    secret, key = made["secret"], made["key"]
    assert secret.startswith("os1_") and ada.get("/api/keys").json()["keys"] == [key]  # listed without the secret
    assert secret not in (server.home / "accounts.db").read_bytes().decode("latin-1")  # only its hash is kept
    with server.client() as program:
        program.headers["Authorization"] = f"Bearer {secret}"
        assert program.get("/v1/models").status_code == 200
        assert program.post("/api/keys", json={"name": "more"}).status_code == 201  # no CSRF with a key
        assert bob.delete(f"/api/keys/{key['id']}").status_code == 404  # not bob's: as if it did not exist
        assert program.get("/v1/models").status_code == 200
        assert ada.delete(f"/api/keys/{key['id']}").status_code == 204
        refused = program.get("/v1/models")
        assert refused.status_code == 401 and "revoked" in refused.json()["error"]["message"]


def test_the_administrator_manages_accounts_and_nothing_more(server: Server) -> None:
    admin, _ = server.sign_up("ada@example.org")
    bob, bob_said = server.sign_up("bob@example.org")
    bob_key = bob.post("/api/keys", json={"name": "cli"}).json()["secret"]
    assert bob.get("/api/admin/users").status_code == 403
    users = admin.get("/api/admin/users").json()["users"]
    assert [u["email"] for u in users] == ["ada@example.org", "bob@example.org"]
    assert all(set(u) == {"id", "email", "created_at", "admin", "disabled"} for u in users)
    made = admin.post("/api/admin/users", json={"email": "cy@example.org", "password": "a fine password"})
    assert made.status_code == 201 and made.json()["user"]["admin"] is False
    bob_id = bob_said["user"]["id"]
    disabled = admin.put(f"/api/admin/users/{bob_id}/disabled", json={"disabled": True})
    assert disabled.status_code == 200 and disabled.json()["user"]["disabled"] is True
    assert bob.get("/api/keys").status_code == 401  # signed out everywhere
    with server.client() as program:
        program.headers["Authorization"] = f"Bearer {bob_key}"
        assert program.get("/v1/models").status_code == 401
        login = program.post("/api/login", json={"email": "bob@example.org", "password": "correct horse battery"})
        assert login.status_code == 401 and "disabled" in login.json()["error"]["message"]
        admin.put(f"/api/admin/users/{bob_id}/disabled", json={"disabled": False})
        assert program.get("/v1/models").status_code == 200  # the key works again
    own = admin.put(f"/api/admin/users/{users[0]['id']}/disabled", json={"disabled": True})
    assert own.status_code == 403
    paths = admin.get("/api/openapi.json").json()["paths"]
    assert [p for p in paths if "{user_id}" in p] == [  # no way into anyone's data
        "/api/admin/users/{user_id}/disabled",
        "/api/admin/users/{user_id}/password",
    ]
    reset = admin.put(f"/api/admin/users/{bob_id}/password", json={"password": "a new start"})
    assert reset.status_code == 200 and set(reset.json()["user"]) == {"id", "email", "created_at", "admin", "disabled"}
    assert bob.post("/api/login", json={"email": "bob@example.org", "password": "a new start"}).status_code == 200
    assert admin.put("/api/admin/users/nobody/password", json={"password": "a new start"}).status_code == 404


def test_a_new_password_ends_every_other_session(server: Server) -> None:
    here, _ = server.sign_up("ada@example.org")
    with server.client() as there:
        assert there.post("/api/login", json={"email": "ada@example.org", "password": "correct horse battery"})
        wrong = here.post("/api/password", json={"current": "not it", "new": "a longer secret"})
        assert wrong.status_code == 403 and wrong.json()["error"]["message"] == "the password is wrong"
        short = here.post("/api/password", json={"current": "correct horse battery", "new": "short"})
        assert short.status_code == 400
        changed = here.post("/api/password", json={"current": "correct horse battery", "new": "a longer secret"})
        assert changed.status_code == 204
        assert there.get("/api/keys").status_code == 401 and here.get("/api/keys").status_code == 200
        old = there.post("/api/login", json={"email": "ada@example.org", "password": "correct horse battery"})
        assert old.status_code == 401
        assert there.post("/api/login", json={"email": "ada@example.org", "password": "a longer secret"}).is_success


def test_deleting_an_account_deletes_everything_its_companion_holds(
    server: Server, persona: Persona, profile: Profile
) -> None:
    server.sign_up("ada@example.org")  # the administrator, who stays
    bob, said = server.sign_up("bob@example.org")
    bob_id = said["user"]["id"]
    server.meet(bob_id, persona, profile)
    cookie = {"Cookie": f"os1_session={bob.cookies['os1_session']}"}
    with connect(server.ws_url, additional_headers=cookie, open_timeout=10) as socket:
        assert json.loads(socket.recv(timeout=10))["type"] == "ready"
        socket.send(json.dumps({"type": "say", "id": "m1", "text": "My sister is called Ana."}))
        while json.loads(socket.recv(timeout=30))["type"] != "done":
            pass
        wrong = bob.request("DELETE", "/api/me", json={"password": "not it"})
        assert wrong.status_code == 403 and user_db_path(server.home, bob_id).exists()
        assert bob.request("DELETE", "/api/me", json={"password": "correct horse battery"}).status_code == 204
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                socket.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
        assert closed.value.rcvd.reason == "this account was deleted"
    assert not user_db_path(server.home, bob_id).parent.exists()  # their file, -wal and -shm, and folder
    assert bob.get("/api/me").status_code == 401
    with server.client() as anyone:
        login = anyone.post("/api/login", json={"email": "bob@example.org", "password": "correct horse battery"})
        assert login.status_code == 401
    again, said_again = server.sign_up("bob@example.org")  # the address is free; nothing of before is there
    assert said_again["user"]["id"] != bob_id and again.get("/api/onboarding").json()["done"] is False


def test_guessing_passwords_is_slowed_down(server: Server) -> None:
    with server.client() as client:
        answers = [
            client.post("/api/login", json={"email": "a@example.org", "password": f"guess {i}"}) for i in range(11)
        ]
        assert [a.status_code for a in answers[:10]] == [401] * 10
        assert answers[10].status_code == 429 and int(answers[10].headers["Retry-After"]) >= 1
        assert "too many" in answers[10].json()["error"]["message"]
