"""The defaults of ``pyfunc-core serve`` with no flags: workers from the usable CPUs, and
requests merged into one predict call only for predictors that declare it exact."""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cloudpickle
import numpy as np
import pandas as pd
import pytest
import requests

from pyfunc_core import PythonModel, save_model
from pyfunc_core.registry import Flavor
from pyfunc_core.schema import ColSpec, ModelSignature, Schema
from pyfunc_scoring_server.options import DEFAULT_BATCH_ROWS, ScoringOptions
from pyfunc_scoring_server.process.cpus import available_cpus

cloudpickle.register_pickle_by_value(sys.modules[__name__])

FEATURES = [f"f{i}" for i in range(6)]


class CallSize(PythonModel):
    """Each row's ``a`` and the rows of the predict call that saw it. A row with ``a == -1``
    first writes ``started`` and then holds the call for ``hold`` seconds, so that the requests
    sent meanwhile queue up behind it."""

    def __init__(self, started: str, hold: float) -> None:
        self.started, self.hold = started, hold

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        if (model_input["a"] == -1).any():
            Path(self.started).write_text("1")
            time.sleep(self.hold)
        return pd.DataFrame({"a": model_input["a"], "rows": len(model_input)})


class DeclaredCallSize(CallSize):
    row_independent = True


def body(a: int) -> dict[str, Any]:
    return {"dataframe_split": {"columns": ["a"], "data": [[a]]}}


def test_no_flags_serve_with_one_worker_per_usable_cpu(start_server: Any, models: dict) -> None:
    server = start_server(models["score"])
    expected = available_cpus()
    log = server.log.read_text()
    assert f"{expected} worker{'s' * (expected != 1)} (the CPUs this process may use)" in log
    if expected > 1:
        assert f"{expected} workers ready" in log
    answer = server.post("/invocations", {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 2.0]]}})
    assert answer.status_code == 200 and answer.json() == {"predictions": [3.0]}


def test_workers_given_are_used(start_server: Any, models: dict) -> None:
    server = start_server(models["score"], "--workers", "1")
    log = server.log.read_text()
    assert "1 worker (--workers)" in log and "workers ready" not in log


def test_a_flavor_that_is_not_fork_safe_defaults_to_one_worker(tmp_path: Path) -> None:
    options = ScoringOptions(model_path=tmp_path, name="m")
    shared = Flavor(name="shared", load=lambda d: None)
    own = Flavor(name="own", load=lambda d: None, fork_safe=False)
    assert options.with_workers(shared) == (
        ScoringOptions(model_path=tmp_path, name="m", workers=available_cpus()),
        "the CPUs this process may use",
    )
    assert options.with_workers(own)[0].workers == 1
    assert "not fork-safe" in options.with_workers(own)[1]
    given = ScoringOptions(model_path=tmp_path, name="m", workers=3)
    assert given.with_workers(own) == (given, "--workers")


def test_merging_is_on_by_default_for_scikit_learn_and_exact(
    start_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Concurrent 1-row requests to a random forest, merged or not, get what each gets alone."""
    from sklearn.ensemble import RandomForestClassifier

    from pyfunc_sklearn import save_model as save_sklearn

    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, len(FEATURES)))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    forest = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    path = tmp_path_factory.mktemp("forest") / "m"
    signature = ModelSignature(inputs=Schema([ColSpec("double", f) for f in FEATURES]))
    save_sklearn(forest, path, signature=signature, pyfunc_predict_fn="predict_proba")
    server = start_server(path)
    assert f"merged into predict calls of up to {DEFAULT_BATCH_ROWS} rows" in server.log.read_text()

    rows = X[:48]
    alone = forest.predict_proba(rows).tolist()

    def ask(i: int) -> Any:
        payload = {"dataframe_split": {"columns": FEATURES, "data": [rows[i].tolist()]}}
        return requests.post(server.url + "/invocations", json=payload, timeout=60).json()["predictions"]

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(ask, range(len(rows))))
    assert answers == [[row] for row in alone]


@pytest.mark.parametrize("declared", [True, False])
def test_requests_queued_behind_a_predict_are_merged_only_when_declared(
    start_server: Any, tmp_path_factory: pytest.TempPathFactory, declared: bool
) -> None:
    """One worker (so the requests queue on it), no batching flags: a PythonModel that declares
    ``row_independent`` gets the requests that queued behind a long call in one call; one that
    does not declare it gets each request alone."""
    root = tmp_path_factory.mktemp("callsize")
    model_class = DeclaredCallSize if declared else CallSize
    path = root / "m"
    save_model(
        path,
        python_model=model_class(str(root / "started"), hold=3.0),
        signature=ModelSignature(inputs=Schema([ColSpec("long", "a")])),
    )
    server = start_server(path, "--workers", "1")
    blocker = threading.Thread(target=server.post, args=("/invocations", body(-1)))
    blocker.start()
    deadline = time.monotonic() + 60
    while not (root / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (root / "started").exists()
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda a: server.post("/invocations", body(a)).json(), range(1, 7)))
    blocker.join(timeout=60)
    assert [p["predictions"][0]["a"] for p in answers] == list(range(1, 7))
    sizes = [p["predictions"][0]["rows"] for p in answers]
    if declared:
        assert max(sizes) > 1, sizes  # requests that queued behind the long call shared a call
    else:
        assert sizes == [1] * 6
