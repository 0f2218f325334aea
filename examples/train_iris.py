"""Train the bundled example model: a scikit-learn pipeline on the iris data set.

The data ships inside scikit-learn, so nothing is downloaded. Usage:
    python examples/train_iris.py examples/iris-model
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def main(target: str) -> None:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import pyfunc_sklearn

    frame = load_iris(as_frame=True)
    X, y = frame.data, frame.target
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y)
    path = Path(target)
    if path.exists():
        shutil.rmtree(path)
    pyfunc_sklearn.save_model(model, path, input_example=X.head(3), metadata={"dataset": "iris"})
    print(f"saved {path} (training accuracy {model.score(X, y):.3f})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "examples/iris-model")
