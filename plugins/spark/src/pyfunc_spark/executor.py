"""The executor side: one loaded model per Python worker process, reused for every batch."""

from __future__ import annotations

import threading
from typing import Any, Protocol

from pyfunc_spark.shipping import ShippedModel


class Scorer(Protocol):
    def predict(self, frame: Any) -> Any: ...


_scorers: dict[tuple[str, str], Scorer] = {}
_lock = threading.Lock()
#: How many times this process loaded a model (tests read it through a Spark job).
load_count = 0


def scorer_for(model: ShippedModel, env_manager: str) -> Scorer:
    """The cached scorer for ``model`` in this process, loading it on first use only."""
    global load_count
    key = (model.archive_name, env_manager)
    with _lock:
        scorer = _scorers.get(key)
        if scorer is None:
            path = model.local_path()
            if env_manager == "local":
                from pyfunc_core.model import load_model

                scorer = load_model(path)
            else:
                from pyfunc_spark.env_scorer import EnvScorer

                scorer = EnvScorer.start(path, env_manager)
            _scorers[key] = scorer
            load_count += 1
        return scorer
