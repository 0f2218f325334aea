"""One local[2] Spark session for the whole test session, and real sklearn models."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

ROWS = 300_000
FEATURES = ["f0", "f1", "f2", "f3", "f4"]


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime: install one (Debian: default-jre-headless)")
    from pyspark.sql import SparkSession

    # The JVM and its Python workers inherit the environment at start-up: workers must run
    # this interpreter (which has our plugins), and virtualenvs go to a throw-away root.
    saved = {k: os.environ.get(k) for k in ("PYSPARK_PYTHON", "PYFUNC_CORE_ENV_ROOT")}
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYFUNC_CORE_ENV_ROOT"] = str(tmp_path_factory.mktemp("spark-envs"))
    try:
        session = (
            SparkSession.builder.master("local[2]")
            .appName("pyfunc-spark tests")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.default.parallelism", "2")
            .config("spark.sql.execution.arrow.maxRecordsPerBatch", "20000")
            .config("spark.driver.memory", "1g")
            .getOrCreate()
        )
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def features() -> Any:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(11)
    return pd.DataFrame(rng.normal(size=(ROWS, len(FEATURES))), columns=FEATURES)


@pytest.fixture(scope="session")
def spark_features(spark: Any, features: Any) -> Any:
    return spark.createDataFrame(features).repartition(2).cache()


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory, features: Any) -> dict[str, Path]:
    """sklearn models saved with pyfunc-sklearn: a regressor, a classifier and its probabilities."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeRegressor

    from pyfunc_core import infer_signature
    from pyfunc_sklearn import save_model

    root = tmp_path_factory.mktemp("models")
    train = features.head(5_000)
    target = train["f0"] * 2 - train["f1"] + train["f2"] * train["f3"]
    regressor = DecisionTreeRegressor(max_depth=8, random_state=0).fit(train, target)
    classifier = LogisticRegression().fit(train, (target > 0).astype("int64"))
    paths = {
        "regressor": root / "regressor",
        "classifier": root / "classifier",
        "proba": root / "proba",
    }
    save_model(regressor, paths["regressor"], signature=infer_signature(train, regressor.predict(train)))
    save_model(classifier, paths["classifier"], signature=infer_signature(train, classifier.predict(train)))
    save_model(
        classifier,
        paths["proba"],
        pyfunc_predict_fn="predict_proba",
        signature=infer_signature(train, classifier.predict_proba(train)),
    )
    return paths
