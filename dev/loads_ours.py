"""The pytest side of the tests in which MLflow loads directories we wrote (sklearn,
tensorflow): code a model ships through ``code_paths``, and running a flavor's
``tests/mlflow_side/load_ours.py`` in MLflow's virtualenv (see :mod:`loads_ours_side`).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

from repo_testing import run_checked

DEV = Path(__file__).parent


def shipped_module(folder: Path, name: str, source: str) -> Iterator[ModuleType]:
    """Module ``name`` written from ``source`` into ``folder`` and imported from there while the
    generator is open (a fixture's body: ``yield from shipped_module(...)``)."""
    (folder / f"{name}.py").write_text(source, encoding="utf-8")
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(folder))


def load_ours_with_mlflow(
    python: Path, script: Path, root: Path, cases: dict[str, Any], timeout: float
) -> dict[str, Any]:
    """Write ``cases`` to ``ROOT/cases.json``, run ``script ROOT`` with MLflow's ``python``
    (nothing of ours on its path but ``dev/``) and return the ``ROOT/results.json`` it writes."""
    (root / "cases.json").write_text(json.dumps(cases), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(PYTHONWARNINGS="ignore", PYTHONPATH=str(DEV))
    run_checked([str(python), str(script), str(root)], timeout, "loading with MLflow", env=env)
    results: dict[str, Any] = json.loads((root / "results.json").read_text(encoding="utf-8"))
    return results
