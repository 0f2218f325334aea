"""Time ``PyFuncModel.predict`` of saved scikit-learn models on 1-row and 10,000-row inputs.

Usage: .venv/bin/python bench/sklearn_predict_time.py [--repeat N]

Inputs are single-block float64 DataFrames with the signature's column names, which is
what the scoring server's JSON fast path hands the model. For each model the table shows
the estimator's own ``predict`` on a numpy array (the floor), the estimator called on the
DataFrame directly (what a plain wrapper such as MLflow's does), our flavor's predictor, and
the whole ``PyFuncModel.predict`` (signature enforcement included). Median of N calls.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

import pyfunc_core
import pyfunc_sklearn


def median_us(fn: Callable[[], Any], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    rng = np.random.RandomState(0)
    X = rng.normal(size=(10_000, 20))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    names = [f"f{i}" for i in range(20)]
    frame = pd.DataFrame(X, columns=names)
    models = {
        "logreg, fitted on array": LogisticRegression(max_iter=500).fit(X, y),
        "logreg, fitted on named frame": LogisticRegression(max_iter=500).fit(frame, y),
        "rf-100, fitted on array": RandomForestClassifier(n_estimators=100, max_depth=8, random_state=0).fit(
            X, y
        ),
    }
    root = Path(tempfile.mkdtemp())
    print(
        f"{'model':32} {'rows':>6} {'est(array)':>11} {'est(frame)':>11} {'predictor':>11} {'PyFuncModel':>12}  (µs)"
    )
    for i, (label, est) in enumerate(models.items()):
        path = root / str(i)
        pyfunc_sklearn.save_model(est, path, input_example=frame[:5])
        model = pyfunc_core.load_model(path)
        predictor = model.model_impl
        repeat = args.repeat
        for rows in (1, 10_000):
            df = pd.DataFrame(X[:rows].copy(), columns=names)
            arr = X[:rows]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the warning path still runs; only printing is off
                on_array = median_us(lambda est=est, a=arr: est.predict(a), repeat)
                on_frame = median_us(lambda est=est, df=df: est.predict(df), repeat)
            print(
                f"{label:32} {rows:>6} {on_array:>11.1f} "
                f"{on_frame:>11.1f} {median_us(lambda p=predictor, df=df: p.predict(df), repeat):>11.1f} "
                f"{median_us(lambda m=model, df=df: m.predict(df), repeat):>12.1f}"
            )
            repeat = max(20, args.repeat // 10)


if __name__ == "__main__":
    main()
