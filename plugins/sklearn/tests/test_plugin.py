"""The plugin registers the ``sklearn`` flavor through the entry point and stays cheap."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pyfunc_sklearn
from pyfunc_core.plugins import Plugins


def test_flavor_registered_through_entry_point() -> None:
    plugins = Plugins().load()
    flavor = plugins.flavors["sklearn"]
    assert flavor.loader_modules == ("pyfunc_sklearn", "mlflow.sklearn")
    assert flavor.requirements == ("scikit-learn>=1.2",)
    assert plugins.flavors.provider("sklearn") == "sklearn"
    info = plugins.info("sklearn")
    assert info is not None and info.status == "ok"
    assert info.distribution == "pyfunc-sklearn"
    assert plugins.flavors.by_loader_module("mlflow.sklearn") is flavor


def test_startup_does_not_import_sklearn() -> None:
    """``pyfunc-core plugins`` imports our entry point but neither scikit-learn nor skops."""
    code = (
        "import json, sys\n"
        "from pyfunc_core.cli.main import main\n"
        "sys.argv = ['pyfunc-core', 'plugins']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'skops', 'scipy'))\n"
        "print(json.dumps({'plugin': 'pyfunc_sklearn.plugin' in sys.modules, 'heavy': heavy}))\n"
    )
    env = {**os.environ, "PYFUNC_CORE_PLUGINS": "sklearn"}  # other plugins' imports are theirs
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True, env=env
    ).stdout
    report = json.loads(out.strip().splitlines()[-1])
    assert report == {"plugin": True, "heavy": []}


def test_importtime_of_entry_point_module() -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import pyfunc_sklearn.plugin"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "pyfunc_sklearn.plugin" in imported
    assert not {m for m in imported if m.split(".")[0] in ("sklearn", "skops", "pandas", "numpy")}


def test_package_exports_resolve_lazily() -> None:
    assert callable(pyfunc_sklearn.save_model)
    assert callable(pyfunc_sklearn.load_model)
    assert pyfunc_sklearn.SERIALIZATION_FORMATS == ("cloudpickle", "pickle", "skops")
    assert "decision_function" in pyfunc_sklearn.PREDICT_FUNCTIONS
