"""What every route of the server shares: the settings, the accounts, the users' spaces, the rate limits, the
metrics, the collector's timing and the speech models. Made once when the server starts (``app.lifespan``) and
reached from a request by ``services``."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from os1.config import Settings
from os1.server.accounts import Accounts
from os1.server.heap import Heap
from os1.server.limits import Limits
from os1.server.metrics import Metrics
from os1.server.spaces import Spaces
from os1.server.voice import Voices


@dataclass
class Services:
    settings: Settings
    accounts: Accounts
    spaces: Spaces
    limits: Limits
    metrics: Metrics
    heap: Heap
    voices: Voices
    secure_cookies: bool = False  # Secure cookies even over plain HTTP (behind a proxy that ends TLS)


def services(connection: HTTPConnection) -> Services:
    found: Services = connection.app.state.services
    return found
