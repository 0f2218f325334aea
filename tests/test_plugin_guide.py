"""docs/writing-a-plugin.md quotes the tutorial flavor that the end-to-end test builds."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "writing-a-plugin.md"
POLY = ROOT / "tests" / "pyfunc-poly"


def code_blocks(text: str) -> list[str]:
    return re.findall(r"^```[a-z]*\n(.*?)^```$", text, flags=re.S | re.M)


@pytest.mark.parametrize(
    "relative", ["pyproject.toml", "src/pyfunc_poly/plugin.py", "src/pyfunc_poly/__init__.py"]
)
def test_guide_quotes_the_tutorial_files_exactly(relative):
    source = (POLY / relative).read_text(encoding="utf-8")
    assert source in code_blocks(GUIDE.read_text(encoding="utf-8")), f"{relative} differs from the guide"


def test_guide_save_example_compiles():
    compile(save_example(), "save_poly.py", "exec")


def save_example() -> str:
    """The guide's save script (the code block after the ``tutorial:save`` marker)."""
    text = GUIDE.read_text(encoding="utf-8")
    return code_blocks(text.split("<!-- tutorial:save -->", 1)[1])[0]


def test_guide_test_kit_example_passes(tmp_path, monkeypatch):
    """Run the guide's example test against pyfunc-poly installed (as a dist-info) from source."""
    from click.testing import CliRunner

    from pyfunc_core.cli.main import build_cli
    from pyfunc_core.plugins import Plugins, reset_plugins

    site = tmp_path / "site"
    info = site / "pyfunc_poly-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: pyfunc-poly\nVersion: 0.1.0\nRequires-Dist: pyfunc-core>=0.1,<0.2\n"
    )
    (info / "entry_points.txt").write_text("[pyfunc_core]\npoly = pyfunc_poly.plugin\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(POLY / "src"))
    monkeypatch.delenv("PYFUNC_CORE_PLUGINS", raising=False)

    namespace: dict = {}
    text = GUIDE.read_text(encoding="utf-8").split("<!-- tutorial:test -->", 1)[1]
    exec(compile(code_blocks(text)[0], "guide_example.py", "exec"), namespace)
    plugins = Plugins().load()
    reset_plugins(plugins)
    try:

        def cli(*args, input=None):
            return CliRunner().invoke(build_cli(), list(args), input=input, catch_exceptions=False)

        namespace["test_poly_round_trip"](tmp_path, plugins, cli)
    finally:
        reset_plugins(None)
        for name in ("pyfunc_poly", "pyfunc_poly.plugin"):
            sys.modules.pop(name, None)


def formats_example() -> str:
    """The guide's flavor on the core's formats (the code block after ``formats:example``)."""
    text = GUIDE.read_text(encoding="utf-8")
    return code_blocks(text.split("<!-- formats:example -->", 1)[1])[0]


def test_formats_example_is_a_whole_flavor_under_60_lines(tmp_path, monkeypatch, pyfunc_plugins, pyfunc_cli):
    """The example saves, loads, checks and serves scikit-learn estimators with no
    serialization code of its own."""
    import types

    import numpy as np
    from sklearn.ensemble import RandomForestRegressor

    import pyfunc_core
    from pyfunc_core.errors import ModelLoadError

    source = formats_example()
    assert len(source.splitlines()) < 60
    monkeypatch.setenv("PYFUNC_CORE_CACHE_DIR", str(tmp_path / "cache"))
    module = types.ModuleType("pyfunc_tinyskl")
    monkeypatch.setitem(sys.modules, "pyfunc_tinyskl", module)
    exec(compile(source, "pyfunc_tinyskl.py", "exec"), module.__dict__)
    assert pyfunc_plugins.add_plugin(module, name="tinyskl").status == "ok"

    X = np.random.RandomState(0).normal(size=(50, 3))
    forest = RandomForestRegressor(n_estimators=3, random_state=0).fit(X, X[:, 0])
    tree = ["sklearn.tree._tree.Tree"]
    module.save_model(forest, tmp_path / "skops", skops_trusted_types=tree, input_example=X[:2])
    module.save_model(forest, tmp_path / "pickled", "cloudpickle")
    for name in ("skops", "pickled"):
        assert (
            pyfunc_core.load_model(tmp_path / name).predict(X[:5]).tolist() == forest.predict(X[:5]).tolist()
        )
    assert (
        "format:       skops (model.skops): safety check passed"
        in pyfunc_cli("info", "-m", str(tmp_path / "skops")).output
    )
    assert "flavors: tinyskl (formats: skops, cloudpickle, pickle, joblib)" in pyfunc_cli("plugins").output

    mlmodel = tmp_path / "skops" / "MLmodel"
    mlmodel.write_text(mlmodel.read_text().replace("- sklearn.tree._tree.Tree", "- posix.system"))
    with pytest.raises(ModelLoadError, match="run code"):
        pyfunc_core.load_model(tmp_path / "skops")
    (tmp_path / "pickled" / "model.pkl").write_bytes(b"\x80\x04garbage")
    with pytest.raises(ModelLoadError) as err:
        pyfunc_core.load_model(tmp_path / "pickled")
    assert "model.pkl" in str(err.value) and "\n" not in str(err.value)
