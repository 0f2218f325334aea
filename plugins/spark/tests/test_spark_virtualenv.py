"""env_manager="virtualenv": executors score inside the model's own virtualenv."""

from __future__ import annotations

import sys

import cloudpickle
import numpy as np
import pandas as pd
import pytest

from pyfunc_core import PythonModel, infer_signature, save_model

cloudpickle.register_pickle_by_value(sys.modules[__name__])

pytestmark = pytest.mark.slow


class WhereAmI(PythonModel):
    """Scores ``f0 * 2 + f1`` and says which interpreter prefix scored it."""

    def predict(self, context, model_input, params=None):
        import sys

        return pd.DataFrame(
            {"value": model_input["f0"] * 2 + model_input["f1"], "prefix": [sys.prefix] * len(model_input)}
        )


def test_scores_inside_the_models_virtualenv(spark, spark_features, features, tmp_path):
    pytest.importorskip("pyfunc_virtualenv", reason="env_manager='virtualenv' needs pyfunc-virtualenv")
    from pyfunc_spark import spark_udf

    path = tmp_path / "where"
    save_model(path, WhereAmI(), signature=infer_signature(features.head(10)))
    udf = spark_udf(spark, path, result_type="value double, prefix string", env_manager="virtualenv")
    out = spark_features.limit(3_000).withColumn("p", udf()).select("f0", "f1", "p.*").toPandas()
    np.testing.assert_array_equal(out["value"].to_numpy(), out["f0"].to_numpy() * 2 + out["f1"].to_numpy())
    prefixes = set(out["prefix"])
    assert len(prefixes) == 1 and sys.prefix not in prefixes
    assert "virtualenv-" in next(iter(prefixes))
