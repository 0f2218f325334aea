"""Scoring inside the model's own environment: one long-lived subprocess per executor worker."""

from __future__ import annotations

import atexit
import json
import subprocess
from pathlib import Path
from typing import Any

from pyfunc_core.errors import EnvironmentBuildError, PredictionError
from pyfunc_spark.pipe_protocol import read_frame, write_frame


class EnvScorer:
    """Feeds batches to ``pipe_scorer`` running with the environment's interpreter."""

    def __init__(self, process: subprocess.Popen[bytes], model_path: Path):
        self._process = process
        self._model_path = model_path
        atexit.register(self.close)

    @classmethod
    def start(cls, model_path: Path, env_manager: str) -> EnvScorer:
        """Prepare (or reuse) the environment for the model and start the scoring loop there."""
        import os

        import pyfunc_spark.pipe_scorer as pipe_scorer
        from pyfunc_core.envs import get_env_manager
        from pyfunc_core.model import ModelDirectory

        environment = get_env_manager(env_manager).prepare(ModelDirectory.open(model_path))
        source = Path(pipe_scorer.__file__).read_text(encoding="utf-8")
        process = subprocess.Popen(
            [environment.python, "-c", source, str(model_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, **environment.env_vars},
        )
        scorer = cls(process, model_path)
        hello = scorer._receive()
        if "error" in hello:
            scorer.close()
            raise EnvironmentBuildError(
                f"The model could not be loaded in its {env_manager} environment: {hello['error']}"
            )
        return scorer

    def predict(self, frame: Any) -> Any:
        from pyfunc_core.codecs import dumps

        body = dumps(
            {
                "dataframe_split": {
                    "columns": [str(c) for c in frame.columns],
                    "data": frame.to_numpy().tolist(),
                }
            }
        )
        try:
            write_frame(self._process.stdin, body)  # type: ignore[arg-type]
        except BrokenPipeError:
            raise PredictionError(self._gone()) from None
        answer = self._receive()
        if "error" in answer:
            raise PredictionError(f"Scoring in the model's environment failed: {answer['error']}")
        return answer["predictions"]

    def _receive(self) -> dict[str, Any]:
        payload = read_frame(self._process.stdout)  # type: ignore[arg-type]
        if payload is None:
            raise PredictionError(self._gone())
        return json.loads(payload)

    def _gone(self) -> str:
        code = self._process.poll()
        return f"The scoring process for {self._model_path} exited (code {code}); see the executor's stderr"

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.stdin.close()  # type: ignore[union-attr]
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
