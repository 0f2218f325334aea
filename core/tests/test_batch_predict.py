"""``pyfunc-core predict`` as a chunked batch scorer: CSV and Parquet, workers, rejects."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import cloudpickle
import numpy as np
import pandas as pd
import pytest

from pyfunc_core import PythonModel, infer_signature, save_model
from pyfunc_core.codecs.encode import predictions_to_json

cloudpickle.register_pickle_by_value(sys.modules[__name__])

ROWS, CHUNK = 5_000, 700
BAD_LINE = 2_603  # a line in the middle of the file, not at a chunk boundary


class WeightedSum(PythonModel):
    """A deterministic CPU model: a weighted sum of the columns plus a bias."""

    def __init__(self, weights: list[float]):
        self.weights = np.asarray(weights)

    def predict(self, context, model_input, params=None):
        return model_input.to_numpy() @ self.weights + 0.5


class SignLabel(PythonModel):
    """Integer labels from comparisons only: no arithmetic, so every batch shape gives the same bytes."""

    def predict(self, context, model_input, params=None):
        return (model_input["a"].to_numpy() > 0).astype("int64") + (model_input["d"].to_numpy() > 0)


class TextLength(PythonModel):
    """Scores a string column by its length (for quoted, multi-line CSV fields)."""

    def predict(self, context, model_input, params=None):
        return pd.DataFrame({"length": model_input["text"].str.len(), "x2": model_input["x"] * 2})


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(rng.normal(size=(ROWS, 4)), columns=["a", "b", "c", "d"])


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory, frame: pd.DataFrame) -> Path:
    path = tmp_path_factory.mktemp("batch") / "model"
    model = WeightedSum([1.0, -2.0, 0.25, 3.0])
    save_model(path, model, signature=infer_signature(frame, model.predict(None, frame)))
    return path


@pytest.fixture(scope="module")
def expected(model_path: Path, frame: pd.DataFrame) -> Any:
    from pyfunc_core import load_model

    return load_model(model_path).predict(frame)


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory: pytest.TempPathFactory, frame: pd.DataFrame) -> Path:
    path = tmp_path_factory.mktemp("data") / "input.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def bad_csv_path(csv_path: Path) -> Path:
    """The same file with a non-number at line BAD_LINE and one field too many 1,000 lines later."""
    lines = csv_path.read_text().splitlines()
    lines[BAD_LINE - 1] = "1.0,oops,2.0,3.0"
    lines[BAD_LINE + 999] += ",42"
    path = csv_path.with_name("bad.csv")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def label_model_path(tmp_path_factory: pytest.TempPathFactory, frame: pd.DataFrame) -> Path:
    path = tmp_path_factory.mktemp("labels") / "model"
    model = SignLabel()
    save_model(path, model, signature=infer_signature(frame, model.predict(None, frame)))
    return path


def predict(pyfunc_cli: Any, *args: Any) -> Any:
    return pyfunc_cli("predict", *map(str, args))


def assert_close(written: Any, expected: Any) -> None:
    """Float predictions agree to the last few bits, not bit for bit.

    BLAS sums a row's products in an order that depends on the block shape and the CPU, so a
    chunk of 700 rows and the whole file may differ in the last digit (seen: 6 of 5,000 values,
    by at most 9e-16). Where the arithmetic is exact (integer labels) the tests compare bytes.
    """
    if isinstance(written, Path):
        written = json.loads(written.read_bytes())["predictions"]
    np.testing.assert_allclose(
        np.asarray(written, dtype="float64"), np.asarray(expected), rtol=1e-12, atol=1e-12
    )


def test_chunked_csv_equals_one_shot(pyfunc_cli, model_path, csv_path, expected, tmp_path):
    chunked, whole = tmp_path / "chunked.json", tmp_path / "whole.json"
    result = predict(pyfunc_cli, "-m", model_path, "-i", csv_path, "-o", chunked, "--chunk-size", CHUNK)
    assert result.exit_code == 0, result.output
    assert f"scored {ROWS:,} rows in" in result.stderr and "rows/s" in result.stderr
    result = predict(
        pyfunc_cli, "-m", model_path, "-i", csv_path, "-o", whole, "-t", "csv", "--chunk-size", 0
    )
    assert result.exit_code == 0, result.output
    assert_close(chunked, expected)
    assert_close(whole, expected)


def test_exact_predictions_are_byte_identical_across_chunks_and_workers(
    pyfunc_cli, label_model_path, csv_path, frame, tmp_path
):
    expected = predictions_to_json(SignLabel().predict(None, frame)) + b"\n"
    for name, extra in {"whole": ("--chunk-size", 0), "chunked": ("--chunk-size", CHUNK)}.items():
        for workers in (1, 2):
            out = tmp_path / f"{name}-{workers}.json"
            args = ("-m", label_model_path, "-i", csv_path, "-o", out, *extra, "--workers", workers)
            result = predict(pyfunc_cli, *args)
            assert result.exit_code == 0, result.output
            assert out.read_bytes() == expected, (name, workers)


def test_workers_keep_output_order(pyfunc_cli, model_path, csv_path, expected, tmp_path):
    out = tmp_path / "out.json"
    args = ("-m", model_path, "-i", csv_path, "-o", out, "--chunk-size", CHUNK, "--workers", 2)
    result = predict(pyfunc_cli, *args)
    assert result.exit_code == 0, result.output
    assert_close(out, expected)


def test_parquet_input_read_in_batches(pyfunc_cli, model_path, frame, expected, tmp_path):
    source = tmp_path / "input.parquet"
    frame.to_parquet(source, row_group_size=1_500)
    out = tmp_path / "out.json"
    result = predict(pyfunc_cli, "-m", model_path, "-i", source, "-o", out, "--chunk-size", CHUNK)
    assert result.exit_code == 0, result.output
    assert_close(out, expected)


def test_csv_output_has_one_row_per_input_row(pyfunc_cli, model_path, csv_path, expected, tmp_path):
    out = tmp_path / "out.csv"
    args = ("-m", model_path, "-i", csv_path, "-o", out, "--chunk-size", CHUNK, "--output-format", "csv")
    result = predict(pyfunc_cli, *args)
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out)
    assert list(written.columns) == ["prediction"] and len(written) == ROWS
    assert_close(written["prediction"].to_numpy(), expected)


def test_bad_row_stops_the_run_with_its_line_number(pyfunc_cli, model_path, bad_csv_path, tmp_path):
    out = tmp_path / "out.json"
    result = predict(pyfunc_cli, "-m", model_path, "-i", bad_csv_path, "-o", out, "--chunk-size", CHUNK)
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert message.count("\n") == 0 and "Traceback" not in message
    assert message.startswith(f"Error: line {BAD_LINE} of ") and "'oops'" in message
    assert not out.exists(), "a failed run must not leave a half-written output"


@pytest.mark.parametrize("workers", [1, 2])
def test_skip_writes_bad_rows_to_rejects(pyfunc_cli, model_path, bad_csv_path, frame, tmp_path, workers):
    from pyfunc_core import load_model

    out = tmp_path / "out.csv"
    args = ("-m", model_path, "-i", bad_csv_path, "-o", out, "--chunk-size", CHUNK)
    args += ("--on-error", "skip", "--output-format", "csv", "--workers", workers)
    result = predict(pyfunc_cli, *args)
    assert result.exit_code == 0, result.output
    rejects = [json.loads(line) for line in (tmp_path / "out.rejects.jsonl").read_text().splitlines()]
    assert [r["line"] for r in rejects] == [BAD_LINE, BAD_LINE + 1000]
    assert rejects[0]["record"] == "1.0,oops,2.0,3.0" and "'oops'" in rejects[0]["error"]
    assert rejects[1]["error"] == "expected 4 fields, saw 5"
    assert "skipped 2 rows" in result.stderr
    good = frame.drop(index=[BAD_LINE - 2, BAD_LINE + 998]).reset_index(drop=True)
    written = pd.read_csv(out)["prediction"].to_numpy()
    assert_close(written, load_model(model_path).predict(good))


def test_explicit_rejects_path(pyfunc_cli, model_path, bad_csv_path, tmp_path):
    rejects = tmp_path / "nested-rejects.jsonl"
    args = ("-m", model_path, "-i", bad_csv_path, "-o", tmp_path / "o.json", "--chunk-size", CHUNK)
    result = predict(pyfunc_cli, *args, "--on-error", "skip", "--rejects", rejects)
    assert result.exit_code == 0, result.output
    assert len(rejects.read_text().splitlines()) == 2
    assert len(json.loads((tmp_path / "o.json").read_text())["predictions"]) == ROWS - 2


def test_quoted_fields_spanning_lines_and_chunks(pyfunc_cli, tmp_path):
    texts = [f'row {i}\nwith "quotes", commas\nand lines' if i % 3 == 0 else f"plain {i}" for i in range(50)]
    data = pd.DataFrame({"text": texts, "x": np.arange(50, dtype="float64")})
    model_dir = tmp_path / "model"
    save_model(model_dir, TextLength(), signature=infer_signature(data))
    source = tmp_path / "in.csv"
    data.to_csv(source, index=False)
    out = tmp_path / "out.json"
    result = predict(pyfunc_cli, "-m", model_dir, "-i", source, "-o", out, "--chunk-size", 4)
    assert result.exit_code == 0, result.output
    predictions = json.loads(out.read_text())["predictions"]
    assert [p["length"] for p in predictions] == [len(t) for t in texts]
    assert [p["x2"] for p in predictions] == [2.0 * i for i in range(50)]


def test_missing_model_and_bad_options_fail_in_one_line(pyfunc_cli, model_path, csv_path, tmp_path):
    result = predict(pyfunc_cli, "-m", tmp_path / "nowhere", "-i", csv_path, "-o", tmp_path / "o.json")
    assert result.exit_code == 1 and "does not exist" in result.stderr
    result = predict(pyfunc_cli, "-m", model_path, "-i", csv_path, "--workers", 0)
    assert result.exit_code == 1 and "--workers must be at least 1" in result.stderr
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    result = predict(pyfunc_cli, "-m", model_path, "-i", empty, "-o", tmp_path / "o.json")
    assert result.exit_code == 1 and "empty" in result.stderr


def test_stdin_and_stdout(cli_subprocess, model_path, frame, expected):
    body = frame.head(1_000).to_csv(index=False).encode()
    result = cli_subprocess("predict", "-m", str(model_path), "-t", "csv", "--chunk-size", "300", input=body)
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(b"]}\n") and result.stdout.count(b"\n") == 1
    assert_close(json.loads(result.stdout)["predictions"], np.asarray(expected)[:1_000])


def test_row_with_too_few_fields_is_a_parse_error(pyfunc_cli, model_path, csv_path, tmp_path):
    """pandas would fill the missing field with NaN; a short row is rejected instead."""
    lines = csv_path.read_text().splitlines()
    lines[BAD_LINE - 1] = ",".join(lines[BAD_LINE - 1].split(",")[:3])
    lines[BAD_LINE + 10] = lines[BAD_LINE + 10].rsplit(",", 1)[0] + ","  # empty last field: valid
    short = tmp_path / "short.csv"
    short.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.json"
    args = ("-m", model_path, "-i", short, "-o", out, "--chunk-size", CHUNK)
    stopped = predict(pyfunc_cli, *args)
    assert stopped.exit_code == 1
    assert (
        stopped.stderr.startswith(f"Error: line {BAD_LINE} of ")
        and "expected 4 fields, saw 3" in stopped.stderr
    )
    skipped = predict(pyfunc_cli, *args, "--on-error", "skip")
    assert skipped.exit_code == 0, skipped.output
    rejects = (tmp_path / "out.rejects.jsonl").read_text().splitlines()
    assert [json.loads(r)["line"] for r in rejects] == [BAD_LINE]
