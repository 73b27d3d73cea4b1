"""How an os1 error is told over HTTP: its status and its type, in the shape OpenAI's API uses
(``{"error": {"message", "type"}}``), as a whole response or as one line of a stream already under way."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from os1.errors import (
    AccessError,
    InputError,
    LLMError,
    NotFound,
    OS1Error,
    SignInError,
    StoreError,
    TooLarge,
    TooMany,
)

STATUS: list[tuple[type[OS1Error], int, str]] = [  # the first that matches
    (TooMany, 429, "rate_limit_exceeded"),
    (SignInError, 401, "authentication_error"),
    (AccessError, 403, "permission_error"),
    (NotFound, 404, "not_found_error"),
    (TooLarge, 413, "request_too_large"),
    (InputError, 400, "invalid_request_error"),
    (LLMError, 503, "model_unavailable"),
    (StoreError, 503, "storage_unavailable"),
    (OS1Error, 500, "server_error"),
]


def error_record(exc: OS1Error) -> dict[str, Any]:
    """The error as the body of an answer, or as a line of a stream."""
    kind = next(kind for cls, _, kind in STATUS if isinstance(exc, cls))
    return {"error": {"message": str(exc), "type": kind}}


def error_response(exc: OS1Error) -> JSONResponse:
    status = next(status for cls, status, _ in STATUS if isinstance(exc, cls))
    headers = {"Retry-After": str(max(1, round(exc.retry_after)))} if isinstance(exc, TooMany) else None
    return JSONResponse(error_record(exc), status_code=status, headers=headers)
