"""os1: a local-first AI companion that talks, remembers its user and has a persona of its own."""

__version__ = "0.1.0"
