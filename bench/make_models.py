"""Train the benchmark's models and write them out; run inside the MLflow virtualenv.

Usage: ``python make_models.py OUT_DIR SEED``. Writes, for each model NAME in (logreg, rf):
``OUT_DIR/mlflow/NAME/`` (``mlflow.sklearn.save_model``, with a signature),
``OUT_DIR/mlserver/NAME/model.joblib`` + ``model-settings.json`` (the same estimator for
MLServer), and ``OUT_DIR/data.npz`` with the features every request is cut from.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

N_SAMPLES = 10_000
N_FEATURES = 20
COLUMNS = [f"f{i}" for i in range(N_FEATURES)]
TREE_TYPES = ["sklearn.tree._tree.Tree"]


def main(out: Path, seed: int) -> None:
    import joblib
    import mlflow.sklearn
    import numpy as np
    import pandas as pd
    from mlflow.models import infer_signature
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    X, y = make_classification(
        n_samples=N_SAMPLES, n_features=N_FEATURES, n_informative=10, random_state=seed
    )
    np.savez(out / "data.npz", X=X)
    models = {
        "logreg": (LogisticRegression(max_iter=1000), {}),
        "rf": (
            RandomForestClassifier(n_estimators=100, random_state=seed),
            {"skops_trusted_types": TREE_TYPES},
        ),
    }
    for name, (estimator, save_kwargs) in models.items():
        estimator.fit(X, y)  # numpy, no feature names: MLServer's tensors then match the fit
        example = pd.DataFrame(X[:5], columns=COLUMNS)
        signature = infer_signature(example, estimator.predict(X[:5]))
        mlflow_dir = out / "mlflow" / name
        shutil.rmtree(mlflow_dir, ignore_errors=True)
        mlflow.sklearn.save_model(estimator, str(mlflow_dir), signature=signature, **save_kwargs)
        mls_dir = out / "mlserver" / name
        shutil.rmtree(mls_dir, ignore_errors=True)
        mls_dir.mkdir(parents=True)
        joblib.dump(estimator, mls_dir / "model.joblib")
        settings = {
            "name": name,
            "implementation": "mlserver_sklearn.SKLearnModel",
            "parameters": {"uri": "./model.joblib"},
        }
        (mls_dir / "model-settings.json").write_text(json.dumps(settings, indent=2))
        print(f"saved {name}: {mlflow_dir} and {mls_dir}", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
