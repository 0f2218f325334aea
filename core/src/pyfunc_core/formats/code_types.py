"""Types that run code, refused in a skops trust list even when the model lists them.

skops constructs only the types it is told to trust, and a model directory records its own
list (``skops_trusted_types`` in ``MLmodel``, as MLflow writes it). A directory from an
untrusted source can therefore trust ``posix.system`` and run a shell command at load time;
MLflow loads such a file silently. These entries are refused wherever the list comes from,
unless the operator sets :data:`ENV_ALLOW_CODE_TYPES` (or its older name,
``PYFUNC_SKLEARN_ALLOW_CODE_TYPES``, from when only the sklearn flavor read skops files).
"""

from __future__ import annotations

import os
from typing import Iterable

#: Set to 1 to trust the listed types even when they can run code (the operator's opt-in).
ENV_ALLOW_CODE_TYPES = "PYFUNC_CORE_ALLOW_CODE_TYPES"
#: The same switch under the name pyfunc-sklearn gave it first; still honoured.
LEGACY_ENV_ALLOW_CODE_TYPES = "PYFUNC_SKLEARN_ALLOW_CODE_TYPES"
#: What refusals tell the operator to set.
ALLOW_HINT = f"{ENV_ALLOW_CODE_TYPES}=1 (or its older name {LEGACY_ENV_ALLOW_CODE_TYPES}=1)"

#: Whole modules whose functions reach the operating system, load code or unpickle.
_MODULES = (
    "os", "posix", "nt", "subprocess", "sys", "shutil", "socket", "pty", "ctypes", "signal",
    "multiprocessing", "importlib", "runpy", "code", "codeop", "pickle", "_pickle", "cloudpickle",
    "dill", "marshal", "shelve", "joblib", "webbrowser", "urllib", "http",
)  # fmt: skip
#: Single names that evaluate, import or reach attributes by name.
_NAMES = frozenset(
    {
        "builtins.eval", "builtins.exec", "builtins.compile", "builtins.__import__",
        "builtins.open", "builtins.getattr", "builtins.setattr", "builtins.delattr",
        "builtins.globals", "builtins.locals", "builtins.vars", "builtins.breakpoint",
        "builtins.input", "types.FunctionType", "types.CodeType", "types.ModuleType",
        "operator.attrgetter", "operator.methodcaller", "numpy.load", "numpy.lib.npyio.load",
    }
)  # fmt: skip


def runs_code(type_name: str) -> bool:
    """True if trusting ``type_name`` (``module.qualname``) would let a file run code."""
    if type_name in _NAMES:
        return True
    return any(type_name == m or type_name.startswith(m + ".") for m in _MODULES)


def allowed() -> bool:
    """True when the operator opted in to trusting types that run code."""
    return any(
        os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}
        for name in (ENV_ALLOW_CODE_TYPES, LEGACY_ENV_ALLOW_CODE_TYPES)
    )


def code_types(trusted: Iterable[str]) -> list[str]:
    """The entries of ``trusted`` that run code, unless the operator allowed them."""
    if allowed():
        return []
    return sorted({t for t in trusted if runs_code(t)})
