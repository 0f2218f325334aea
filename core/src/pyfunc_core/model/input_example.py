"""Saving an input example beside the model, in MLflow's serving format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

INPUT_EXAMPLE_FILE = "input_example.json"
SERVING_INPUT_FILE = "serving_input_example.json"


def save_input_example(path: Path, example: Any) -> dict[str, Any]:
    """Write the example and return ``saved_input_example_info`` for ``MLmodel``."""
    import numpy as np
    import pandas as pd

    if isinstance(example, dict) and example and all(isinstance(v, np.ndarray) for v in example.values()):
        body: Any = {k: v.tolist() for k, v in example.items()}
        info = {"type": "ndarray", "format": "tf-serving"}
        serving = {"inputs": body}
    elif isinstance(example, np.ndarray):
        body = example.tolist()
        info = {"type": "ndarray", "format": "tf-serving"}
        serving = {"inputs": body}
    else:
        if isinstance(example, dict):
            example = (
                pd.DataFrame([example])
                if all(np.isscalar(v) for v in example.values())
                else pd.DataFrame(example)
            )
        elif isinstance(example, list):
            example = pd.DataFrame(example)
        elif isinstance(example, pd.Series):
            example = example.to_frame()
        if not isinstance(example, pd.DataFrame):
            raise ValueError(f"unsupported input example type {type(example).__name__}")
        body = json.loads(example.to_json(orient="split", index=False, date_format="iso"))
        info = {"type": "dataframe", "pandas_orient": "split"}
        serving = {"dataframe_split": body}
    (path / INPUT_EXAMPLE_FILE).write_text(json.dumps(body), encoding="utf-8")
    (path / SERVING_INPUT_FILE).write_text(json.dumps(serving, indent=2), encoding="utf-8")
    return {"artifact_path": INPUT_EXAMPLE_FILE, "serving_input_path": SERVING_INPUT_FILE, **info}


def load_input_example(path: Path, info: dict[str, Any] | None) -> Any:
    """The saved example as a DataFrame or ndarray, or ``None`` when there is none."""
    if not info or not (path / info.get("artifact_path", "")).is_file():
        return None
    import numpy as np
    import pandas as pd

    body = json.loads((path / info["artifact_path"]).read_text(encoding="utf-8"))
    if info.get("type") == "ndarray":
        if isinstance(body, dict):
            return {k: np.asarray(v) for k, v in body.items()}
        return np.asarray(body)
    if isinstance(body, dict) and "columns" in body:
        return pd.DataFrame(body["data"], columns=body["columns"])
    return pd.DataFrame(body)
