"""serve --env-manager virtualenv: the real scoring server, in the model's own environment, over HTTP."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest

from pyfunc_core.testing import ServerProcess

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]
OLD_SKLEARN = "1.5.2"
START_TIMEOUT = 900.0


def _require_plugin(module: str) -> None:
    pytest.importorskip(module, reason=f"{module} is not installed")


class Served(ServerProcess):
    """``pyfunc-core serve --env-manager virtualenv`` with its own environment cache, as a real process."""

    def __init__(self, model: Path, root: Path, logs: Path) -> None:
        super().__init__(
            model,
            "--env-manager",
            "virtualenv",
            log=logs / f"serve-{next(_serial)}.log",
            env={"PYFUNC_CORE_ENV_ROOT": str(root)},
            start_timeout=START_TIMEOUT,
            wait=False,
        )

    def invoke(self, body: dict) -> dict:
        req = urllib.request.Request(
            f"{self.url}/invocations",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())


_serial = itertools.count()


def stop(served: Served) -> None:
    """SIGTERM the outer process: it forwards the signal and exits when the server does."""
    code = served.stop()
    assert code != -signal.SIGKILL, f"serve did not stop within {served.stop_timeout:.0f}s of SIGTERM"


def test_serves_from_the_model_environment_and_reuses_it(tmp_path, six_model):
    _require_plugin("pyfunc_scoring_server")
    root = tmp_path / "envs"
    first = Served(six_model, root, tmp_path)
    try:
        first.wait_ready()
        assert first.invoke({"inputs": [[1], [2]]}) == {"predictions": ["1.16.0", "1.16.0"]}
    finally:
        stop(first)
    assert "installing" in first.output()

    second = Served(six_model, root, tmp_path)
    try:
        second.wait_ready()
        assert second.invoke({"inputs": [[1]]}) == {"predictions": ["1.16.0"]}
    finally:
        stop(second)
    assert "reusing environment" in second.output()
    assert "installing" not in second.output()


SAVE_OLD_SKLEARN = textwrap.dedent(
    """
    import json, sys
    import sklearn
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from pyfunc_sklearn import save_model

    X, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    save_model(model, sys.argv[1], pyfunc_predict_fn="predict_proba", input_example=X.head(3))
    sample = X.iloc[[0, 60, 120]]
    json.dump(
        {
            "version": sklearn.__version__,
            "columns": list(sample.columns),
            "data": sample.values.tolist(),
            "predictions": model.predict_proba(sample).tolist(),
        },
        open(sys.argv[2], "w"),
    )
    """
)


@pytest.fixture(scope="session")
def old_sklearn_model(tmp_path_factory) -> tuple[Path, dict]:
    """An iris model saved by scikit-learn 1.5.2 in a separate venv, with its own predictions."""
    _require_plugin("pyfunc_sklearn")
    from pyfunc_core.envs import find_uv

    uv = find_uv()
    if uv is None:
        pytest.skip("uv is needed to build the scikit-learn 1.5.2 venv")
    base = tmp_path_factory.mktemp("old-sklearn")
    venv = base / "venv"
    subprocess.run([uv, "venv", "--python", sys.executable, str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    subprocess.run(
        [uv, "pip", "install", "--python", str(python), f"scikit-learn=={OLD_SKLEARN}",
         "-e", str(REPO / "core"), "-e", str(REPO / "plugins" / "sklearn")],
        check=True, timeout=900,
    )  # fmt: skip
    model, expected = base / "model", base / "expected.json"
    subprocess.run([str(python), "-c", SAVE_OLD_SKLEARN, str(model), str(expected)], check=True, timeout=300)
    return model, json.loads(expected.read_text())


def test_serves_a_model_saved_with_another_sklearn_version(tmp_path, shared_env_root, old_sklearn_model):
    _require_plugin("pyfunc_scoring_server")
    import sklearn

    model, expected = old_sklearn_model
    assert expected["version"] == OLD_SKLEARN != sklearn.__version__
    served = Served(model, shared_env_root, tmp_path)
    try:
        served.wait_ready()
        answer = served.invoke(
            {"dataframe_split": {"columns": expected["columns"], "data": expected["data"]}}
        )
    finally:
        stop(served)
    assert flat(answer["predictions"]) == pytest.approx(flat(expected["predictions"]), rel=1e-9, abs=1e-12)
    assert OLD_SKLEARN in sklearn_versions(shared_env_root)


def flat(rows: list[list[float]]) -> list[float]:
    return [x for row in rows for x in row]


def sklearn_versions(root: Path) -> set[str]:
    """The scikit-learn versions installed in the environments under ``root``."""
    versions = set()
    for env in (p for p in root.iterdir() if not p.name.startswith(".")):
        out = subprocess.run(
            [str(env / "bin" / "python"), "-c", "import sklearn; print(sklearn.__version__)"],
            capture_output=True,
            text=True,
        )
        versions.add(out.stdout.strip())
    return versions


def test_predicts_a_model_saved_with_another_sklearn_version(
    tmp_path, shared_env_root, old_sklearn_model, run_cli
):
    model, expected = old_sklearn_model
    data = tmp_path / "input.json"
    data.write_text(
        json.dumps({"dataframe_split": {"columns": expected["columns"], "data": expected["data"]}})
    )
    out = run_cli(
        shared_env_root, "predict", "-m", str(model), "-i", str(data), "--env-manager", "virtualenv"
    )
    assert out.returncode == 0, out.stderr
    predictions = json.loads(out.stdout)["predictions"]
    assert flat(predictions) == pytest.approx(flat(expected["predictions"]), rel=1e-9, abs=1e-12)
    assert OLD_SKLEARN in sklearn_versions(shared_env_root)
