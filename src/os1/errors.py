"""Every error os1 raises on purpose, in one tree.

    OS1Error                  base: its message says what happened and what to do next
     ├── ConfigError          a setting is missing or has a bad value
     ├── InputError           a message, file or request cannot be used as it is; nothing was stored
     │    ├── NotFound        what was asked for does not exist (or is someone else's: the same answer)
     │    └── TooLarge        a file or request is larger than os1 takes
     ├── ModelError           model weights are missing, cannot be fetched, or do not match their hash
     ├── LLMError             the language model could not answer
     │    ├── LLMUnavailable  the backend is not there: server down, model not loadable
     │    └── LLMBadResponse  the backend answered something os1 cannot read
     ├── StoreError           the database could not be used
     │    └── StoreCorrupt    the file is not an os1 database or is damaged; it was left untouched
     ├── AudioError           sound in or out cannot be used: a malformed or empty recording, no microphone
     └── AccessError          the server refuses: who is asking is not known, or may not do this
          ├── SignInError      wrong email or password, a disabled account, an expired session or key
          └── TooMany          a rate limit was reached: try again after ``retry_after`` seconds

Backends translate their vendor's exceptions into these at their edge (``raise LLMUnavailable(...) from exc``),
so nothing above a backend catches an aiohttp or llama.cpp exception (the hub download does the same).
"""


class OS1Error(Exception):
    """Base of os1's errors."""


class ConfigError(OS1Error):
    """A setting is missing or has a bad value."""


class InputError(OS1Error):
    """Input from the user cannot be used as it is; nothing was stored."""


class NotFound(InputError):
    """What was asked for does not exist, or is not the asker's (the answer is the same, so ids reveal nothing)."""


class TooLarge(InputError):
    """A file or request is larger than os1 takes; nothing of it was stored."""


class ModelError(OS1Error):
    """Model weights (packaged, or from the model hub) are missing, cannot be fetched, or do not match their hash."""


class LLMError(OS1Error):
    """The language model could not answer."""


class LLMUnavailable(LLMError):
    """The backend is not there: a server that does not answer, a model that does not load."""


class LLMBadResponse(LLMError):
    """The backend answered something os1 cannot read."""


class StoreError(OS1Error):
    """The database could not be used."""


class StoreCorrupt(StoreError):
    """The file is not an os1 database, or is damaged. It is never overwritten."""


class AudioError(OS1Error):
    """Sound in or out cannot be used: a malformed, empty or unsupported recording, or no audio device."""


class AccessError(OS1Error):
    """The server refuses the request: who is asking is not known, or may not do this."""


class SignInError(AccessError):
    """Wrong email or password, a disabled account, or a session or key that has expired or was revoked."""


class TooMany(AccessError):
    """A rate limit was reached."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after
