"""The estimators' own ``predict``, timed and used for the response check, in a child process.

The benchmark process itself must not import scikit-learn, scipy, pandas or pyarrow: the
library pages it would map are the same files our server maps, and a page two processes map
is counted half in each one's PSS and cannot be paged out by the server's supervisor, so the
harness would distort the memory it measures (by ~30 MB of our server's PSS in one run).

Usage (from serving_bench.py): python estimator_predict.py MODELS_ROOT DATA_NPZ CHECK_ROWS NAME...
prints {"predict_ms": {name: {"1": ms, "10000": ms}}, "expected": {name: [label, ...]}}.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path


def measure(models_root: Path, data: Path, check_rows: int, names: list[str]) -> dict:
    import joblib
    import numpy as np

    X = np.load(data)["X"]
    predict_ms: dict[str, dict[str, float]] = {}
    expected: dict[str, list] = {}
    for name in names:
        est = joblib.load(models_root / "mlserver" / name / "model.joblib")
        expected[name] = est.predict(X[:check_rows]).tolist()
        predict_ms[name] = {}
        for n, repeats in ((1, 300), (10_000, 7)):
            rows = X[:n]
            est.predict(rows)
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                est.predict(rows)
                times.append(time.perf_counter() - t0)
            predict_ms[name][str(n)] = statistics.median(times) * 1000
    return {"predict_ms": predict_ms, "expected": expected}


if __name__ == "__main__":
    root, data, rows, *models = sys.argv[1:]
    print(json.dumps(measure(Path(root), Path(data), int(rows), models)))
