"""Our xgboost models and MLflow's side of the parity tests (``dev/mlflow_parity.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlflow_parity import Data, MlflowSide, data, mlflow_load, mlflow_models, mlflow_python, models  # noqa: F401

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
    script = Path(__file__).parent / "mlflow_side" / "mlflow_side.py"
    return MlflowSide(FLAVOR, script, MATCHED, seed=SEED, models=Models)
