"""Model formats: how a flavor writes its native object to a file and reads it back.

The core registers ``pickle``, ``cloudpickle``, ``joblib`` and ``skops`` through the
``register_formats`` hook (plugins may add more: ``pyfunc-xgboost`` adds XGBoost's own
files). A flavor names one and calls it::

    from pyfunc_core.formats import get_format

    fmt = get_format("skops")
    fmt.save(estimator, dest / fmt.file_name, trusted=["sklearn.tree._tree.Tree"])
    estimator = fmt.load(path, trusted=conf.get("skops_trusted_types") or ())

Each module here imports its library (skops, joblib, cloudpickle) only when a file is
written or read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyfunc_core.formats.base import ModelFormat, Safety

if TYPE_CHECKING:
    from pyfunc_core.plugins import Plugins

__all__ = ["ModelFormat", "Safety", "builtin_formats", "get_format"]


def builtin_formats() -> list[ModelFormat]:
    """The formats the core registers (``pyfunc_core/builtin.py``)."""
    from pyfunc_core.formats.cloudpickle_format import CloudpickleFormat
    from pyfunc_core.formats.joblib_format import JoblibFormat
    from pyfunc_core.formats.pickle_format import PickleFormat
    from pyfunc_core.formats.skops_format import SkopsFormat

    return [CloudpickleFormat(), PickleFormat(), JoblibFormat(), SkopsFormat()]


def get_format(name: str, plugins: Plugins | None = None) -> ModelFormat:
    """The registered format called ``name``; an unknown name is a one-line ModelLoadError."""
    from pyfunc_core.errors import ModelLoadError
    from pyfunc_core.plugins import get_plugins

    formats = (plugins or get_plugins()).formats
    found = formats.get(name)
    if found is None:
        raise ModelLoadError(
            f"Unknown model format {name!r} (installed: {', '.join(sorted(formats.names())) or 'none'})"
        )
    return found
