"""The PythonModel API: save_model / load_model with everything MLflow users rely on."""

from __future__ import annotations

import json
import sys
import textwrap
from importlib import metadata

import numpy as np
import pandas as pd
import pytest
import yaml

from pyfunc_core import (
    ModelSignature,
    ParamSchema,
    ParamSpec,
    PythonModel,
    Schema,
    TensorSpec,
    load_model,
    save_model,
)
from pyfunc_core.errors import InvalidParameterError, PyfuncError
from pyfunc_core.model.requirements import pin

cloudpickle = pytest.importorskip("cloudpickle")
cloudpickle.register_pickle_by_value(sys.modules[__name__])


class Lookup(PythonModel):
    """Uses a file artifact, a directory artifact and the model_config."""

    def load_context(self, context):
        with open(context.artifacts["vocab"], encoding="utf-8") as f:
            self.vocab = f.read().split()
        with open(f"{context.artifacts['weights']}/scale.txt", encoding="utf-8") as f:
            self.scale = float(f.read())
        self.prefix = context.model_config["prefix"]

    def predict(self, context, model_input, params=None):
        return [f"{self.prefix}{self.vocab[i]}x{self.scale}" for i in model_input["i"]]


class Streamer(PythonModel):
    def predict(self, context, model_input, params=None):
        return list(model_input["text"])

    def predict_stream(self, context, model_input, params=None):
        for word in model_input["text"][0].split():
            yield f"{word}{(params or {}).get('suffix', '')}"


class Scaled(PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input["x"].to_numpy() * params["factor"] + params["offset"]


def test_artifacts_model_config_and_metadata(tmp_path):
    (tmp_path / "vocab.txt").write_text("zero one two", encoding="utf-8")
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "scale.txt").write_text("2.5", encoding="utf-8")
    path = tmp_path / "model"
    save_model(
        path,
        Lookup(),
        artifacts={"vocab": tmp_path / "vocab.txt", "weights": str(tmp_path / "weights")},
        model_config={"prefix": ">"},
        metadata={"team": "search", "version": 3},
    )
    (tmp_path / "vocab.txt").unlink()  # the model uses its own copies
    assert (path / "artifacts" / "vocab.txt").read_text(encoding="utf-8") == "zero one two"
    assert (path / "artifacts" / "weights" / "scale.txt").is_file()

    model = load_model(path)
    assert model.predict(pd.DataFrame({"i": [2, 0]})) == [">twox2.5", ">zerox2.5"]
    assert model.metadata.metadata == {"team": "search", "version": 3}
    conf = model.metadata.flavors["python_function"]
    assert conf["model_config"] == {"prefix": ">"}
    assert conf["artifacts"]["vocab"] == {"path": "artifacts/vocab.txt", "uri": str(tmp_path / "vocab.txt")}
    assert conf["artifacts"]["weights"]["path"] == "artifacts/weights"
    assert isinstance(model.unwrap_python_model(), Lookup)
    assert model.unwrap_python_model().vocab == ["zero", "one", "two"]


def test_params_schema_defaults_casts_and_refusals(tmp_path):
    signature = ModelSignature(
        Schema.from_json('[{"type": "double", "name": "x"}]'),
        params=ParamSchema([ParamSpec("factor", "double", 2.0), ParamSpec("offset", "long", 0)]),
    )
    save_model(tmp_path / "m", Scaled(), signature=signature)
    model = load_model(tmp_path / "m")
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    assert model.predict(frame).tolist() == [2.0, 4.0]  # defaults
    assert model.predict(frame, {"factor": 3}).tolist() == [3.0, 6.0]  # int -> double
    assert model.predict(frame, {"offset": 1.0, "unknown": 1}).tolist() == [3.0, 5.0]
    with pytest.raises(InvalidParameterError, match="param 'factor'"):
        model.predict(frame, {"factor": "big"})
    with pytest.raises(InvalidParameterError, match="param 'offset'"):
        model.predict(frame, {"offset": 1.5})


def test_predict_stream(tmp_path):
    signature = ModelSignature(params=ParamSchema([ParamSpec("suffix", "string", "")]))
    save_model(tmp_path / "s", Streamer(), signature=signature)
    model = load_model(tmp_path / "s")
    stream = model.predict_stream(pd.DataFrame({"text": ["a b c"]}), params={"suffix": "!"})
    assert list(stream) == ["a!", "b!", "c!"]
    assert list(model.predict_stream(pd.DataFrame({"text": ["d"]}))) == ["d"]

    save_model(tmp_path / "plain", Scaled())
    with pytest.raises(PyfuncError, match="does not support predict_stream"):
        load_model(tmp_path / "plain").predict_stream(pd.DataFrame({"x": [1.0]}))


def test_input_example_infers_signature_and_writes_example_files(tmp_path, models):
    example = pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5], "s": ["x", "y"]})
    save_model(tmp_path / "m", models.Echo(), input_example=example)
    model = load_model(tmp_path / "m")
    sig = model.metadata.signature
    assert sig.inputs.to_json() == (
        '[{"type": "long", "name": "a", "required": true}, '
        '{"type": "double", "name": "b", "required": true}, '
        '{"type": "string", "name": "s", "required": true}]'
    )
    assert sig.outputs == sig.inputs  # inferred from predicting the example
    assert json.loads((tmp_path / "m" / "input_example.json").read_text()) == {
        "columns": ["a", "b", "s"],
        "data": [[1, 0.5, "x"], [2, 1.5, "y"]],
    }
    serving = json.loads((tmp_path / "m" / "serving_input_example.json").read_text())
    assert serving == {
        "dataframe_split": {"columns": ["a", "b", "s"], "data": [[1, 0.5, "x"], [2, 1.5, "y"]]}
    }
    assert model.metadata.saved_input_example_info == {
        "artifact_path": "input_example.json",
        "serving_input_path": "serving_input_example.json",
        "type": "dataframe",
        "pandas_orient": "split",
    }
    from pyfunc_core.model import load_input_example

    loaded = load_input_example(model.path, model.metadata.saved_input_example_info)
    pd.testing.assert_frame_equal(loaded, example, check_dtype=False)


def test_ndarray_input_example_gives_a_tensor_signature(tmp_path, models):
    example = np.arange(6, dtype=np.float32).reshape(2, 3)
    save_model(tmp_path / "t", models.Echo(), input_example=example)
    model = load_model(tmp_path / "t")
    assert model.metadata.signature.inputs == Schema([TensorSpec("float32", (-1, 3))])
    assert json.loads((tmp_path / "t" / "serving_input_example.json").read_text()) == {
        "inputs": example.tolist()
    }
    assert model.metadata.saved_input_example_info["type"] == "ndarray"
    np.testing.assert_array_equal(model.predict(example.astype(np.int32)), example)


def test_code_paths_ship_the_model_code(tmp_path, monkeypatch, cli_subprocess):
    pkg = tmp_path / "src" / "shipped_helpers_pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(
        textwrap.dedent(
            """
            from pyfunc_core import PythonModel

            def double(values):
                return [v * 2 for v in values]

            class Doubler(PythonModel):
                def predict(self, context, model_input, params=None):
                    return double(list(model_input["v"]))
            """
        ),
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    try:
        from shipped_helpers_pkg import Doubler

        save_model(tmp_path / "with code", Doubler(), code_paths=[pkg])
        save_model(tmp_path / "without", Doubler())
    finally:
        sys.modules.pop("shipped_helpers_pkg", None)
    assert (tmp_path / "with code" / "code" / "shipped_helpers_pkg" / "__init__.py").is_file()
    conf = yaml.safe_load((tmp_path / "with code" / "MLmodel").read_text())["flavors"]["python_function"]
    assert conf["code"] == "code"

    body = b'{"dataframe_records": [{"v": 1}, {"v": 4}]}'
    ok = cli_subprocess("predict", "-m", str(tmp_path / "with code"), input=body, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout == b'{"predictions": [2, 8]}\n'

    missing = cli_subprocess("predict", "-m", str(tmp_path / "without"), input=body, cwd=tmp_path)
    assert missing.returncode == 1
    assert b"Traceback" not in missing.stderr
    assert b"needs module 'shipped_helpers_pkg'" in missing.stderr
    assert b"code_paths" in missing.stderr


def test_pip_requirements_and_extra_pip_requirements(tmp_path, models):
    # pyfunc-core is what MLflow needs to import this model's loader_module: always listed
    core = f"pyfunc-core=={metadata.version('pyfunc-core')}"
    save_model(tmp_path / "default", models.Echo())
    assert (tmp_path / "default" / "requirements.txt").read_text() == f"{pin('cloudpickle')}\n{core}\n"
    assert pin("cloudpickle") == f"cloudpickle=={cloudpickle.__version__}"

    save_model(tmp_path / "extra", models.Echo(), extra_pip_requirements=["numpy", "pandas<4"])
    assert (tmp_path / "extra" / "requirements.txt").read_text().splitlines() == [
        pin("cloudpickle"),
        core,
        "numpy",
        "pandas<4",
    ]
    req_file = tmp_path / "reqs.txt"
    req_file.write_text("# pinned by hand\nscikit-learn==1.5.0\n\nnumpy\n", encoding="utf-8")
    save_model(tmp_path / "replaced", models.Echo(), pip_requirements=str(req_file))
    assert (tmp_path / "replaced" / "requirements.txt").read_text().splitlines() == [
        "scikit-learn==1.5.0",
        "numpy",
        core,
    ]
    save_model(tmp_path / "own-pin", models.Echo(), pip_requirements=["pyfunc-core>=0.1", "numpy"])
    assert (tmp_path / "own-pin" / "requirements.txt").read_text().splitlines() == [
        "pyfunc-core>=0.1",
        "numpy",
    ]
    with pytest.raises(ValueError, match="not both"):
        save_model(tmp_path / "both", models.Echo(), pip_requirements=["a"], extra_pip_requirements=["b"])
    assert not (tmp_path / "both").exists()


def test_save_refuses_bad_arguments_and_cleans_up(tmp_path, models):
    with pytest.raises(
        InvalidParameterError,
        match=r"python_model must be a PythonModel instance or the path of a \.py file, got dict",
    ):
        save_model(tmp_path / "x", {"not": "a model"})
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "file").write_text("x")
    with pytest.raises(FileExistsError, match="already exists and is not empty"):
        save_model(tmp_path / "full", models.Echo())
    with pytest.raises(FileNotFoundError, match="artifact 'gone' points to"):
        save_model(tmp_path / "half", models.Echo(), artifacts={"gone": tmp_path / "nope.bin"})
    assert not (tmp_path / "half").exists()
    with pytest.raises(TypeError, match="signature must be a ModelSignature"):
        save_model(tmp_path / "sig", models.Echo(), signature={"inputs": "x"})
    assert not (tmp_path / "sig").exists()


def test_predict_without_context_or_params_arguments(tmp_path):
    class Bare(PythonModel):
        def predict(self, model_input):  # older style: no context, no params
            return len(model_input)

    class Renamed(PythonModel):
        def predict(self, ctx, data):  # any names: two arguments are (context, input)
            return [type(ctx).__name__, len(data)]

    save_model(tmp_path / "bare", Bare())
    assert load_model(tmp_path / "bare").predict([1, 2, 3]) == 3
    save_model(tmp_path / "renamed", Renamed())
    assert load_model(tmp_path / "renamed").predict([1, 2]) == ["PythonModelContext", 2]
