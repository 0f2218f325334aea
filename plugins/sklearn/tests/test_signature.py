"""Signatures inferred from input examples, string and mixed columns included."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest

import pyfunc_core
import pyfunc_sklearn
from pyfunc_core.errors import InvalidInputError
from pyfunc_core.model import load_input_example
from pyfunc_core.schema.types import DataType


@pytest.fixture(scope="module")
def mixed_model(save: Callable, estimators: Any, data: Any) -> Path:
    return save("pipeline-mixed-example", estimators.pipeline, input_example=data.mixed[:5],
                pyfunc_predict_fn="predict_proba")  # fmt: skip


def test_mixed_columns_inferred(mixed_model: Path) -> None:
    model = pyfunc_core.load_model(mixed_model)
    inputs = model.metadata.get_input_schema()
    assert [(c.name, c.type) for c in inputs.inputs] == [
        ("age", DataType.long),
        ("income", DataType.double),
        ("city", DataType.string),
        ("plan", DataType.string),
    ]
    outputs = model.metadata.get_output_schema()
    assert outputs.is_tensor_spec and outputs.inputs[0].shape == (-1, 2)


def test_mixed_columns_predict(mixed_model: Path, estimators: Any, data: Any) -> None:
    model = pyfunc_core.load_model(mixed_model)
    expected = estimators.pipeline.predict_proba(data.mixed[:10])
    assert model.predict(data.mixed[:10]).tolist() == expected.tolist()
    # records as a server would decode them, with pandas' own string dtype
    records = data.mixed[:10].to_dict(orient="records")
    assert np.allclose(model.predict(pd.DataFrame(records)), expected)
    # columns in another order are put in the signature's order
    shuffled = data.mixed[["plan", "city", "income", "age"]][:10]
    assert model.predict(shuffled).tolist() == expected.tolist()


def test_string_column_rejects_numbers(mixed_model: Path, data: Any) -> None:
    model = pyfunc_core.load_model(mixed_model)
    bad = data.mixed[:3].copy()
    bad["city"] = [1, 2, 3]
    with pytest.raises(InvalidInputError, match="city"):
        model.predict(bad)


def test_input_example_saved(mixed_model: Path, data: Any) -> None:
    model = pyfunc_core.load_model(mixed_model)
    example = load_input_example(mixed_model, model.metadata.saved_input_example_info)
    assert list(example.columns) == ["age", "income", "city", "plan"]
    assert example["city"].tolist() == data.mixed["city"][:5].tolist()
    assert (mixed_model / "serving_input_example.json").is_file()


def test_tensor_signature_from_array(save: Callable, estimators: Any, data: Any) -> None:
    path = save("gbr-example", estimators.gbr, input_example=data.X[:5])
    model = pyfunc_core.load_model(path)
    spec = model.metadata.get_input_schema().inputs[0]
    assert (spec.dtype, spec.shape) == (np.dtype("float64"), (-1, 6))
    out = model.metadata.get_output_schema().inputs[0]
    assert (out.dtype, out.shape) == (np.dtype("float64"), (-1,))
    assert model.predict(data.X[:7]).tolist() == estimators.gbr.predict(data.X[:7]).tolist()


def test_column_signature_for_named_frame(save: Callable, estimators: Any, data: Any) -> None:
    path = save("logreg-named-example", estimators.logreg_named, input_example=data.Xdf[:5])
    model = pyfunc_core.load_model(path)
    assert model.metadata.get_input_schema().input_names() == [f"f{i}" for i in range(6)]
    # integers are safely widened to the declared doubles
    ints = data.Xdf[:4].round().astype("int64")
    assert model.predict(ints).tolist() == estimators.logreg_named.predict(ints.astype(float)).tolist()


def test_explicit_signature_kept(tmp_path: Path, estimators: Any, data: Any) -> None:
    signature = pyfunc_core.infer_signature(data.Xdf[:3], estimators.logreg_named.predict(data.Xdf[:3]))
    path = tmp_path / "m"
    pyfunc_sklearn.save_model(estimators.logreg_named, path, signature=signature)
    assert pyfunc_core.load_model(path).metadata.signature == signature
    assert not (path / "input_example.json").exists()


def test_pipeline_accepts_positional_array(save: Callable, estimators: Any, data: Any) -> None:
    """A pipeline fitted on named columns takes a plain object array, matched by position."""
    path = save("pipeline-plain", estimators.pipeline, serialization_format="pickle")
    model = pyfunc_core.load_model(path)
    rows = data.mixed[:6].to_numpy(dtype=object)
    assert model.predict(rows).tolist() == estimators.pipeline.predict(data.mixed[:6]).tolist()
    unnamed = pd.DataFrame(rows)
    assert model.predict(unnamed).tolist() == estimators.pipeline.predict(data.mixed[:6]).tolist()
