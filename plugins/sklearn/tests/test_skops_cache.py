"""The local pickle cache of skops models: a later start loads the same estimator without
importing skops, and never bypasses skops' trust checks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

import pyfunc_core
from pyfunc_core.errors import ModelLoadError
from pyfunc_core.formats import file_cache, skops_cache
from pyfunc_sklearn import snapshot

TREE = ["sklearn.tree._tree.Tree"]

_FRESH_LOAD = """
import json, sys
import numpy as np
import pyfunc_core
model = pyfunc_core.load_model(sys.argv[1])
X = np.array(json.loads(sys.argv[2]))
print(json.dumps({"skops_imported": "skops" in sys.modules, "pred": model.predict(X).tolist()}))
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("PYFUNC_CORE_CACHE_DIR", str(root))
    monkeypatch.delenv(skops_cache.ENV_SWITCH, raising=False)
    # a forest loaded twice would come from its snapshot, before the skops cache is asked
    monkeypatch.setenv(snapshot.ENV_SWITCH, "0")
    return root / "sklearn-skops"


@pytest.fixture
def forest_dir(save: Callable, estimators: Any, copy_model: Callable) -> Path:
    saved = save("forest-skops", estimators.forest, serialization_format="skops", skops_trusted_types=TREE)
    return copy_model(saved)


def _fresh_process_load(path: Path, X: np.ndarray, env_cache: Path) -> dict[str, Any]:
    import os

    env = {**os.environ, "PYFUNC_CORE_CACHE_DIR": str(env_cache.parent)}
    out = subprocess.run(
        [sys.executable, "-c", _FRESH_LOAD, str(path), json.dumps(X.tolist())],
        capture_output=True, text=True, env=env, timeout=300, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_second_process_loads_without_skops_and_predicts_the_same(
    cache: Path, forest_dir: Path, data: Any, estimators: Any
) -> None:
    X = data.X[:25]
    first = _fresh_process_load(forest_dir, X, cache)
    assert first["skops_imported"] is True  # the first load goes through skops' checks
    assert len(list(cache.glob("*.pkl"))) == 1
    second = _fresh_process_load(forest_dir, X, cache)
    assert second["skops_imported"] is False
    assert second["pred"] == first["pred"] == estimators.forest.predict(X).tolist()


def test_a_cached_model_is_still_refused_under_a_narrower_trust_list(
    cache: Path, forest_dir: Path, edit: Callable
) -> None:
    pyfunc_core.load_model(forest_dir)  # cached under TREE
    assert len(list(cache.glob("*.pkl"))) == 1
    edit(forest_dir, lambda m: m["flavors"]["sklearn"].update(skops_trusted_types=None))
    with pytest.raises(ModelLoadError, match=r"not trusted: \['sklearn.tree._tree.Tree'\]"):
        pyfunc_core.load_model(forest_dir)


def test_a_changed_model_file_is_read_again(
    cache: Path, forest_dir: Path, estimators: Any, data: Any
) -> None:
    import skops.io
    from sklearn.linear_model import LogisticRegression

    pyfunc_core.load_model(forest_dir)
    other = LogisticRegression(max_iter=300).fit(data.X, 1 - data.y_cls)
    skops.io.dump(other, forest_dir / "model.skops")
    model = pyfunc_core.load_model(forest_dir)
    assert type(model.model_impl.raw_model).__name__ == "LogisticRegression"
    assert len(list(cache.glob("*.pkl"))) == 2


def test_a_damaged_entry_is_dropped_and_rebuilt(cache: Path, forest_dir: Path, data: Any) -> None:
    expected = pyfunc_core.load_model(forest_dir).predict(data.X[:5])
    (entry,) = cache.glob("*.pkl")
    entry.write_bytes(b"not a pickle")
    assert np.array_equal(pyfunc_core.load_model(forest_dir).predict(data.X[:5]), expected)
    assert entry.read_bytes() != b"not a pickle"


def test_switched_off_nothing_is_written(
    cache: Path, forest_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(skops_cache.ENV_SWITCH, "0")
    pyfunc_core.load_model(forest_dir)
    assert not cache.exists()


def test_an_unwritable_cache_only_costs_speed(
    tmp_path: Path, forest_dir: Path, monkeypatch: pytest.MonkeyPatch, data: Any
) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    monkeypatch.setenv("PYFUNC_CORE_CACHE_DIR", str(blocker))
    assert pyfunc_core.load_model(forest_dir).predict(data.X[:3]).shape == (3,)


def test_the_cache_keeps_the_most_recently_used_entries(
    cache: Path, forest_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    cache.mkdir(parents=True)
    for i in range(5):
        stale = cache / f"stale-{i}.pkl"
        stale.write_bytes(b"x")
        os.utime(stale, (1_000_000 + i, 1_000_000 + i))
    monkeypatch.setattr(skops_cache, "MAX_ENTRIES", 3)
    pyfunc_core.load_model(forest_dir)
    kept = sorted(p.name for p in cache.glob("*.pkl"))
    assert len(kept) == 3 and "stale-4.pkl" in kept and "stale-3.pkl" in kept and "stale-0.pkl" not in kept


def test_a_read_only_cache_still_serves(
    cache: Path, forest_dir: Path, data: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache on a read-only file system (faked: these tests run as root, whom modes do not
    stop) serves its entries and refuses writes without failing a load."""
    expected = pyfunc_core.load_model(forest_dir).predict(data.X[:5])

    def read_only(*args: Any, **kwargs: Any) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(file_cache.os, "utime", read_only)
    monkeypatch.setattr(file_cache.os, "replace", read_only)
    monkeypatch.setattr(Path, "unlink", read_only)
    assert np.array_equal(pyfunc_core.load_model(forest_dir).predict(data.X[:5]), expected)
    (entry,) = cache.glob("*.pkl")
    entry.write_bytes(b"damaged")  # cannot be dropped, cannot be replaced: read through skops
    assert np.array_equal(pyfunc_core.load_model(forest_dir).predict(data.X[:5]), expected)
