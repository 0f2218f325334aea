"""spark_udf over a local[2] session: every prediction checked against in-process predict."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import cloudpickle
import numpy as np
import pandas as pd
import pytest

from pyfunc_core import PythonModel, infer_signature, load_model, save_model
from pyfunc_core.errors import InvalidInputError, InvalidParameterError, ModelLoadError

cloudpickle.register_pickle_by_value(sys.modules[__name__])


def in_process(path: Path, frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(load_model(path).predict(frame))


def scored(spark_frame: Any, column: Any) -> pd.DataFrame:
    """The frame with ``column`` added as ``p``, back in pandas in its original row order."""
    return spark_frame.withColumn("p", column).toPandas().sort_values("f0", ignore_index=True)


@pytest.fixture(scope="module")
def ordered(features: pd.DataFrame) -> pd.DataFrame:
    return features.sort_values("f0", ignore_index=True)


def test_double_by_column_names_matches_every_prediction(spark, spark_features, models, ordered):
    from pyfunc_spark import spark_udf

    udf = spark_udf(spark, models["regressor"], result_type="double")
    out = scored(spark_features, udf("f0", "f1", "f2", "f3", "f4"))
    assert len(out) == len(ordered)
    np.testing.assert_array_equal(
        out["p"].to_numpy(), in_process(models["regressor"], ordered[list(out.columns[:5])])
    )


def test_struct_and_reordered_and_default_columns(spark, spark_features, models, ordered):
    from pyspark.sql import functions as F

    from pyfunc_spark import spark_udf

    udf = spark_udf(spark, models["classifier"], result_type="long")
    expected = in_process(models["classifier"], ordered)
    frame = spark_features.select(
        "f0",
        udf(F.struct("f4", "f3", "f2", "f1", "f0")).alias("by_struct"),
        udf("f4", "f0", "f3", "f1", "f2").alias("reordered"),
        udf().alias("default"),
        udf(*[F.col(c) + 0 for c in ["f0", "f1", "f2", "f3", "f4"]]).alias("positional"),
    )
    out = frame.toPandas().sort_values("f0", ignore_index=True)
    for column in ("by_struct", "reordered", "default", "positional"):
        np.testing.assert_array_equal(out[column].to_numpy(), expected, err_msg=column)


@pytest.mark.parametrize(
    ("result_type", "dtype"),
    [("int", "int32"), ("float", "float32"), ("string", object), ("boolean", "bool")],
)
def test_scalar_result_types(spark, spark_features, models, ordered, result_type, dtype):
    from pyfunc_spark import spark_udf

    small = spark_features.limit(2_000)
    udf = spark_udf(spark, models["classifier"], result_type=result_type)
    out = small.withColumn("p", udf()).toPandas()
    expected = pd.Series(in_process(models["classifier"], out[ordered.columns])).astype(dtype)
    if result_type == "string":
        expected = expected.map(str)
    assert list(out["p"]) == list(expected)


def test_array_result_from_predict_proba(spark, spark_features, models, ordered):
    from pyfunc_spark import spark_udf

    udf = spark_udf(spark, models["proba"], result_type="array<double>")
    out = scored(spark_features, udf())
    np.testing.assert_array_equal(np.stack(out["p"].to_numpy()), in_process(models["proba"], ordered))


class Summary(PythonModel):
    """A DataFrame output: a struct result type takes its columns by name."""

    def predict(self, context, model_input, params=None):
        return pd.DataFrame(
            {"total": model_input.sum(axis=1), "label": np.where(model_input["f0"] > 0, "pos", "neg")}
        )


class CountsLoads(PythonModel):
    """Records every load (one line per load, with the process id) in a file."""

    def __init__(self, log: str):
        self.log = log

    def load_context(self, context):
        import os

        with open(self.log, "a") as f:
            f.write(f"{os.getpid()}\n")

    def predict(self, context, model_input, params=None):
        return model_input["f0"] * 3.0


def test_struct_result_from_dataframe_output(spark, spark_features, features, tmp_path):
    from pyfunc_spark import spark_udf

    path = tmp_path / "summary"
    save_model(path, Summary(), signature=infer_signature(features.head(10)))
    udf = spark_udf(spark, path, result_type="label string, total double")
    out = (
        spark_features.limit(5_000)
        .withColumn("p", udf())
        .select("f0", "f1", "f2", "f3", "f4", "p.*")
        .toPandas()
    )
    expected = Summary().predict(None, out[features.columns])
    assert list(out["label"]) == list(expected["label"])
    np.testing.assert_array_equal(out["total"].to_numpy(), expected["total"].to_numpy())


def test_model_loaded_once_per_worker_and_shipped_through_spark(spark, spark_features, features, tmp_path):
    """Scores from a copy deleted before the job runs: executors only have what Spark shipped."""
    from pyfunc_spark import spark_udf

    log = tmp_path / "loads.log"
    copy = tmp_path / "copy"
    save_model(copy, CountsLoads(str(log)), signature=infer_signature(features.head(10)))
    udf = spark_udf(spark, copy, result_type="double")
    shutil.rmtree(copy)
    out = spark_features.withColumn("p", udf()).toPandas()
    np.testing.assert_array_equal(out["p"].to_numpy(), out["f0"].to_numpy() * 3.0)
    pids = log.read_text().split()
    # 300,000 rows in 20,000-row Arrow batches: 15+ batches, yet one load per Python worker.
    assert 1 <= len(pids) <= 2 and len(set(pids)) == len(pids)


def test_wrong_column_names_fail_clearly(spark, spark_features, models):
    from pyspark.sql import functions as F

    from pyfunc_spark import spark_udf

    udf = spark_udf(spark, models["regressor"])
    with pytest.raises(InvalidInputError, match=r"Model is missing inputs \['f3', 'f4'\]"):
        udf("f0", "f1", "f2", "x3", "x4")
    renamed = spark_features.withColumnRenamed("f4", "g4")
    with pytest.raises(Exception, match=r"Model is missing inputs \['f4'\]"):
        renamed.select(udf(F.struct("f0", "f1", "f2", "f3", "g4"))).collect()


def test_wrong_types_fail_clearly(spark, spark_features, models):
    from pyspark.sql import functions as F

    from pyfunc_spark import spark_udf

    udf = spark_udf(spark, models["regressor"])
    as_text = spark_features.limit(100).withColumn("f2", F.concat(F.lit("x"), F.col("f2").cast("string")))
    with pytest.raises(Exception, match="Incompatible input types for column f2"):
        as_text.select(udf()).collect()


def test_missing_model_and_bad_options_fail_on_the_driver(spark, models, tmp_path):
    from pyfunc_spark import spark_udf

    with pytest.raises(ModelLoadError, match="does not exist"):
        spark_udf(spark, tmp_path / "no-such-model")
    with pytest.raises(InvalidParameterError, match="not a Spark type"):
        spark_udf(spark, models["regressor"], result_type="doubel")
    with pytest.raises(InvalidParameterError, match="not supported"):
        spark_udf(spark, models["regressor"], result_type="map<string,double>")
    with pytest.raises(InvalidParameterError, match="env_manager"):
        spark_udf(spark, models["regressor"], env_manager="conda-ish")


def test_spark_predict_command(spark, pyfunc_cli, models, features, tmp_path):
    source = tmp_path / "input.csv"
    features.head(20_000).to_csv(source, index=False)
    out = tmp_path / "scored"
    args = ["spark-predict", "-m", str(models["regressor"]), "-i", str(source), "-o", str(out)]
    result = pyfunc_cli(*args)
    assert result.exit_code == 0, result.output
    written = pd.read_parquet(out).sort_values("f0", ignore_index=True)
    np.testing.assert_array_equal(
        written["prediction"].to_numpy(), in_process(models["regressor"], written[features.columns])
    )
    again = pyfunc_cli(*args)
    assert again.exit_code == 1 and "already exists" in again.stderr
    bad = tmp_path / "bad.csv"
    features.head(100).assign(f2="text").to_csv(bad, index=False)
    failed = pyfunc_cli(
        "spark-predict", "-m", str(models["regressor"]), "-i", str(bad), "-o", str(tmp_path / "o1")
    )
    assert failed.exit_code == 1
    assert failed.stderr.strip().splitlines()[-1].startswith("Error: Incompatible input types for column f2")
    missing = pyfunc_cli(
        "spark-predict", "-m", str(tmp_path / "nope"), "-i", str(source), "-o", str(tmp_path / "o2")
    )
    assert missing.exit_code == 1 and "does not exist" in missing.stderr
