"""The third-party path for real: a flavor published as a wheel, installed beside the core."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "writing-a-plugin.md"


def save_script() -> str:
    """The tutorial's save script, taken from the guide so the two cannot drift apart."""
    text = GUIDE.read_text(encoding="utf-8").split("<!-- tutorial:save -->", 1)[1]
    return re.search(r"```python\n(.*?)```", text, flags=re.S).group(1)


BODY = '{"dataframe_split": {"columns": ["x"], "data": [[0.0], [1.5], [3]]}}'


def test_published_flavor_lists_saves_loads_predicts_and_uninstalls(third_party):
    tp = third_party
    run = tp.run
    run([tp.python, "-m", "pip", "install", "-q", "--no-index", tp.poly_wheel])
    try:
        listed = run([tp.cli, "plugins"]).stdout
        assert "poly  (pyfunc-poly 0.1.0)\n    flavors: poly\n" in listed
        entry = {p["name"]: p for p in json.loads(run([tp.cli, "plugins", "--json"]).stdout)}["poly"]
        assert entry["status"] == "ok" and entry["provides"] == {"flavors": ["poly"]}

        model = tp.work / "poly model"
        run([tp.python, "-c", save_script(), model])
        info = json.loads(run([tp.cli, "info", "-m", model, "--json"]).stdout)
        assert info["loaded_by"] == "poly" and info["flavors"] == ["poly", "python_function"]
        assert json.loads(info["signature"]["inputs"]) == [{"type": "double", "name": "x", "required": True}]
        assert info["requirements"][0].startswith("numpy==")

        source = tp.work / "in put.json"
        source.write_text(BODY)
        predicted = run([tp.cli, "predict", "-m", model, "-i", source])
        assert predicted.stdout == '{"predictions": [1.0, 5.5, 19.0]}\n'
    finally:
        run([tp.python, "-m", "pip", "uninstall", "-y", "-q", "pyfunc-poly"])

    assert "pyfunc-poly" not in run([tp.cli, "plugins"]).stdout
    gone = run([tp.cli, "predict", "-m", model, "-i", source], check=False)
    assert gone.returncode == 1
    assert gone.stdout == ""
    assert gone.stderr == (  # a third-party distribution: no pip hint, it may not exist on an index
        "Error: No installed plugin loads models of loader_module 'pyfunc_poly': "
        "install a plugin that provides it; 'pyfunc-core plugins' lists the installed ones\n"
    )


def test_plugin_for_another_core_version_is_refused(third_party):
    tp = third_party
    run = tp.run
    run([tp.python, "-m", "pip", "install", "-q", "--no-index", "--no-deps", tp.legacy_wheel])
    try:
        listed = run([tp.cli, "plugins"])
        assert "poly-legacy  (pyfunc-poly-legacy 0.0.9)  [REFUSED]" in listed.stdout
        message = "pyfunc-poly-legacy 0.0.9 requires pyfunc-core<0.1, but pyfunc-core 0.1.0 is installed"
        assert f"error: {message}" in listed.stdout
        assert message in listed.stderr  # logged as well
        strict = run(
            [tp.cli, "plugins"], check=False, env={"PYFUNC_CORE_STRICT_PLUGINS": "1", "PATH": "/usr/bin:/bin"}
        )
        assert strict.returncode == 1 and "Traceback" not in strict.stderr
        assert message in strict.stderr
    finally:
        run([tp.python, "-m", "pip", "uninstall", "-y", "-q", "pyfunc-poly-legacy"])
