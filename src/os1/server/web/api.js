// The server's JSON API (src/os1/server/api.py and auth.py): one fetch wrapper that sends the session's
// CSRF token with every request that changes something, and turns an error answer into an ApiError whose
// message a person can read.

let csrf = null;

/** The session's CSRF token (from sign-in or GET /api/me); null when signed out. */
export function setCsrf(token) {
  csrf = token;
}

export class ApiError extends Error {
  constructor(message, status, retryAfter = 0) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/** The server's words as a sentence: "wrong email or password" -> "Wrong email or password." */
export function sentence(words) {
  const text = String(words ?? "").trim();
  if (!text) return "";
  const capital = text[0].toUpperCase() + text.slice(1);
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`;
}

// A body is sent as JSON; a File (an import) is sent as it is.
async function request(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined || body instanceof Blob ? body : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError("OS1 can't be reached just now. Check your connection, then try again.", 0);
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (response.ok) return data;
  const retryAfter = Number(response.headers.get("Retry-After")) || 0;
  const message = sentence(data?.error?.message) || `Something went wrong (HTTP ${response.status}). Try again.`;
  if (response.status === 401 && csrf) {
    window.dispatchEvent(new CustomEvent("os1:signed-out", { detail: message }));
  }
  throw new ApiError(message, response.status, retryAfter);
}

/**
 * POST ``body`` and read the answer as it comes, a JSON object a line (application/x-ndjson), each handed to
 * ``onPart``; an error line, or an error answer, is thrown as an ApiError.
 */
export async function postStreamed(path, body, onPart) {
  const headers = { Accept: "application/x-ndjson", "Content-Type": "application/json" };
  if (csrf) headers["X-CSRF-Token"] = csrf;
  let response;
  try {
    response = await fetch(path, { method: "POST", headers, body: JSON.stringify(body), credentials: "same-origin" });
  } catch {
    throw new ApiError("OS1 can't be reached just now. Check your connection, then try again.", 0);
  }
  if (!response.ok) {
    const data = await response.json().catch(() => null);
    throw new ApiError(
      sentence(data?.error?.message) || `Something went wrong (HTTP ${response.status}).`,
      response.status,
    );
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  for (;;) {
    let read;
    try {
      read = await reader.read();
    } catch {
      throw new ApiError("The connection dropped before the answer was complete. Try again.", 0);
    }
    const { value, done } = read;
    pending += value ?? "";
    const lines = done ? [pending] : pending.split("\n");
    pending = done ? "" : lines.pop();
    for (const line of lines.filter((text) => text.trim())) {
      const part = JSON.parse(line);
      if (part.error) throw new ApiError(sentence(part.error.message), response.status);
      onPart(part);
    }
    if (done) return;
  }
}

export const get = (path) => request("GET", path);
export const post = (path, body) => request("POST", path, body);
export const patch = (path, body) => request("PATCH", path, body);
export const put = (path, body) => request("PUT", path, body);
export const remove = (path, body) => request("DELETE", path, body);

/** A query string from the values that are set: query({q: "x", past: false}) -> "?q=x". */
export function query(values) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== null && value !== false && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}
