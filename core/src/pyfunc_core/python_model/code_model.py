"""Models from code: a Python file, copied into the model directory, that names its model.

The file is executed (never unpickled) when the model is saved and each time it is loaded;
it calls :func:`set_model` with a ``PythonModel`` instance or a plain callable, and may read
:func:`get_model_config` (the ``model_config`` given at save time, or the one given to
load). Executions are serialized by a lock, so two loads in one process do not mix up
their models.
"""

from __future__ import annotations

import runpy
import threading
from pathlib import Path
from typing import Any

from pyfunc_core.errors import InvalidParameterError, ModelLoadError, first_line

_lock = threading.RLock()
_state: dict[str, Any] = {"model": None, "config": None, "running": False}


def set_model(model: Any) -> None:
    """Name the model of a models-from-code file (a ``PythonModel`` or a callable)."""
    from pyfunc_core.python_model.api import PythonModel

    if not isinstance(model, PythonModel) and not callable(model):
        raise InvalidParameterError(
            f"set_model() takes a PythonModel instance or a callable, got {type(model).__name__}"
        )
    _state["model"] = model


def get_model_config() -> dict[str, Any]:
    """The ``model_config`` of the model being loaded (empty outside a load, or when none)."""
    return dict(_state["config"] or {})


def run_model_file(path: Path, model_config: dict[str, Any] | None) -> Any:
    """Execute ``path`` and return what it passed to :func:`set_model`."""
    with _lock:
        _state.update(model=None, config=model_config, running=True)
        try:
            runpy.run_path(str(path), run_name="__pyfunc_model__")
            model = _state["model"]
        except ModelLoadError:
            raise
        except Exception as exc:
            raise ModelLoadError(
                f"Running the model file '{path.name}' failed: {type(exc).__name__}: {first_line(exc)}"
            ) from exc
        finally:
            _state.update(model=None, config=None, running=False)
    if model is None:
        raise ModelLoadError(
            f"The model file '{path.name}' did not call pyfunc_core.set_model(...) with its model"
        )
    return model
