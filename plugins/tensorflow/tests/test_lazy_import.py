"""With pyfunc-tensorflow installed, nothing that does not touch a TensorFlow model imports it.

Each check runs in a fresh interpreter, since this test session has TensorFlow loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

HEAVY = ("tensorflow", "keras", "tf_keras")

PLUGINS_AND_PYTHON_MODEL = textwrap.dedent(
    """
    import json, sys
    from click.testing import CliRunner
    from pyfunc_core.cli.main import build_cli

    listing = CliRunner().invoke(build_cli(), ["plugins", "--json"])
    assert listing.exit_code == 0, listing.output

    import pandas as pd
    from pyfunc_core import PythonModel, load_model, save_model

    class Double(PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input * 2

    save_model(sys.argv[1], python_model=Double(), input_example=pd.DataFrame({"a": [1.0]}))
    out = load_model(sys.argv[1]).predict(pd.DataFrame({"a": [2.0, 3.0]}))
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[2].split(","))
    print(json.dumps({"plugins": json.loads(listing.output), "heavy": heavy, "out": out["a"].tolist()}))
    """
)


def run_python(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300)


def test_plugin_listing_and_a_python_model_never_import_tensorflow(tmp_path: Path) -> None:
    proc = run_python("-c", PLUGINS_AND_PYTHON_MODEL, str(tmp_path / "double"), ",".join(HEAVY))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    listed = json.dumps(report["plugins"])
    assert "pyfunc-tensorflow" in listed and '"tensorflow"' in listed
    assert report["out"] == [4.0, 6.0]
    assert report["heavy"] == []


def test_importing_the_plugin_package_imports_no_tensorflow() -> None:
    code = (
        "import sys, pyfunc_tensorflow, pyfunc_tensorflow.plugin;"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    proc = run_python("-c", code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def imported_heavy_modules(importtime_log: str) -> list[str]:
    """Module names of ``-X importtime`` lines that belong to TensorFlow or Keras."""
    names = []
    for line in importtime_log.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name.split(".")[0] in HEAVY:
                names.append(name)
    return names


def test_serving_a_scikit_learn_model_never_imports_tensorflow(tmp_path: Path, start_server: Any) -> None:
    pyfunc_sklearn = pytest.importorskip("pyfunc_sklearn", reason="needs the pyfunc-sklearn plugin")
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    X = pd.DataFrame({"f0": [0.0, 1.0, 2.0, 3.0], "f1": [1.0, 0.0, 1.0, 0.0]})
    model = LogisticRegression().fit(X, np.array([0, 0, 1, 1]))
    pyfunc_sklearn.save_model(model, tmp_path / "logreg", input_example=X.head(2))
    server = start_server(tmp_path / "logreg", python_args=("-X", "importtime"))
    response = server.post("/invocations", {"dataframe_split": X.to_dict(orient="split", index=False)})
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == model.predict(X).tolist()
    assert server.stop() == 0
    log = server.output()
    assert "import time:" in log and "sklearn" in log  # the log does record imports
    assert imported_heavy_modules(log) == []
