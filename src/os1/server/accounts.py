"""Who may use the server: accounts, sign-in sessions and API keys, in one SQLite file (``$OS1_HOME/accounts.db``).

A user's own data (their companion, memory, transcript) lives apart, in ``users/<id>/os1.db``; this file holds
only what lets them in. Passwords are hashed with argon2id (argon2-cffi's defaults, rehashed when those
change). Session tokens and API keys are random and shown once: only their SHA-256 is stored, so a copy of
this file lets nobody in. A session lasts ``SESSION_DAYS`` from its last use. Disabling an account ends its
sessions; its keys stop working while it is disabled. A new password ends every other session.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import apsw
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from os1.errors import AccessError, InputError, NotFound, SignInError, StoreError

SESSION_DAYS = 30
MIN_PASSWORD, MAX_PASSWORD = 8, 1024
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
KEY_PREFIX = "os1_"

SCHEMA = """
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    admin INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id);
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT
);
CREATE INDEX api_keys_by_user ON api_keys(user_id);
"""


@dataclass(frozen=True)
class User:
    id: str
    email: str
    created_at: datetime
    admin: bool = False
    disabled: bool = False


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str  # sent back in the X-CSRF-Token header of every request that changes something
    expires_at: datetime


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None


class Accounts:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._hasher = PasswordHasher()
        self._dummy = self._hasher.hash(secrets.token_hex(16))  # checked when the email is unknown: same time
        try:
            self._db = apsw.Connection(str(path))
            self._db.set_busy_timeout(5000)
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "secure_delete=ON"):
                self._db.execute(f"PRAGMA {pragma}").fetchall()
            if self._db.execute("PRAGMA user_version").get == 0:
                with self._db:
                    self._db.execute(SCHEMA)
                    self._db.execute("PRAGMA user_version = 1")
        except apsw.Error as exc:
            raise StoreError(f"the accounts file {path} cannot be used ({exc}): move it aside to start afresh") from exc

    def close(self) -> None:
        self._db.close()

    # accounts

    async def create_user(self, email: str, password: str, *, admin: bool = False) -> User:
        email = _checked_email(email)
        _check_password(password)
        if self._db.execute("SELECT 1 FROM users WHERE email = ?", (email,)).fetchone():
            raise InputError(f"there is already an account for {email}: sign in instead")
        password_hash = await asyncio.to_thread(self._hasher.hash, password)
        user = User(secrets.token_hex(8), email, _now(), admin=admin)
        try:
            self._db.execute(
                "INSERT INTO users (id, email, password_hash, created_at, admin) VALUES (?, ?, ?, ?, ?)",
                (user.id, user.email, password_hash, user.created_at.isoformat(), int(admin)),
            )
        except apsw.ConstraintError as exc:  # signed up twice at once
            raise InputError(f"there is already an account for {email}: sign in instead") from exc
        return user

    async def change_password(self, user: User, current: str, new: str, *, keep: str | None = None) -> None:
        """Change ``user``'s password, given the current one; every session but ``keep`` (a token) ends."""
        await self._verify(user.id, current)
        await self._set_password(user.id, new, keep=keep)

    async def reset_password(self, user_id: str, new: str) -> User:
        """Give an account a new password (the administrator, for a user who lost theirs); its sessions end."""
        user = self.user(user_id)
        if user is None:
            raise NotFound(f"there is no user {user_id!r}")
        await self._set_password(user_id, new)
        return user

    async def delete_user(self, user: User, password: str) -> None:
        """Delete ``user``'s account, its sessions and keys, given its password (their data is the caller's)."""
        await self._verify(user.id, password)
        self._db.execute("DELETE FROM users WHERE id = ?", (user.id,))  # sessions and keys go with it

    async def _verify(self, user_id: str, password: str) -> None:
        row = self._db.execute("SELECT password_hash FROM users WHERE id = ?", (user_id,)).fetchone()
        try:
            await asyncio.to_thread(self._hasher.verify, str(row[0]) if row else self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            raise AccessError("the password is wrong") from None  # signed in, but not allowed: not a 401
        if row is None:
            raise NotFound(f"there is no user {user_id!r}")

    async def _set_password(self, user_id: str, password: str, *, keep: str | None = None) -> None:
        _check_password(password)
        password_hash = await asyncio.to_thread(self._hasher.hash, password)
        with self._db:
            self._db.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))
            self._db.execute(
                "DELETE FROM sessions WHERE user_id = ? AND token_hash IS NOT ?", (user_id, keep and _hash(keep))
            )

    async def sign_in(self, email: str, password: str) -> User:
        """The user with this email and password; ``SignInError`` otherwise (the same for a wrong email and a
        wrong password, and taking as long)."""
        row = self._db.execute("SELECT id, password_hash FROM users WHERE email = ?", (email.strip(),)).fetchone()
        stored = str(row[1]) if row else self._dummy
        try:
            await asyncio.to_thread(self._hasher.verify, stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            row = None
        if row is None:
            raise SignInError("wrong email or password")
        user = self.user(str(row[0]))
        if user is None or user.disabled:
            raise SignInError("this account is disabled: ask the server's administrator")
        if self._hasher.check_needs_rehash(stored):
            new_hash = await asyncio.to_thread(self._hasher.hash, password)
            self._db.execute("UPDATE users SET password_hash = ? WHERE id = ?", (new_hash, user.id))
        return user

    def user(self, user_id: str) -> User | None:
        row = self._db.execute(
            "SELECT id, email, created_at, admin, disabled FROM users WHERE id = ?", (user_id,)
        ).fetchone()
        return _user(row) if row else None

    def users(self) -> list[User]:
        rows = self._db.execute("SELECT id, email, created_at, admin, disabled FROM users ORDER BY created_at")
        return [_user(row) for row in rows]

    def set_disabled(self, user_id: str, disabled: bool) -> User:
        with self._db:
            changed = self._db.execute(
                "UPDATE users SET disabled = ? WHERE id = ? RETURNING id", (int(disabled), user_id)
            ).fetchall()
            if disabled:
                self._db.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
        user = self.user(user_id)
        if not changed or user is None:
            raise NotFound(f"there is no user {user_id!r}")
        return user

    # sessions

    def start_session(self, user: User) -> tuple[str, Session]:
        """A new session: its token (for the cookie, shown once) and what it holds."""
        token = secrets.token_urlsafe(32)
        session = Session(user, secrets.token_urlsafe(24), _now() + timedelta(days=SESSION_DAYS))
        self._db.execute(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (_hash(token), user.id, session.csrf, _now().isoformat(), session.expires_at.isoformat()),
        )
        return token, session

    def session(self, token: str) -> Session | None:
        """The live session of this token (its expiry moved on), or None when it is unknown or has expired."""
        row = self._db.execute(
            "SELECT s.csrf, s.expires_at, u.id, u.email, u.created_at, u.admin, u.disabled "
            "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
            (_hash(token),),
        ).fetchone()
        if row is None:
            return None
        user = _user(row[2:])
        if datetime.fromisoformat(str(row[1])) <= _now() or user.disabled:
            self._db.execute("DELETE FROM sessions WHERE token_hash = ?", (_hash(token),))
            return None
        expires = _now() + timedelta(days=SESSION_DAYS)
        if expires - datetime.fromisoformat(str(row[1])) > timedelta(hours=1):  # not a write on every request
            self._db.execute(
                "UPDATE sessions SET expires_at = ? WHERE token_hash = ?", (expires.isoformat(), _hash(token))
            )
        return Session(user, str(row[0]), expires)

    def end_session(self, token: str) -> None:
        self._db.execute("DELETE FROM sessions WHERE token_hash = ?", (_hash(token),))

    def expire_session(self, token: str) -> None:
        """End a session as if its time had run out (for tests of what an expired session gets)."""
        self._db.execute("UPDATE sessions SET expires_at = ? WHERE token_hash = ?", (_now().isoformat(), _hash(token)))

    # API keys

    def create_key(self, user: User, name: str) -> tuple[str, ApiKey]:
        """A new API key for ``user``: the secret (shown once) and its record."""
        name = name.strip()[:80] or "key"
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(secrets.token_hex(6), name, _now(), None)
        self._db.execute(
            "INSERT INTO api_keys (id, user_id, key_hash, name, created_at) VALUES (?, ?, ?, ?, ?)",
            (key.id, user.id, _hash(secret), key.name, key.created_at.isoformat()),
        )
        return secret, key

    def keys(self, user: User) -> list[ApiKey]:
        rows = self._db.execute(
            "SELECT id, name, created_at, last_used_at FROM api_keys WHERE user_id = ? ORDER BY created_at", (user.id,)
        )
        return [ApiKey(str(i), str(n), _time(c), _time(u) if u else None) for i, n, c, u in rows]

    def revoke_key(self, user: User, key_id: str) -> None:
        """Revoke one of ``user``'s keys (a key of someone else's is "not found", as if it did not exist)."""
        gone = self._db.execute(
            "DELETE FROM api_keys WHERE id = ? AND user_id = ? RETURNING id", (key_id, user.id)
        ).fetchall()
        if not gone:
            raise NotFound(f"you have no API key {key_id!r}")

    def user_for_key(self, secret: str) -> User | None:
        row = self._db.execute(
            "SELECT k.id, u.id, u.email, u.created_at, u.admin, u.disabled "
            "FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = ?",
            (_hash(secret),),
        ).fetchone()
        if row is None:
            return None
        user = _user(row[1:])
        if user.disabled:
            return None
        self._db.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", (_now().isoformat(), row[0]))
        return user


def _checked_email(email: str) -> str:
    email = email.strip()
    if not EMAIL.match(email) or len(email) > 254:
        raise InputError(f"{email[:80]!r} is not an email address")
    return email


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password is too short: use at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InputError(f"the password is too long: at most {MAX_PASSWORD} characters")


def _user(row: Sequence[Any]) -> User:
    user_id, email, created_at, admin, disabled = row
    return User(str(user_id), str(email), _time(created_at), bool(admin), bool(disabled))


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _time(value: object) -> datetime:
    return datetime.fromisoformat(str(value))


def _now() -> datetime:
    return datetime.now(UTC)
