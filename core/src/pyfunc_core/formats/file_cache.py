"""Entries derived from a model file, kept in the user's cache directory.

A flavor may keep what it derives from a model file (an unpickled estimator, a model's
arrays) so that a later start skips the slow path that built it. An entry is named by a hash
of a key the flavor chooses: the file's SHA-256 (:func:`file_sha256`) and whatever else
changes the result (library versions, trust lists). Entries are written atomically and the
most recently used ones are kept.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import IO, Any, Callable

from pyfunc_core.cache_dir import cache_dir

__all__ = ["MAX_ENTRIES", "cache_entry", "file_sha256", "forget", "mark_used", "store", "switched_off"]

logger = logging.getLogger("pyfunc_core.formats")

#: A folder keeps the most recently used entries, up to this many.
MAX_ENTRIES = 64


#: Digests already computed in this process, by file identity: a load that asks several caches
#: (a flavor's snapshot, then the skops cache) reads and hashes the file once.
_digests: dict[tuple[int, int, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of the file at ``path`` (remembered while the file's device, inode,
    size and modification time stay the same)."""
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        identity = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        known = _digests.get(identity)
        if known is not None:
            return known
        digest = hashlib.sha256()
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    _digests[identity] = digest.hexdigest()
    return _digests[identity]


def cache_entry(folder: str, key: Any, suffix: str) -> Path:
    """The entry for ``key`` (anything JSON can write) in the cache's ``folder``; nothing is created."""
    name = hashlib.sha256(json.dumps(key).encode()).hexdigest()[:32]
    return cache_dir(folder, f"{name}{suffix}")


def switched_off(*names: str) -> bool:
    """Whether any of the environment variables ``names`` says 0, false, no or off."""
    return any(os.environ.get(n, "1").strip().lower() in ("0", "false", "no", "off") for n in names)


def mark_used(entry: Path) -> None:
    """Recently used entries are pruned last; a read-only cache still serves."""
    try:
        os.utime(entry)
    except OSError:
        pass


def forget(entry: Path) -> None:
    try:
        entry.unlink(missing_ok=True)
    except OSError:
        pass


def store(entry: Path, write: Callable[[IO[bytes]], None], keep: int = MAX_ENTRIES) -> bool:
    """Write ``entry`` through ``write`` atomically (a reader never sees half a file), then keep
    the ``keep`` newest entries of its folder. A cache that cannot be written is only a slower
    next start: False, logged at debug level."""
    try:
        entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=entry.suffix)
        try:
            with os.fdopen(fd, "wb") as f:
                write(f)
            os.replace(tmp, entry)
        except BaseException:
            os.unlink(tmp)
            raise
        _prune(entry.parent, entry.suffix, keep)
    except Exception as exc:
        logger.debug("not caching %s: %s", entry, exc)
        return False
    return True


def _prune(folder: Path, suffix: str, keep: int) -> None:
    entries = sorted(folder.glob(f"*{suffix}"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in entries[keep:]:
        forget(stale)
