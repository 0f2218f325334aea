"""The model directory: MLflow's MLmodel layout, MLflow-written models, broken directories."""

from __future__ import annotations

import re
import sys
import textwrap
from importlib import metadata

import cloudpickle
import numpy as np
import pandas as pd
import pytest
import yaml

from pyfunc_core import hookimpl, load_model, save_model
from pyfunc_core.errors import MissingFlavorError, ModelLoadError
from pyfunc_core.model import ModelDirectory, save_model_directory
from pyfunc_core.model.load import install_hint
from pyfunc_core.plugins import Plugins
from pyfunc_core.registry import Flavor

PY = ".".join(map(str, sys.version_info[:3]))


def test_mlmodel_layout_matches_mlflow(tmp_path, models):
    path = tmp_path / "m"
    save_model(
        path,
        models.AddN(),
        input_example=pd.DataFrame({"x": [1.0, 2.0]}),
        model_config={"n": 1},
        metadata={"owner": "me"},
    )
    assert sorted(p.name for p in path.iterdir()) == [
        "MLmodel",
        "conda.yaml",
        "input_example.json",
        "python_env.yaml",
        "python_model.pkl",
        "requirements.txt",
        "serving_input_example.json",
    ]
    mlmodel = yaml.safe_load((path / "MLmodel").read_text())
    pyfunc = mlmodel["flavors"]["python_function"]
    assert pyfunc["loader_module"] == "pyfunc_core.python_model"
    assert pyfunc["python_model"] == "python_model.pkl"
    assert pyfunc["python_version"] == PY
    assert pyfunc["env"] == {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}
    assert pyfunc["cloudpickle_version"] == cloudpickle.__version__
    assert mlmodel["signature"] == {
        "inputs": '[{"type": "double", "name": "x", "required": true}]',
        "outputs": '[{"type": "double", "name": "x", "required": true}]',
        "params": None,
    }
    assert mlmodel["saved_input_example_info"]["artifact_path"] == "input_example.json"
    assert re.fullmatch(r"[0-9a-f]{32}", mlmodel["model_uuid"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", mlmodel["utc_time_created"])
    assert mlmodel["metadata"] == {"owner": "me"}

    pinned = [f"cloudpickle=={cloudpickle.__version__}", f"pyfunc-core=={metadata.version('pyfunc-core')}"]
    assert (path / "requirements.txt").read_text().splitlines() == pinned
    python_env = yaml.safe_load((path / "python_env.yaml").read_text())
    assert python_env["python"] == PY
    assert python_env["build_dependencies"][0] == f"pip=={metadata.version('pip')}"
    assert python_env["dependencies"] == ["-r requirements.txt"]
    conda = yaml.safe_load((path / "conda.yaml").read_text())
    assert conda["dependencies"][0] == f"python={PY}"
    assert conda["dependencies"][-1] == {"pip": pinned}


def test_mlflow_written_python_model_loads(tmp_path, models):
    """A directory laid out byte for byte as ``mlflow.pyfunc.save_model`` writes it."""
    path = tmp_path / "mlflow model"
    (path / "artifacts").mkdir(parents=True)
    (path / "artifacts" / "notes.txt").write_text("hi", encoding="utf-8")
    with open(path / "python_model.pkl", "wb") as f:
        cloudpickle.dump(models.AddN(), f)
    (path / "MLmodel").write_text(
        textwrap.dedent(
            f"""\
            artifact_path: model
            flavors:
              python_function:
                artifacts:
                  notes:
                    path: artifacts/notes.txt
                    uri: /tmp/notes.txt
                cloudpickle_version: {cloudpickle.__version__}
                code: null
                env:
                  conda: conda.yaml
                  virtualenv: python_env.yaml
                loader_module: mlflow.pyfunc.model
                model_config:
                  n: 10
                python_model: python_model.pkl
                python_version: {PY}
                streamable: false
            mlflow_version: 2.16.2
            model_size_bytes: 1048
            model_uuid: 6f4b2ba1b2b84e2a9a9c1b3a1c7cf0a2
            run_id: 0b7b5f6f0a4e4f35a1d3b4b0f6c2f8f9
            signature:
              inputs: '[{{"type": "double", "name": "x", "required": true}}]'
              outputs: '[{{"type": "double", "required": true}}]'
              params: null
            utc_time_created: '2024-10-01 12:00:00.123456'
            """
        ),
        encoding="utf-8",
    )
    (path / "requirements.txt").write_text("mlflow==2.16.2\ncloudpickle==3.0.0\n", encoding="utf-8")
    model = load_model(path)
    assert model.flavor.name == "python_model"
    assert model.metadata.extra["mlflow_version"] == "2.16.2"
    assert model.metadata.model_uuid == "6f4b2ba1b2b84e2a9a9c1b3a1c7cf0a2"
    out = model.predict(pd.DataFrame({"x": [1, 2]}))  # int -> double by the signature
    assert out["x"].tolist() == [11.0, 12.0]
    assert model.unwrap_python_model().__class__.__name__ == "AddN"


def test_save_model_directory_for_a_native_flavor(tmp_path):
    """The plumbing a flavor plugin uses: its own section beside python_function."""

    def write(dest):
        np.save(dest / "coef.npy", np.array([1.0, 2.0]))
        return {"coef": "coef.npy", "numpy_version": np.__version__}

    meta = save_model_directory(
        tmp_path / "poly",
        flavor_name="poly",
        loader_module="pyfunc_poly",
        write_model=write,
        pyfunc_conf={"model_path": "coef.npy"},
        default_requirements=["numpy"],
        code_paths=None,
        metadata={"k": 1},
    )
    assert meta.flavors["poly"] == {"coef": "coef.npy", "numpy_version": np.__version__}
    assert meta.flavors["python_function"]["model_path"] == "coef.npy"
    assert meta.extra["pyfunc_core_version"] == "0.1.0"
    assert (tmp_path / "poly" / "requirements.txt").read_text() == f"numpy=={np.__version__}\n"

    model_dir = ModelDirectory.open(tmp_path / "poly")
    assert model_dir.loader_module == "pyfunc_poly"
    assert model_dir.data_path == (tmp_path / "poly" / "coef.npy").resolve()
    assert model_dir.flavor_conf("poly")["coef"] == "coef.npy"
    assert model_dir.requirements() == [f"numpy=={np.__version__}"]
    with pytest.raises(ModelLoadError, match="has no 'keras' flavor"):
        model_dir.flavor_conf("keras")

    with pytest.raises(MissingFlavorError) as err:
        load_model(tmp_path / "poly")
    assert str(err.value) == (  # a third-party name: no pip hint for a package that may not exist
        "No installed plugin loads models of loader_module 'pyfunc_poly': "
        "install a plugin that provides it; 'pyfunc-core plugins' lists the installed ones"
    )
    assert err.value.distribution == "pyfunc-poly"


@pytest.mark.parametrize(
    ("loader", "dist"),
    [
        ("mlflow.sklearn", "pyfunc-sklearn"),
        ("mlflow.keras", "pyfunc-tensorflow"),
        ("mlflow.xgboost", "pyfunc-xgboost"),
        ("pyfunc_poly", "pyfunc-poly"),
        ("pyfunc_light_gbm.loader", "pyfunc-light-gbm"),
        ("catboost_pyfunc", "pyfunc-catboost-pyfunc"),
    ],
)
def test_install_hint(loader, dist):
    assert install_hint(loader) == dist


class ConfPredictor:
    def __init__(self, conf):
        self.conf = conf

    def predict(self, data, params=None):
        return self.conf


def test_mlflow_loader_module_resolves_to_the_flavor_of_that_name(tmp_path):
    class Named:
        @hookimpl
        def register_flavors(self, registry):
            registry.add(Flavor(name="lightgbm", load=lambda d: ConfPredictor(d.flavor_conf("lightgbm"))))

    plugins = Plugins().load(entry_points=False)
    plugins.add_plugin(Named(), name="lgb")
    assert plugins.flavors.by_loader_module("mlflow.lightgbm").name == "lightgbm"
    assert plugins.flavors.by_loader_module("mlflow.pyfunc.model").name == "python_model"
    assert plugins.flavors.by_loader_module("lightgbm") is None
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "MLmodel").write_text(
        "flavors:\n  lightgbm:\n    k: 1\n  python_function:\n    loader_module: mlflow.lightgbm\n"
    )
    assert load_model(tmp_path / "m", plugins=plugins).predict(None) == {"k": 1}


def test_flavor_framework_requirements_are_checked_from_metadata(tmp_path, models):
    save_model(tmp_path / "m", models.Echo())

    def plugins_with(requirements):
        class Picky:
            @hookimpl
            def register_flavors(self, registry):
                registry.add(Flavor(name="picky", load=lambda d: None, requirements=requirements))

            @hookimpl
            def select_flavor(self, model, registry):
                return registry["picky"]

        plugins = Plugins().load(entry_points=False)
        plugins.add_plugin(Picky(), name="picky", distribution="pyfunc-picky", version="1.0")
        return plugins

    with pytest.raises(
        ModelLoadError, match=r"^pyfunc-picky supports numpy>=999, but numpy .* is installed$"
    ):
        load_model(tmp_path / "m", plugins=plugins_with(("numpy>=999",)))
    with pytest.raises(
        ModelLoadError,
        match=r"^The picky flavor needs not-a-framework, which is not installed: pip install 'not-a-framework>=1'$",
    ):
        load_model(tmp_path / "m", plugins=plugins_with(("not-a-framework>=1",)))


def test_flavor_loader_errors_are_wrapped(tmp_path, models):
    save_model(tmp_path / "m", models.Echo())

    class Exploding:
        @hookimpl
        def register_flavors(self, registry):
            registry.add(Flavor(name="boom", load=lambda d: 1 / 0))

        @hookimpl
        def select_flavor(self, model, registry):
            return registry["boom"]

    plugins = Plugins().load(entry_points=False)
    plugins.add_plugin(Exploding(), name="boom")
    with pytest.raises(ModelLoadError, match=r"with the boom flavor: ZeroDivisionError: division by zero$"):
        load_model(tmp_path / "m", plugins=plugins)


# -- broken directories ------------------------------------------------------------------


def _break(path, how):
    mlmodel = path / "MLmodel"
    if how == "missing path":
        return path.parent / "does-not-exist"
    if how == "missing MLmodel":
        mlmodel.unlink()
    elif how == "broken YAML":
        mlmodel.write_text("flavors: [unclosed\n")
    elif how == "not a mapping":
        mlmodel.write_text("- just\n- a list\n")
    elif how == "no flavors":
        mlmodel.write_text("model_uuid: abc\n")
    elif how == "no python_function":
        mlmodel.write_text("flavors:\n  sklearn:\n    pickled_model: model.pkl\n")
    elif how == "unknown flavor":
        mlmodel.write_text("flavors:\n  python_function:\n    loader_module: mlflow.catboost\n")
    elif how == "no loader_module":
        mlmodel.write_text("flavors:\n  python_function:\n    python_model: python_model.pkl\n")
    elif how == "bad signature":
        text = mlmodel.read_text().replace(
            "flavors:", 'signature:\n  inputs: \'[{"type": "wat"}]\'\nflavors:'
        )
        mlmodel.write_text(text)
    elif how == "missing model file":
        (path / "python_model.pkl").unlink()
    elif how == "corrupted pickle":
        (path / "python_model.pkl").write_bytes(b"\x80\x05not really a pickle")
    elif how == "escaping model file":
        mlmodel.write_text(
            mlmodel.read_text().replace("python_model: python_model.pkl", "python_model: ../x.pkl")
        )
    return path


BROKEN = {
    "missing path": r"Model path '.*does-not-exist' does not exist",
    "missing MLmodel": r"No MLmodel file in '.*': not a model directory",
    "broken YAML": r"MLmodel in '.*' is not valid YAML: ",
    "not a mapping": r"MLmodel in '.*' is not a YAML mapping",
    "no flavors": r"MLmodel has no 'flavors' mapping",
    "no python_function": r"has no python_function flavor \(flavors: sklearn\), so it cannot be loaded",
    "unknown flavor": r"No installed plugin loads models of loader_module 'mlflow.catboost': install a plugin "
    r"that provides it; 'pyfunc-core plugins' lists the installed ones",
    "no loader_module": r"has no python_function.loader_module",
    "bad signature": r"MLmodel has an invalid signature: unsupported column type 'wat'",
    "missing model file": r"python_model pickle 'python_model.pkl' is missing from model directory",
    "corrupted pickle": r"python_model.pkl cannot be unpickled: UnpicklingError",
    "escaping model file": r"python_model pickle '../x.pkl' points outside the model directory",
}


@pytest.fixture
def saved(tmp_path, models):
    path = tmp_path / "model dir"
    save_model(path, models.Echo())
    return path


@pytest.mark.parametrize("how", list(BROKEN))
def test_broken_model_directories_fail_with_one_clear_line(saved, how, pyfunc_cli):
    path = _break(saved, how)
    with pytest.raises(ModelLoadError, match=BROKEN[how]):
        load_model(path)
    result = pyfunc_cli("predict", "-m", str(path), input='{"inputs": [1]}')
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert re.search(BROKEN[how], result.output)


def test_unknown_flavor_from_the_real_cli(saved, cli_subprocess):
    _break(saved, "unknown flavor")
    for command in ("predict", "info"):
        args = [command, "-m", str(saved)]
        result = cli_subprocess(*args, input=b'{"inputs": [1]}')
        if command == "info":
            assert result.returncode == 0
            assert "mlflow.catboost -> no installed plugin: install a plugin that provides it; " in (
                result.stdout.decode()
            )
            continue
        assert result.returncode == 1
        assert result.stdout == b""
        assert result.stderr.decode() == (
            "Error: No installed plugin loads models of loader_module 'mlflow.catboost': install a plugin "
            "that provides it; 'pyfunc-core plugins' lists the installed ones\n"
        )
