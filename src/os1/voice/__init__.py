"""Speech: hearing the user (VAD, speech to text) and speaking (text to speech), as stages of one pipeline."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def package_dir(module: str, extra: str = "voice") -> Path:
    """Where an optional dependency is installed, without importing it; says which extra to install if absent."""
    spec = importlib.util.find_spec(module)
    if spec is None or (not spec.submodule_search_locations and spec.origin is None):
        raise ImportError(f"speech needs the '{extra}' extra: pip install 'os1[{extra}]'")
    if spec.submodule_search_locations:
        return Path(spec.submodule_search_locations[0])
    return Path(str(spec.origin)).parent  # a module of one file
