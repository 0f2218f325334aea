"""Bad model files and bad input: one clear error each, naming the cause."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import pytest
import sklearn

import pyfunc_core
import pyfunc_sklearn
from pyfunc_core.errors import InvalidInputError, InvalidParameterError, ModelLoadError
from pyfunc_sklearn import SklearnVersionWarning

TREE = ["sklearn.tree._tree.Tree"]
#: A pickle that imports a module scikit-learn removed in 0.24 (what an old model holds).
OLD_SKLEARN_PICKLE = b"csklearn.ensemble.forest\nRandomForestClassifier\n)\x81."


@pytest.fixture(scope="module")
def pickled(save: Callable, estimators: Any) -> Path:
    return save("logreg-pickle", estimators.logreg, serialization_format="pickle")


@pytest.fixture(scope="module")
def skopsed(save: Callable, estimators: Any) -> Path:
    return save("forest-skops", estimators.forest, serialization_format="skops", skops_trusted_types=TREE)


def _damage(path: Path, how: str) -> None:
    if how == "corrupted":
        path.write_bytes(b"\x00garbage, not a model\xff" * 8)
    else:  # truncated
        raw = path.read_bytes()
        path.write_bytes(raw[: len(raw) // 2])


@pytest.mark.parametrize("how", ["corrupted", "truncated"])
@pytest.mark.parametrize(("which", "file"), [("pickled", "model.pkl"), ("skopsed", "model.skops")])
def test_damaged_model_file(request: Any, copy_model: Callable, how: str, which: str, file: str) -> None:
    path = copy_model(request.getfixturevalue(which))
    _damage(path / file, how)
    for load in (pyfunc_core.load_model, pyfunc_sklearn.load_model):
        with pytest.raises(ModelLoadError) as err:
            load(path)
        message = str(err.value)
        assert file in message
        assert "corrupted or truncated" in message
        assert "\n" not in message


def test_missing_model_file(pickled: Path, copy_model: Callable) -> None:
    path = copy_model(pickled)
    (path / "model.pkl").unlink()
    with pytest.raises(ModelLoadError, match=re.escape("'model.pkl' is missing from model directory")):
        pyfunc_core.load_model(path)
    with pytest.raises(ModelLoadError, match=re.escape("'model.pkl' is missing from model directory")):
        pyfunc_sklearn.load_model(path)


def test_unknown_serialization_format(pickled: Path, copy_model: Callable, edit: Callable) -> None:
    path = copy_model(pickled)
    edit(path, lambda m: m["flavors"]["sklearn"].update(serialization_format="joblib"))
    with pytest.raises(ModelLoadError, match="unknown serialization_format 'joblib'"):
        pyfunc_core.load_model(path)


def test_untrusted_skops_type_refused_unless_trusted(
    skopsed: Path, copy_model: Callable, edit: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = copy_model(skopsed)
    edit(path, lambda m: m["flavors"]["sklearn"].update(skops_trusted_types=None))
    with pytest.raises(ModelLoadError) as err:
        pyfunc_core.load_model(path)
    assert "not trusted: ['sklearn.tree._tree.Tree']" in str(err.value)
    with pytest.raises(ModelLoadError, match=re.escape("sklearn.tree._tree.Tree")):
        pyfunc_sklearn.load_model(path)
    # trusted explicitly: by argument, or for the CLI/server by environment variable
    assert (
        type(pyfunc_sklearn.load_model(path, skops_trusted_types=TREE)).__name__ == "RandomForestClassifier"
    )
    monkeypatch.setenv("PYFUNC_SKLEARN_SKOPS_TRUSTED_TYPES", ",".join(TREE))
    assert pyfunc_core.load_model(path).model_impl.raw_model.n_estimators == 20


def test_skops_never_runs_untrusted_code(skopsed: Path, copy_model: Callable, tmp_path: Path) -> None:
    """A skops file that references a dangerous callable is refused before anything runs."""
    import skops.io
    from sklearn.preprocessing import FunctionTransformer

    marker = tmp_path / "pwned"
    path = copy_model(skopsed)
    evil = FunctionTransformer(func=__import__("os").system, kw_args={"command": f"touch {marker}"})
    skops.io.dump(evil, path / "model.skops")
    with pytest.raises(ModelLoadError) as err:
        pyfunc_core.load_model(path)
    assert "system" in str(err.value) and "not trusted" in str(err.value)
    assert not marker.exists()


@pytest.mark.parametrize("listed", ["posix.system", "os.system", "builtins.eval", "subprocess.Popen"])
def test_types_that_run_code_are_refused_even_when_listed(
    skopsed: Path,
    copy_model: Callable,
    edit: Callable,
    estimators: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    listed: str,
) -> None:
    """A directory that trusts a code-running type in its own MLmodel is refused (MLflow loads it)."""
    import skops.io
    from sklearn.preprocessing import FunctionTransformer

    marker = tmp_path / "pwned"
    path = copy_model(skopsed)
    evil = FunctionTransformer(func=__import__("os").system, kw_args={"command": f"touch {marker}"})
    skops.io.dump(evil, path / "model.skops")
    in_file = skops.io.get_untrusted_types(file=path / "model.skops")
    edit(path, lambda m: m["flavors"]["sklearn"].update(skops_trusted_types=[*in_file, listed]))
    for load in (pyfunc_core.load_model, pyfunc_sklearn.load_model):
        with pytest.raises(ModelLoadError) as err:
            load(path)
        message = str(err.value)
        assert "run code" in message and listed in message and "PYFUNC_SKLEARN_ALLOW_CODE_TYPES=1" in message
        assert "\n" not in message
    with pytest.raises(ModelLoadError, match="run code"):  # nor through the load-time trust options
        pyfunc_sklearn.load_model(skopsed, skops_trusted_types=[listed])
    with pytest.raises(InvalidParameterError, match="run code"):
        pyfunc_sklearn.save_model(
            estimators.logreg, tmp_path / "saved", serialization_format="skops", skops_trusted_types=[listed]
        )
    # the operator's explicit opt-in loads it; loading constructs, it does not call
    monkeypatch.setenv("PYFUNC_SKLEARN_ALLOW_CODE_TYPES", "1")
    assert type(pyfunc_sklearn.load_model(path)).__name__ == "FunctionTransformer"
    assert not marker.exists()


def test_wrong_feature_count(pickled: Path, data: Any) -> None:
    model = pyfunc_core.load_model(pickled)  # no signature: the flavor checks the width
    with pytest.raises(InvalidInputError) as err:
        model.predict(data.X[:3, :5])
    assert str(err.value) == "LogisticRegression expects 6 features but the input has 5"
    assert err.value.http_status == 400
    with pytest.raises(InvalidInputError, match="expects 6 features but the input has 7"):
        model.predict(data.Xdf.assign(extra=1.0)[:3].to_numpy())


def test_missing_named_column(save: Callable, estimators: Any, data: Any) -> None:
    path = save("logreg-named", estimators.logreg_named)
    model = pyfunc_core.load_model(path)
    with pytest.raises(InvalidInputError) as err:
        model.predict(data.Xdf.drop(columns=["f5"])[:3])
    assert "expects 6 features but the input has 5 (missing column(s) 'f5')" in str(err.value)
    # reordered and extra named columns are matched by name
    shuffled = data.Xdf[["f5", "f3", "f1", "f0", "f2", "f4"]].assign(extra=0.0)[:10]
    assert model.predict(shuffled).tolist() == estimators.logreg_named.predict(data.Xdf[:10]).tolist()


def test_bad_values_are_input_errors(pickled: Path, data: Any) -> None:
    model = pyfunc_core.load_model(pickled)
    with pytest.raises(InvalidInputError, match=r"LogisticRegression.predict failed on the input: .*2D"):
        model.predict(data.X[0])
    bad = data.X[:2].astype(object)
    bad[0, 0] = "not a number"
    with pytest.raises(InvalidInputError, match=re.escape("LogisticRegression.predict failed on the input")):
        model.predict(bad)


def test_version_mismatch_warns_with_both_versions(
    pickled: Path, copy_model: Callable, edit: Callable, data: Any
) -> None:
    path = copy_model(pickled)
    edit(path, lambda m: m["flavors"]["sklearn"].update(sklearn_version="1.0.2"))
    with pytest.warns(SklearnVersionWarning) as record:
        model = pyfunc_core.load_model(path)
    assert len(record) == 1
    message = str(record[0].message)
    assert "scikit-learn 1.0.2" in message and f"scikit-learn {sklearn.__version__}" in message
    assert model.predict(data.X[:2]).shape == (2,)


def test_incompatible_version_fails_with_both_versions(
    pickled: Path, copy_model: Callable, edit: Callable
) -> None:
    path = copy_model(pickled)
    (path / "model.pkl").write_bytes(OLD_SKLEARN_PICKLE)
    edit(path, lambda m: m["flavors"]["sklearn"].update(sklearn_version="0.22.2"))
    with pytest.raises(ModelLoadError) as err:
        pyfunc_core.load_model(path)
    message = str(err.value)
    assert "saved with scikit-learn 0.22.2" in message
    assert f"installed scikit-learn {sklearn.__version__}" in message
    assert "sklearn.ensemble.forest" in message


def test_unimportable_module_same_version(pickled: Path, copy_model: Callable) -> None:
    path = copy_model(pickled)
    (path / "model.pkl").write_bytes(OLD_SKLEARN_PICKLE)
    with pytest.raises(ModelLoadError, match=re.escape("needs module 'sklearn.ensemble.forest'")):
        pyfunc_core.load_model(path)
