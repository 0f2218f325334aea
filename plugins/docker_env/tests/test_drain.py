"""Graceful drain across the container boundary: SIGTERM to ``serve --env-manager docker`` lets an
in-flight request finish, then the container and the command exit 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

pytestmark = pytest.mark.slow

SLOW_MODEL_SCRIPT = textwrap.dedent(
    """
    import sys
    import cloudpickle
    from pyfunc_core.python_model import PythonModel
    from pyfunc_core.python_model.flavor import save_model

    class Slow(PythonModel):
        '''Takes 4 seconds per call, so that a request is still in flight when SIGTERM arrives.'''

        def predict(self, context, model_input, params=None):
            import time
            time.sleep(4)
            return [len(model_input)]

    save_model(sys.argv[1], Slow(), pip_requirements=[f"cloudpickle=={cloudpickle.__version__}"])
    """
)


@pytest.fixture(scope="module")
def slow_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("models") / "slow"
    subprocess.run([sys.executable, "-c", SLOW_MODEL_SCRIPT, str(path)], check=True, timeout=120)
    return path


def test_sigterm_drains_the_in_flight_request(
    docker_daemon: Any,
    slow_model: Path,
    build_env: dict[str, str],
    port_factory: Callable[[], int],
    ping_waiter: Callable[..., None],
    tmp_path: Path,
) -> None:
    port = port_factory()
    with open(tmp_path / "serve.log", "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pyfunc_core", "serve", "-m", str(slow_model), "--env-manager", "docker",
             "-p", str(port), "--workers", "1"],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **build_env}, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    answers: list[requests.Response] = []
    try:
        ping_waiter(port, timeout=1500, alive=lambda: proc.poll() is None)
        request = threading.Thread(
            target=lambda: answers.append(
                requests.post(f"http://127.0.0.1:{port}/invocations", json={"inputs": [1, 2, 3]}, timeout=60)
            )
        )
        request.start()
        time.sleep(1.5)  # the request has reached the model, which sleeps for 4 seconds
        proc.send_signal(signal.SIGTERM)
        request.join(timeout=60)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    assert len(answers) == 1 and answers[0].status_code == 200, answers and answers[0].text
    assert answers[0].json() == {"predictions": [3]}
    log = (tmp_path / "serve.log").read_text()
    assert "draining" in log
