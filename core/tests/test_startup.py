"""Start-up stays cheap: listing plugins and printing help import no ML framework."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "sklearn",
    "tensorflow",
    "torch",
    "pyspark",
    "docker",
    "keras",
    "xgboost",
    "lightgbm",
    "skops",
    "joblib",
    "scipy",
)

# Runs the real CLI entry point with every installed plugin, then reports sys.modules.
PROBE = """
import json, sys
from pyfunc_core.cli.main import main
sys.argv = ["pyfunc-core", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print("\\n" + json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize("argv", [["--help"], ["plugins"], ["plugins", "--json"]])
def test_startup_imports_no_ml_framework(argv):
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120, check=True
    )
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert heavy == [], f"`pyfunc-core {' '.join(argv)}` imported {heavy}"
    # the core itself keeps numpy and pandas out of start-up too
    assert "pandas" not in loaded and "numpy" not in loaded
    assert "pyfunc_core.plugins" in loaded
