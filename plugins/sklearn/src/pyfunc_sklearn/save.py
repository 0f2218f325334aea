"""``save_model``: a scikit-learn estimator as a model directory in MLflow's layout."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from pyfunc_core.errors import InvalidParameterError
from pyfunc_core.model import CODE_DIR, ModelMeta, save_model_directory
from pyfunc_sklearn import serialization
from pyfunc_sklearn.constants import (
    CLOUDPICKLE,
    FLAVOR_NAME,
    MLFLOW_LOADER_MODULE,
    MODEL_FILES,
    PREDICT_FUNCTIONS,
    SKOPS,
)


def save_model(
    sk_model: Any,
    path: str | Path,
    *,
    serialization_format: str = CLOUDPICKLE,
    skops_trusted_types: Sequence[str] | None = None,
    pyfunc_predict_fn: str = "predict",
    signature: Any = None,
    input_example: Any = None,
    code_paths: Sequence[str | Path] | None = None,
    pip_requirements: Sequence[str] | str | Path | None = None,
    extra_pip_requirements: Sequence[str] | str | Path | None = None,
    metadata: dict[str, Any] | None = None,
) -> ModelMeta:
    """Save a fitted estimator or pipeline to ``path`` and return its ``MLmodel``.

    ``serialization_format`` is ``cloudpickle`` (default), ``pickle`` or ``skops`` (safe to
    load from untrusted sources; types skops does not trust by default, such as
    ``sklearn.tree._tree.Tree``, must be listed in ``skops_trusted_types``).
    ``pyfunc_predict_fn`` is the method serving calls: one of
    :data:`~pyfunc_sklearn.constants.PREDICT_FUNCTIONS`. Without a ``signature``, one is
    inferred from ``input_example`` (inputs, and outputs from ``pyfunc_predict_fn``).
    """
    import sklearn

    from pyfunc_sklearn.predictor import SklearnPredictor

    serialization.check_format(serialization_format)
    if pyfunc_predict_fn not in PREDICT_FUNCTIONS:
        raise InvalidParameterError(
            f"Unsupported pyfunc_predict_fn {pyfunc_predict_fn!r}; choose one of {', '.join(PREDICT_FUNCTIONS)}"
        )
    if not callable(getattr(sk_model, pyfunc_predict_fn, None)):
        raise InvalidParameterError(
            f"pyfunc_predict_fn is {pyfunc_predict_fn!r}, but {type(sk_model).__name__} has no "
            f"{pyfunc_predict_fn}() method"
        )
    if skops_trusted_types is not None and serialization_format != SKOPS:
        raise InvalidParameterError("skops_trusted_types applies only to serialization_format='skops'")
    trusted = list(skops_trusted_types) if skops_trusted_types is not None else None
    model_file = MODEL_FILES[serialization_format]

    def write_model(dest: Path) -> dict[str, Any]:
        serialization.dump(sk_model, dest / model_file, serialization_format, trusted)
        # The keys and their order of mlflow.sklearn's flavor section.
        return {
            "pickled_model": model_file,
            "sklearn_version": sklearn.__version__,
            "serialization_format": serialization_format,
            "code": CODE_DIR if code_paths else None,
            "skops_trusted_types": trusted,
        }

    def infer_output(example: Any) -> Any:
        return SklearnPredictor(sk_model, pyfunc_predict_fn).predict(example)

    default_requirements = ["scikit-learn"]
    if serialization_format == CLOUDPICKLE:
        default_requirements.append("cloudpickle")
    elif serialization_format == SKOPS:
        default_requirements.append("skops")
    return save_model_directory(
        path,
        flavor_name=FLAVOR_NAME,
        loader_module=MLFLOW_LOADER_MODULE,
        write_model=write_model,
        pyfunc_conf={"model_path": model_file, "predict_fn": pyfunc_predict_fn},
        default_requirements=default_requirements,
        code_paths=code_paths,
        signature=signature,
        input_example=input_example,
        infer_output=infer_output,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        # a pickled pipeline may hold estimators of other libraries (skops loads only trusted types)
        pickled_files=[] if serialization_format == SKOPS else [model_file],
    )
