"""Model outputs (tensors, nested lists and dicts of them) to numpy, as MLflow returns them."""

from __future__ import annotations

from typing import Any


def to_numpy(result: Any) -> Any:
    """Tensors to ndarrays, keeping dicts, lists and tuples around them."""
    import numpy as np

    if isinstance(result, dict):
        return {k: to_numpy(v) for k, v in result.items()}
    if isinstance(result, (list, tuple)):
        return [to_numpy(v) for v in result]
    if isinstance(result, np.ndarray):
        return result
    numpy = getattr(result, "numpy", None)
    if callable(numpy):
        return numpy()
    return np.asarray(result)


def signature_outputs(raw: dict[str, Any], as_frame: bool, index: Any = None) -> Any:
    """A serving signature's named outputs, shaped as MLflow's ``_TF2Wrapper`` shapes them.

    An output of one value per row is flattened to 1-d; a DataFrame input gets a DataFrame
    back (one column per output, array cells for wider outputs), any other input a dict.
    """
    out = {}
    for name, value in to_numpy(raw).items():
        if value.ndim > 1 and value.size == len(value):
            value = value.ravel()
        out[name] = value
    if not as_frame:
        return out
    import pandas as pd

    columns = {k: (v if v.ndim == 1 else list(v)) for k, v in out.items()}
    frame = pd.DataFrame(columns)
    if index is not None and len(index) == len(frame):
        frame.index = index
    return frame
