"""Who is asking: a session cookie (the web app) or an API key (programs), and the routes that hand them out.

A request signed in by cookie that changes something must carry the session's CSRF token in the
``X-CSRF-Token`` header (a page of another site cannot read it, so it cannot forge the request). A request
with an API key (``Authorization: Bearer os1_...``) needs none: browsers never send it on their own.
The cookie is HttpOnly and SameSite=Lax, and Secure when the server is reached over HTTPS.

The first account made on a server is its administrator. An administrator can list, create, disable and
enable accounts, and give one a new password, and nothing more: no route gives anyone a user's companion,
memory or transcript but that user's own session or key. A user can change their password and delete their
account, which deletes everything their companion holds.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from starlette.requests import HTTPConnection

from os1.errors import AccessError, SignInError
from os1.server.accounts import SESSION_DAYS, ApiKey, Session, User
from os1.server.limits import Rule
from os1.server.services import Services, services

COOKIE = "os1_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
SIGN_IN = Rule("sign-in attempts per address", per_minute=10, burst=10)

router = APIRouter(prefix="/api")


@dataclass(frozen=True)
class Caller:
    user: User
    session: Session | None  # None when an API key was used
    token: str | None = None  # the session's cookie


def identify(connection: HTTPConnection, *, method: str = "GET") -> Caller:
    """The caller of a request or WebSocket, from its API key or its session cookie; ``SignInError`` if none."""
    found = services(connection)
    authorization = connection.headers.get("authorization", "")
    if authorization[:7].lower() == "bearer ":
        user = found.accounts.user_for_key(authorization[7:].strip())
        if user is None:
            raise SignInError("this API key is not valid: it was revoked, or its account is disabled")
        return Caller(user, None)
    token = connection.cookies.get(COOKIE)
    session = found.accounts.session(token) if token else None
    if token is None or session is None:
        raise SignInError("your session has ended: sign in again" if token else "sign in first")
    if method not in SAFE_METHODS and not secrets.compare_digest(connection.headers.get(CSRF_HEADER, ""), session.csrf):
        raise AccessError(f"the {CSRF_HEADER} header is missing or wrong: reload the page and try again")
    return Caller(session.user, session, token)


def caller(request: Request) -> Caller:
    return identify(request, method=request.method)


def admin(request: Request) -> Caller:
    who = caller(request)
    if not who.user.admin:
        raise AccessError("only the server's administrator may do this")
    return who


Signed = Annotated[Caller, Depends(caller)]
Admin = Annotated[Caller, Depends(admin)]
Found = Annotated[Services, Depends(services)]


class Credentials(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class NewUser(Credentials):
    admin: bool = False


class NewKey(BaseModel):
    name: str = Field(default="key", max_length=80)


class Disabled(BaseModel):
    disabled: bool


class NewPassword(BaseModel):
    current: str = Field(max_length=1024)
    new: str = Field(max_length=1024)


class Password(BaseModel):
    password: str = Field(max_length=1024)


@router.post("/signup", status_code=201)
async def sign_up(body: Credentials, request: Request, response: Response, found: Found) -> dict[str, Any]:
    """Make an account and sign in to it. The first account on a server is its administrator."""
    found.limits.take(SIGN_IN, _address(request))
    first = not found.accounts.users()
    user = await found.accounts.create_user(body.email, body.password, admin=first)
    return _signed_in(found, user, request, response)


@router.post("/login")
async def log_in(body: Credentials, request: Request, response: Response, found: Found) -> dict[str, Any]:
    found.limits.take(SIGN_IN, _address(request))
    user = await found.accounts.sign_in(body.email, body.password)
    return _signed_in(found, user, request, response)


@router.post("/logout", status_code=204)
async def log_out(who: Signed, response: Response, found: Found) -> None:
    if who.token is not None:
        found.accounts.end_session(who.token)
    response.delete_cookie(COOKIE, path="/")


@router.post("/password", status_code=204)
async def change_password(body: NewPassword, who: Signed, request: Request, found: Found) -> None:
    """Change your password; every other session of yours ends (this one goes on)."""
    found.limits.take(SIGN_IN, _address(request))
    await found.accounts.change_password(who.user, body.current, body.new, keep=who.token)


@router.delete("/me", status_code=204)
async def delete_account(body: Password, who: Signed, request: Request, response: Response, found: Found) -> None:
    """Delete your account and everything your companion holds: its memory, your conversations, its persona.
    There is no undo; export first (GET /api/export) to keep a copy."""
    found.limits.take(SIGN_IN, _address(request))
    await found.accounts.delete_user(who.user, body.password)
    await found.spaces.erase(who.user.id)
    response.delete_cookie(COOKIE, path="/")


@router.get("/keys")
async def list_keys(who: Signed, found: Found) -> dict[str, Any]:
    return {"keys": [_key(k) for k in found.accounts.keys(who.user)]}


@router.post("/keys", status_code=201)
async def make_key(body: NewKey, who: Signed, found: Found) -> dict[str, Any]:
    """A new API key: its secret is in this answer only."""
    secret, key = found.accounts.create_key(who.user, body.name)
    return {"key": _key(key), "secret": secret}


@router.delete("/keys/{key_id}", status_code=204)
async def revoke_key(key_id: str, who: Signed, found: Found) -> None:
    found.accounts.revoke_key(who.user, key_id)


@router.get("/admin/users")
async def list_users(_: Admin, found: Found) -> dict[str, Any]:
    """Every account: its email, when it was made, whether it is an administrator or disabled. Nothing else."""
    return {"users": [user_record(u) for u in found.accounts.users()]}


@router.post("/admin/users", status_code=201)
async def add_user(body: NewUser, _: Admin, found: Found) -> dict[str, Any]:
    return {"user": user_record(await found.accounts.create_user(body.email, body.password, admin=body.admin))}


@router.put("/admin/users/{user_id}/disabled")
async def disable_user(user_id: str, body: Disabled, who: Admin, found: Found) -> dict[str, Any]:
    if user_id == who.user.id and body.disabled:
        raise AccessError("an administrator cannot disable their own account")
    return {"user": user_record(found.accounts.set_disabled(user_id, body.disabled))}


@router.put("/admin/users/{user_id}/password")
async def reset_password(user_id: str, body: Password, _: Admin, found: Found) -> dict[str, Any]:
    """Give an account a new password (for someone who lost theirs): its sessions end. Nothing of theirs is
    shown."""
    return {"user": user_record(await found.accounts.reset_password(user_id, body.password))}


def user_record(user: User) -> dict[str, Any]:
    return {
        "id": user.id, "email": user.email, "created_at": user.created_at.isoformat(), "admin": user.admin,
        "disabled": user.disabled,
    }  # fmt: skip


def _signed_in(found: Services, user: User, request: Request, response: Response) -> dict[str, Any]:
    token, session = found.accounts.start_session(user)
    secure = found.secure_cookies or request.url.scheme == "https"
    response.set_cookie(
        COOKIE, token, max_age=SESSION_DAYS * 86400, path="/", httponly=True, samesite="lax", secure=secure
    )
    return {"user": user_record(user), "csrf": session.csrf}


def _key(key: ApiKey) -> dict[str, Any]:
    used = key.last_used_at.isoformat() if isinstance(key.last_used_at, datetime) else None
    return {"id": key.id, "name": key.name, "created_at": key.created_at.isoformat(), "last_used_at": used}


def _address(request: HTTPConnection) -> str:
    return request.client.host if request.client else "unknown"
