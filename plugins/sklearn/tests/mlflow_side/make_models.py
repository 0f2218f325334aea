"""Run inside a virtualenv with MLflow: save scikit-learn models with ``mlflow.sklearn``
and record MLflow's own predictions, for the compatibility tests to compare against.

Usage: python make_models.py OUT_DIR

Writes OUT_DIR/<case>/ (an MLflow model directory) for each case and OUT_DIR/cases.json:
``{case: {"input": {"kind": "ndarray"|"dataframe", ...}, "predictions": [...]}}``.
All data is generated here from fixed seeds; nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import mlflow
import mlflow.pyfunc
import mlflow.sklearn
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

TREE = ["sklearn.tree._tree.Tree"]


def numeric_data():
    rng = np.random.RandomState(42)
    X = rng.normal(size=(200, 6))
    y_cls = (X[:, 0] + 0.5 * X[:, 1] - X[:, 2] > 0).astype(int)
    y_reg = 3 * X[:, 0] - 2 * X[:, 3] + rng.normal(scale=0.1, size=200)
    return X, y_cls, y_reg


def mixed_data():
    rng = np.random.RandomState(7)
    n = 200
    df = pd.DataFrame(
        {
            "age": rng.randint(18, 80, size=n).astype("int64"),
            "income": rng.normal(50_000, 15_000, size=n),
            "city": rng.choice(["paris", "lyon", "nice"], size=n).astype(object),
            "plan": rng.choice(["free", "pro"], size=n).astype(object),
        }
    )
    y = ((df["income"] > 50_000) ^ (df["city"] == "nice")).astype(int).to_numpy()
    return df, y


def mixed_pipeline():
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), ["age", "income"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["city", "plan"]),
        ]
    )
    return Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=500))])


def encode_input(value):
    if isinstance(value, pd.DataFrame):
        return {
            "kind": "dataframe",
            "columns": list(value.columns),
            "dtypes": [str(t) for t in value.dtypes],
            "data": value.astype(object).values.tolist(),
        }
    return {"kind": "ndarray", "dtype": str(value.dtype), "data": value.tolist()}


def main(out: Path) -> None:
    # MLflow 3.x refuses to deserialize any sklearn model (skops too) without this opt-in.
    os.environ.setdefault("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
    X, y_cls, y_reg = numeric_data()
    Xdf = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    mixed, y_mixed = mixed_data()
    X_test, Xdf_test, mixed_test = X[:25], Xdf[:25], mixed[:25]

    logreg = LogisticRegression(max_iter=500).fit(X, y_cls)
    logreg_named = LogisticRegression(max_iter=500).fit(Xdf, y_cls)
    forest = RandomForestClassifier(n_estimators=20, max_depth=5, random_state=0).fit(X, y_cls)
    gbr = GradientBoostingRegressor(n_estimators=30, random_state=0).fit(X, y_reg)
    pipe = mixed_pipeline().fit(mixed, y_mixed)
    kmeans = KMeans(n_clusters=3, n_init=3, random_state=0).fit(X)

    pip = ["scikit-learn", "cloudpickle", "skops"]  # skips MLflow's slow requirement inference
    cases = {
        # MLflow's default format (skops) and default requirements inference, no signature.
        "logreg_skops_default": (logreg, {}, X_test),
        "logreg_skops_example": (logreg, {"input_example": X[:5], "pip_requirements": pip}, X_test),
        "logreg_cloudpickle": (
            logreg,
            {"serialization_format": "cloudpickle", "pip_requirements": pip},
            X_test,
        ),
        "logreg_pickle_named": (
            logreg_named,
            {"serialization_format": "pickle", "input_example": Xdf[:5], "pip_requirements": pip},
            Xdf_test,
        ),
        "logreg_cloudpickle_proba": (
            logreg,
            {
                "serialization_format": "cloudpickle",
                "pyfunc_predict_fn": "predict_proba",
                "signature": infer_signature(X[:5], logreg.predict_proba(X[:5])),
                "pip_requirements": pip,
            },
            X_test,
        ),
        "forest_skops_proba": (
            forest,
            {
                "skops_trusted_types": TREE,
                "pyfunc_predict_fn": "predict_proba",
                "input_example": X[:5],
                "pip_requirements": pip,
            },
            X_test,
        ),
        "forest_pickle_log_proba": (
            forest,
            {
                "serialization_format": "pickle",
                "pyfunc_predict_fn": "predict_log_proba",
                "pip_requirements": pip,
            },
            X_test,
        ),
        "gbr_cloudpickle_example": (
            gbr,
            {
                "serialization_format": "cloudpickle",
                "input_example": Xdf[:5].to_numpy(),
                "pip_requirements": pip,
            },
            X_test,
        ),
        "gbr_skops": (gbr, {"skops_trusted_types": TREE, "pip_requirements": pip}, X_test),
        "pipeline_skops_example": (pipe, {"input_example": mixed[:5], "pip_requirements": pip}, mixed_test),
        "pipeline_cloudpickle": (
            pipe,
            {"serialization_format": "cloudpickle", "pip_requirements": pip},
            mixed_test,
        ),
        "pipeline_pickle_proba": (
            pipe,
            {
                "serialization_format": "pickle",
                "pyfunc_predict_fn": "predict_proba",
                "input_example": mixed[:5],
                "pip_requirements": pip,
            },
            mixed_test,
        ),
        "kmeans_skops": (kmeans, {"pip_requirements": pip}, X_test),
        "kmeans_pickle_example": (
            kmeans,
            {"serialization_format": "pickle", "input_example": X[:5], "pip_requirements": pip},
            X_test,
        ),
    }
    record = {"mlflow_version": mlflow.__version__, "cases": {}}
    for name, (model, kwargs, test_input) in cases.items():
        path = out / name
        mlflow.sklearn.save_model(model, str(path), **kwargs)
        predictions = mlflow.pyfunc.load_model(str(path)).predict(test_input)
        record["cases"][name] = {
            "input": encode_input(test_input),
            "predictions": np.asarray(predictions).tolist(),
        }
    (out / "cases.json").write_text(json.dumps(record), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
