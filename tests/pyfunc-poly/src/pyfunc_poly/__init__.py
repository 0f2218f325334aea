"""pyfunc-poly: numpy polynomials saved and served by pyfunc-core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

FLAVOR_NAME = "poly"
LOADER_MODULE = "pyfunc_poly"
COEF_FILE = "coef.npy"


def save_model(polynomial: Any, path: str | Path, **options: Any) -> Any:
    """Save a ``numpy.polynomial.Polynomial`` as a model directory at ``path``.

    ``options`` are those of ``pyfunc_core.model.save_model_directory``: ``signature``,
    ``input_example``, ``pip_requirements``, ``extra_pip_requirements``, ``metadata``...
    """
    import numpy as np

    from pyfunc_core.model import save_model_directory

    def write(dest: Path) -> dict[str, Any]:
        np.save(dest / COEF_FILE, np.asarray(polynomial.coef, dtype="float64"))
        return {"coef": COEF_FILE, "numpy_version": np.__version__}

    return save_model_directory(
        path,
        flavor_name=FLAVOR_NAME,
        loader_module=LOADER_MODULE,
        write_model=write,
        pyfunc_conf={"model_path": COEF_FILE},
        default_requirements=["numpy"],
        infer_output=PolyPredictor(polynomial).predict,
        **options,
    )


def load(model_dir: Any) -> PolyPredictor:
    """The flavor's loader: a ``ModelDirectory`` in, a predictor out."""
    import numpy as np

    coef = np.load(model_dir.file(model_dir.flavor_conf(FLAVOR_NAME)["coef"]))
    return PolyPredictor(np.polynomial.Polynomial(coef))


class PolyPredictor:
    """Evaluates the polynomial on every value of a one-column input."""

    def __init__(self, polynomial: Any):
        self.raw_model = polynomial

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        import numpy as np

        values = data.to_numpy() if hasattr(data, "to_numpy") else np.asarray(data)
        return self.raw_model(values.astype("float64").reshape(-1))
