"""Our lightgbm models and MLflow's side of the parity tests (``dev/mlflow_parity.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlflow_parity import Data, MlflowSide, data, mlflow_load, mlflow_models, mlflow_python, models  # noqa: F401

FLAVOR = "lightgbm"
SEED = 5
#: Host packages the MLflow venv must match exactly (model files and predictions cross over).
MATCHED = ("lightgbm", "scikit-learn", "numpy", "scipy", "pandas", "cloudpickle", "skops")


class Models:
    """The LightGBM models our side saves, from the same data as MLflow's."""

    def __init__(self, seed: int) -> None:
        import lightgbm as lgb

        d = Data(seed)
        small = {"n_estimators": 8, "num_leaves": 7, "random_state": 0, "verbose": -1}
        params = {"objective": "binary", "num_leaves": 7, "verbose": -1}
        self.booster = lgb.train(params, lgb.Dataset(d.X, d.y_bin), 8)
        self.classifier = lgb.LGBMClassifier(**small).fit(d.X, d.y_bin)
        self.multi = lgb.LGBMClassifier(**small).fit(d.X, d.y_multi)
        self.regressor = lgb.LGBMRegressor(**small).fit(d.X, d.y_reg)


@pytest.fixture(scope="session")
def mlflow_side() -> MlflowSide:
    script = Path(__file__).parent / "mlflow_side" / "mlflow_side.py"
    return MlflowSide(FLAVOR, script, MATCHED, seed=SEED, models=Models)
