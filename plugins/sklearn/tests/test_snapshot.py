"""A linear model loaded again from the same file is served from its snapshot, without
scikit-learn, and answers exactly what the estimator's predictor answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import HuberRegressor, LinearRegression, LogisticRegression, SGDClassifier
from sklearn.svm import LinearSVC, LinearSVR

import pyfunc_core
from pyfunc_core.errors import InvalidInputError
from pyfunc_sklearn import snapshot
from pyfunc_sklearn.forest import forest_parts
from pyfunc_sklearn.linear import linear_parts
from pyfunc_sklearn.predictor import SklearnPredictor
from pyfunc_sklearn.snapshot import SnapshotPredictor


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache of this test's own, with snapshots on."""
    monkeypatch.setenv("PYFUNC_CORE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(snapshot.ENV_SWITCH, raising=False)
    return tmp_path / "cache" / snapshot.FOLDER


def _fit(estimator: Any, X: Any, y: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of a short fit
        return estimator.fit(X, y)


def _twice(path: Path) -> tuple[Any, Any]:
    """The predictor of a first load (from the file) and of a second (from the snapshot)."""
    first = pyfunc_core.load_model(path).model_impl
    second = pyfunc_core.load_model(path).model_impl
    assert isinstance(first, SklearnPredictor)
    assert isinstance(second, SnapshotPredictor), second
    return first, second


def _same(ours: Any, theirs: Any) -> None:
    # The same product on the same arrays; a tolerance all the same (no bit-exact floats).
    assert type(ours) is type(theirs) and ours.shape == theirs.shape and ours.dtype == theirs.dtype
    if ours.dtype.kind == "f":
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    else:
        np.testing.assert_array_equal(ours, theirs)


def _error(predictor: Any, data: Any) -> str:
    with pytest.raises(InvalidInputError) as caught:
        predictor.predict(data)
    return str(caught.value)


def _same_outcome(ours: Any, theirs: Any, data: Any) -> None:
    """The same answer or the same error (scikit-learn >= 1.4 forests answer NaN themselves)."""
    try:
        expected = theirs.predict(data)
    except InvalidInputError as exc:
        assert _error(ours, data) == str(exc)
    else:
        _same(ours.predict(data), expected)


IRIS = load_iris(return_X_y=True)
DIABETES = load_diabetes(return_X_y=True)
CASES = {
    "logreg-3-classes": (lambda: LogisticRegression(max_iter=1000), IRIS, "predict"),
    "logreg-2-classes": (
        lambda: LogisticRegression(max_iter=1000),
        (IRIS[0][:100], IRIS[1][:100]),
        "predict",
    ),
    "logreg-decision": (lambda: LogisticRegression(max_iter=1000), IRIS, "decision_function"),
    "linear-svc": (lambda: LinearSVC(), IRIS, "predict"),
    "sgd-string-classes": (
        lambda: SGDClassifier(random_state=0),
        (IRIS[0], np.array(["setosa", "versicolor", "virginica"], dtype=object)[IRIS[1]]),
        "predict",
    ),
    "huber-no-intercept": (lambda: HuberRegressor(fit_intercept=False, max_iter=500), DIABETES, "predict"),
    "linear-svr": (lambda: LinearSVR(max_iter=5000), DIABETES, "predict"),
    # its own predict in some scikit-learn versions: a snapshot only where it is the mixin's
    "linear-regression": (lambda: LinearRegression(), DIABETES, "predict"),
    "forest-labels": (lambda: RandomForestClassifier(n_estimators=12, random_state=0), IRIS, "predict"),
    "forest-proba": (lambda: RandomForestClassifier(n_estimators=12, random_state=0), IRIS, "predict_proba"),
    "forest-string-classes": (
        lambda: ExtraTreesClassifier(n_estimators=12, random_state=0),
        (IRIS[0], np.array(["setosa", "versicolor", "virginica"], dtype=object)[IRIS[1]]),
        "predict",
    ),
    "forest-regressor": (lambda: ExtraTreesRegressor(n_estimators=12, random_state=0), DIABETES, "predict"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_snapshot_answers_as_the_estimator(case: str, cache: Path, save: Callable[..., Path]) -> None:
    make, (X, y), fn = CASES[case]
    estimator = _fit(make(), X, y)
    path = save(f"snapshot-{case}", estimator, pyfunc_predict_fn=fn)
    if linear_parts(estimator, fn) is None and forest_parts(estimator, fn) is None:
        assert isinstance(pyfunc_core.load_model(path).model_impl, SklearnPredictor)
        assert isinstance(pyfunc_core.load_model(path).model_impl, SklearnPredictor)
        return  # this scikit-learn predicts it with the estimator's own method: no snapshot
    first, second = _twice(path)
    assert len(list(cache.glob("*.npz"))) == 1
    for rows in (
        X[:1],
        X[:17],
        X[:17].astype(np.float32),
        np.asfortranarray(X[:9]),
        np.rint(X[:9]).astype(int),
    ):
        _same(second.predict(rows), first.predict(rows))
        _same(second.predict(pd.DataFrame(rows)), first.predict(pd.DataFrame(rows)))
    assert second.outputs() == first.outputs()
    assert second.n_features == first.n_features and second.feature_names is None
    # what the product does not answer is the estimator's, loaded on first need
    bad = X[:3].astype(float)
    bad[1, 2] = np.nan
    assert second._full is None
    _same_outcome(second, first, bad)
    assert _error(second, X[:2, :3]) == _error(first, X[:2, :3])
    assert second._full is not None
    assert type(second.raw_model) is type(estimator)
    if hasattr(estimator, "predict_proba"):
        _same(second.predict_output("predict_proba", X[:5]), first.predict_output("predict_proba", X[:5]))


def test_named_columns(cache: Path, save: Callable[..., Path]) -> None:
    X, y = load_iris(return_X_y=True, as_frame=True)
    estimator = _fit(LogisticRegression(max_iter=1000), X, y)
    first, second = _twice(save("snapshot-named", estimator))
    assert second.feature_names == list(X.columns)
    reordered = X[list(reversed(X.columns))][:20]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no feature-name warnings either
        for data in (X[:20], reordered, X.to_numpy()[:20], X[:20].set_axis(range(4), axis=1)):
            _same(second.predict(data), first.predict(data))
    assert second._full is None
    missing = X.drop(columns=[X.columns[1]])[:2]
    assert _error(second, missing) == _error(first, missing)
    strings = X[:3].astype(str)  # not one numeric block: the estimator converts or refuses it
    _same(second.predict(strings), first.predict(strings))


def test_only_linear_models_and_forests_get_a_snapshot(
    cache: Path, save: Callable[..., Path], monkeypatch: Any
) -> None:
    X, y = IRIS
    boosted = save("snapshot-boosted", _fit(GradientBoostingClassifier(n_estimators=5, random_state=0), X, y))
    proba = save(
        "snapshot-proba", _fit(LogisticRegression(max_iter=1000), X, y), pyfunc_predict_fn="predict_proba"
    )
    parallel = save("snapshot-parallel", _fit(RandomForestClassifier(n_estimators=4, n_jobs=2), X, y))
    for path in (boosted, proba, parallel):
        assert isinstance(pyfunc_core.load_model(path).model_impl, SklearnPredictor)
        assert isinstance(pyfunc_core.load_model(path).model_impl, SklearnPredictor)
    assert not cache.exists() or list(cache.glob("*.npz")) == []
    linear = save("snapshot-off", _fit(LogisticRegression(max_iter=1000), X, y))
    monkeypatch.setenv(snapshot.ENV_SWITCH, "0")
    pyfunc_core.load_model(linear)
    assert isinstance(pyfunc_core.load_model(linear).model_impl, SklearnPredictor)


def test_a_damaged_snapshot_is_dropped(cache: Path, save: Callable[..., Path]) -> None:
    X, y = IRIS
    path = save("snapshot-damaged", _fit(LogisticRegression(max_iter=1000), X, y))
    expected = pyfunc_core.load_model(path).predict(X[:10])
    (entry,) = cache.glob("*.npz")
    entry.write_bytes(b"not a zip file")
    model = pyfunc_core.load_model(path)
    assert isinstance(model.model_impl, SklearnPredictor)
    np.testing.assert_array_equal(model.predict(X[:10]), expected)
    assert isinstance(pyfunc_core.load_model(path).model_impl, SnapshotPredictor)  # written again


def test_a_snapshot_whose_trees_would_not_end_is_dropped(cache: Path, save: Callable[..., Path]) -> None:
    X, y = IRIS
    path = save("snapshot-cycle", _fit(RandomForestClassifier(n_estimators=3, random_state=0), X, y))
    expected = pyfunc_core.load_model(path).predict(X)
    (entry,) = cache.glob("*.npz")
    with np.load(entry) as stored:
        arrays = dict(stored)
    arrays["left"][np.flatnonzero(arrays["left"] >= 0)[1]] = 0  # a child pointing back at a root
    with open(entry, "wb") as f:
        np.savez(f, **arrays)
    model = pyfunc_core.load_model(path)  # refused and dropped, not walked for ever
    assert isinstance(model.model_impl, SklearnPredictor)
    np.testing.assert_array_equal(model.predict(X), expected)


def test_a_changed_file_is_a_new_snapshot(cache: Path, save: Callable[..., Path], copy_model: Any) -> None:
    X, y = IRIS
    path = copy_model(save("snapshot-changed", _fit(LogisticRegression(max_iter=1000), X, y)))
    _twice(path)
    refit = _fit(LogisticRegression(max_iter=1000), X, (y == 2).astype(int))
    other = save("snapshot-changed-2", refit)
    (path / "model.pkl").write_bytes((other / "model.pkl").read_bytes())
    model = pyfunc_core.load_model(path)
    assert isinstance(model.model_impl, SklearnPredictor)
    np.testing.assert_array_equal(model.predict(X), refit.predict(X))


CHILD = """
import json, sys
import numpy as np
import pyfunc_core
model = pyfunc_core.load_model(sys.argv[1])
X = np.array(json.loads(sys.argv[2]))
out = {"kind": type(model.model_impl).__name__, "labels": model.predict(X).tolist()}
out["imported"] = sorted(m for m in ("sklearn", "scipy") if m in sys.modules)
bad = X.copy(); bad[0, 0] = float("nan")
try:
    model.predict(bad)
except Exception as exc:
    out["error"] = str(exc)
out["after"] = sorted(m for m in ("sklearn", "scipy") if m in sys.modules)
print(json.dumps(out))
"""


SERVED = {  # name: (estimator, the predict_fn a server calls)
    "logreg": (lambda: LogisticRegression(max_iter=1000), "predict"),
    "forest": (lambda: RandomForestClassifier(n_estimators=20, random_state=0), "predict_proba"),
}
TREE = ["sklearn.tree._tree.Tree"]


@pytest.mark.parametrize("name", sorted(SERVED))
def test_a_later_process_imports_no_scikit_learn_until_it_must(
    name: str, cache: Path, save: Callable[..., Path]
) -> None:
    X, y = IRIS
    estimator = _fit(SERVED[name][0](), X, y)
    path = save(f"snapshot-child-{name}", estimator, serialization_format="skops", skops_trusted_types=TREE)
    rows = json.dumps(X[::10].tolist())

    def child() -> dict[str, Any]:
        run = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), rows],
            capture_output=True,
            text=True,
            env=os.environ,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout)

    first, second = child(), child()
    assert first["kind"] == "SklearnPredictor" and first["imported"] == ["scipy", "sklearn"]
    assert second["kind"] == "SnapshotPredictor" and second["imported"] == []
    assert second["labels"] == first["labels"] == estimator.predict(X[::10]).tolist()
    assert second.get("error") == first.get("error")  # scikit-learn's forests may answer NaN
    assert name == "forest" or "NaN" in second["error"]
    assert second["after"] == ["scipy", "sklearn"]


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc")
@pytest.mark.parametrize("name", sorted(SERVED))
def test_served_from_the_snapshot(name: str, cache: Path, save: Callable[..., Path], tmp_path: Path) -> None:
    """The second server of the same model answers the same over HTTP, its workers without
    scikit-learn mapped; a NaN is still scikit-learn's to answer (a 400 for a linear model),
    and the server keeps serving."""
    pytest.importorskip("pyfunc_scoring_server", reason="the scoring server plugin is not installed")
    requests = pytest.importorskip("requests")
    from pyfunc_core.testing import ServerProcess

    X, y = IRIS
    make, fn = SERVED[name]
    path = save(f"snapshot-served-{name}", _fit(make(), X, y), pyfunc_predict_fn=fn)
    body = {"inputs": X[::7].tolist()}
    bad = {"inputs": [[None, *X[0, 1:].tolist()]]}  # a null: NaN to scikit-learn
    answers = []
    for run in range(2):
        server = ServerProcess(
            path, "--workers", "2", log=tmp_path / f"serve-{run}.log", env=dict(os.environ)
        )
        try:
            ok = requests.post(server.url + "/invocations", json=body, timeout=30)
            nan = requests.post(
                server.url + "/invocations",
                json=bad,
                timeout=30,
            )
            again = requests.post(server.url + "/invocations", json=body, timeout=30)
            maps = [Path(f"/proc/{w}/maps").read_text() for w in _children(server.proc.pid)]
            answers.append((ok.status_code, ok.json(), nan.status_code, nan.json(), again.json(), maps))
        finally:
            server.terminate()
            assert server.stop() == 0
    (ok1, out1, nan1, err1, _, maps1), (ok2, out2, nan2, err2, again2, maps2) = answers
    assert ok1 == ok2 == 200 and out1 == out2 == again2
    assert nan1 == nan2 and err1 == err2
    assert name == "forest" or (nan1 == 400 and "NaN" in err1["message"])
    assert len(maps1) == len(maps2) == 2
    assert all("site-packages/sklearn/" in m for m in maps1)
    # the worker that answered the NaN loaded scikit-learn; the other still has not
    assert sum("site-packages/sklearn/" in m for m in maps2) <= 1 and any(
        "site-packages/sklearn/" not in m for m in maps2
    )
