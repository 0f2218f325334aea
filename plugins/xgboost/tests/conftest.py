"""Fixed data and models, and MLflow's side (``dev/mlflow_parity.py``): a cached virtualenv
with mlflow-skinny and the host's xgboost (never beside our code) that writes model directories
and loads ours. The fixtures ``data``, ``mlflow_python``, ``mlflow_models`` and ``mlflow_load``
come from ``mlflow_parity``, configured by ``mlflow_side`` below."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlflow_parity import Data, MlflowSide, data, mlflow_load, mlflow_models, mlflow_python  # noqa: F401

FLAVOR = "xgboost"
SEED = 3
#: Host packages the MLflow venv must match exactly (model files and predictions cross over).
MATCHED = ("xgboost", "scikit-learn", "numpy", "scipy", "pandas", "cloudpickle", "skops")


class Models:
    """The XGBoost models our side saves, from the same data as MLflow's."""

    def __init__(self, seed: int) -> None:
        import xgboost as xgb

        d = Data(seed)
        params = {"objective": "binary:logistic", "max_depth": 3, "seed": 0}
        self.booster = xgb.train(params, xgb.DMatrix(d.X, d.y_bin), 8)
        self.classifier = xgb.XGBClassifier(n_estimators=8, max_depth=3, random_state=0).fit(d.X, d.y_bin)
        self.multi = xgb.XGBClassifier(n_estimators=8, max_depth=3, random_state=0).fit(d.X, d.y_multi)
        self.regressor = xgb.XGBRegressor(n_estimators=8, max_depth=3, random_state=0).fit(d.X, d.y_reg)


@pytest.fixture(scope="session")
def mlflow_side() -> MlflowSide:
    return MlflowSide(FLAVOR, Path(__file__).parent / "mlflow_side" / "mlflow_side.py", MATCHED, seed=SEED)


@pytest.fixture(scope="session")
def models(mlflow_side: MlflowSide) -> Models:
    return Models(mlflow_side.seed)
