"""Skops models kept as local pickles, so that a cold start need not import skops.

Importing ``skops.io`` costs about half a second (it imports every scikit-learn module to
list the estimators it trusts by default), a third of a server's cold start. Once skops has
loaded a file under a list of trusted types, the estimator it built holds only types skops
allowed; that estimator is pickled into the user's cache directory, keyed by the file's
SHA-256, the trusted list and the versions of Python, numpy, scikit-learn, skops and the
flavor's framework (``lightgbm`` for a LightGBM estimator). Later loads of the same file
under the same list unpickle it: the same objects, without skops.

The pickle is written by this machine from what skops built, never taken from the model
directory, so a model file from elsewhere still goes through skops' checks first. The entry
is as trustworthy as the user's own cache directory (like the environment cache, whose
virtualenvs run code). ``PYFUNC_CORE_SKOPS_CACHE=0`` (or the older
``PYFUNC_SKLEARN_SKOPS_CACHE=0``) turns the cache off.
"""

from __future__ import annotations

import logging
import pickle
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Sequence

from pyfunc_core.formats import file_cache

logger = logging.getLogger("pyfunc_core.formats")

ENV_SWITCH = "PYFUNC_CORE_SKOPS_CACHE"
#: The switch's name from when the cache was pyfunc-sklearn's; still honoured.
LEGACY_ENV_SWITCH = "PYFUNC_SKLEARN_SKOPS_CACHE"
#: The cache's folder; its name predates the move into the core, kept so entries stay valid.
FOLDER = "sklearn-skops"
#: Distributions whose versions key every entry (the flavor adds its framework's).
KEY_DISTRIBUTIONS = ("scikit-learn", "numpy", "skops")
#: The cache keeps the most recently used entries, up to this many.
MAX_ENTRIES = file_cache.MAX_ENTRIES


def enabled() -> bool:
    return not file_cache.switched_off(ENV_SWITCH, LEGACY_ENV_SWITCH)


def entry_path(model_file: Path, trusted: Sequence[str], frameworks: Sequence[str] = ()) -> Path | None:
    """Where the pickle of ``model_file`` under ``trusted`` lives, or None if skops (or one of
    the ``frameworks`` distributions) is not installed."""
    versions = []
    for dist in (*KEY_DISTRIBUTIONS, *sorted(set(frameworks) - set(KEY_DISTRIBUTIONS))):
        try:
            versions.append(metadata.version(dist))
        except metadata.PackageNotFoundError:
            return None
    key = [
        file_cache.file_sha256(model_file),
        sorted(set(trusted)),
        sys.version,
        versions,
        pickle.HIGHEST_PROTOCOL,
    ]
    return file_cache.cache_entry(FOLDER, key, ".pkl")


def load(
    model_file: Path,
    trusted: Sequence[str],
    read_with_skops: Callable[[], Any],
    frameworks: Sequence[str] = (),
) -> Any:
    """The estimator in ``model_file``: from the cache when an entry exists, else through
    ``read_with_skops()`` (which checks the trusted types), then stored for next time."""
    entry = entry_path(model_file, trusted, frameworks) if enabled() else None
    if entry is not None and entry.is_file():
        try:
            with open(entry, "rb") as f:
                estimator = pickle.load(f)
        except Exception as exc:  # a damaged entry: drop it and read the file again
            logger.warning("dropping unreadable skops cache entry %s: %s", entry, exc)
            file_cache.forget(entry)
        else:
            file_cache.mark_used(entry)
            return estimator
    estimator = read_with_skops()
    if entry is not None:
        file_cache.store(
            entry, lambda f: pickle.dump(estimator, f, protocol=pickle.HIGHEST_PROTOCOL), keep=MAX_ENTRIES
        )
    return estimator
