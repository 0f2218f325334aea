"""The user's pyfunc-core cache directory, shared by the core and plugins."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_DIR_VAR = "PYFUNC_CORE_CACHE_DIR"


def cache_dir(*parts: str) -> Path:
    """``$PYFUNC_CORE_CACHE_DIR`` (default ``$XDG_CACHE_HOME/pyfunc-core``, else
    ``~/.cache/pyfunc-core``) joined with ``parts``; nothing is created."""
    override = os.environ.get(CACHE_DIR_VAR)
    if override:
        root = Path(override).expanduser()
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pyfunc-core"
    return root.joinpath(*parts)
