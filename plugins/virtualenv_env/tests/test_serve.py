"""serve --env-manager virtualenv: the real scoring server, in the model's own environment, over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pyfunc_core.testing import free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]
OLD_SKLEARN = "1.5.2"
START_TIMEOUT = 900.0


def _require_plugin(module: str) -> None:
    pytest.importorskip(module, reason=f"{module} is not installed")


class Served:
    """``pyfunc-core serve`` as a real process; output goes to files so pipes never fill."""

    def __init__(self, model: Path, root: Path, logs: Path) -> None:
        self.port = free_port()
        self.stderr_path = logs / f"serve-{self.port}.err"
        env = {**os.environ, "PYFUNC_CORE_ENV_ROOT": str(root)}
        cmd = [sys.executable, "-m", "pyfunc_core", "serve", "-m", str(model), "--port", str(self.port)]
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                [*cmd, "--env-manager", "virtualenv"], env=env, stdout=err, stderr=subprocess.STDOUT
            )

    @property
    def output(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def url(self, route: str) -> str:
        return f"http://127.0.0.1:{self.port}{route}"

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"serve exited with {self.proc.returncode}:\n{self.output}")
            try:
                with urllib.request.urlopen(self.url("/ping"), timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.3)
        pytest.fail(f"serve did not answer /ping within {START_TIMEOUT}s:\n{self.output}")

    def invoke(self, body: dict) -> dict:
        req = urllib.request.Request(
            self.url("/invocations"),
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())

    def stop(self) -> int:
        """SIGTERM the outer process: it forwards the signal and exits when the server does."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                pytest.fail("serve did not stop within 60s of SIGTERM")
        return self.proc.returncode


def test_serves_from_the_model_environment_and_reuses_it(tmp_path, six_model):
    _require_plugin("pyfunc_scoring_server.process.server")
    root = tmp_path / "envs"
    first = Served(six_model, root, tmp_path)
    try:
        first.wait_ready()
        assert first.invoke({"inputs": [[1], [2]]}) == {"predictions": ["1.16.0", "1.16.0"]}
    finally:
        first.stop()
    assert "installing" in first.output

    second = Served(six_model, root, tmp_path)
    try:
        second.wait_ready()
        assert second.invoke({"inputs": [[1]]}) == {"predictions": ["1.16.0"]}
    finally:
        second.stop()
    assert "reusing environment" in second.output
    assert "installing" not in second.output


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
    from pyfunc_core.envs.installer import find_uv

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
    _require_plugin("pyfunc_scoring_server.process.server")
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
        served.stop()
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
