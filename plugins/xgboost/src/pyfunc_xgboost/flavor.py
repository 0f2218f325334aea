"""Saving and loading XGBoost models in ``mlflow.xgboost``'s layout, and the predictor."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Callable, Sequence

from pyfunc_core.errors import InvalidParameterError
from pyfunc_core.formats import get_format
from pyfunc_core.model import CODE_DIR, MethodPredictor, ModelDirectory, ModelMeta, save_model_directory
from pyfunc_core.registry import ModelFile
from pyfunc_xgboost import FLAVOR_NAME, LOADER_MODULES, MODEL_FORMATS, PREDICT_FUNCTIONS
from pyfunc_xgboost.native import BOOSTER


def save_model(
    xgb_model: Any,
    path: str | Path,
    *,
    model_format: str = "ubj",
    pyfunc_predict_fn: str = "predict",
    signature: Any = None,
    input_example: Any = None,
    code_paths: Sequence[str | Path] | None = None,
    pip_requirements: Sequence[str] | str | Path | None = None,
    extra_pip_requirements: Sequence[str] | str | Path | None = None,
    metadata: dict[str, Any] | None = None,
) -> ModelMeta:
    """Save a ``Booster`` or scikit-learn-API estimator to ``path`` as ``mlflow.xgboost`` does.

    ``model_format`` is ``ubj`` (default), ``json`` or ``xgb``. ``pyfunc_predict_fn`` is the
    method serving calls: ``predict_proba`` serves a classifier's probabilities. It is kept
    in the flavor's section, not ``python_function``'s ``predict_fn``, which MLflow's pyfunc
    wrapper cannot call: ``mlflow.pyfunc`` serves such a directory's ``predict``.
    """
    import xgboost as xgb

    if not isinstance(xgb_model, (xgb.Booster, xgb.XGBModel)):
        raise InvalidParameterError(
            f"Expected an xgboost Booster or XGBModel, got {type(xgb_model).__name__}"
        )
    if model_format not in MODEL_FORMATS:
        raise InvalidParameterError(
            f"Unknown model_format {model_format!r}; choose one of {', '.join(MODEL_FORMATS)}"
        )
    if pyfunc_predict_fn not in PREDICT_FUNCTIONS or not callable(
        getattr(xgb_model, pyfunc_predict_fn, None)
    ):
        raise InvalidParameterError(
            f"pyfunc_predict_fn {pyfunc_predict_fn!r} is not a method {type(xgb_model).__name__} serves "
            f"(choose from {', '.join(f for f in PREDICT_FUNCTIONS if hasattr(xgb_model, f))})"
        )
    fmt = get_format(f"xgboost-{model_format}")
    cls = type(xgb_model)

    def write_model(dest: Path) -> dict[str, Any]:
        fmt.save(xgb_model, dest / fmt.file_name)
        return {  # mlflow.xgboost's flavor section
            "xgb_version": xgb.__version__,
            "data": fmt.file_name,
            "model_class": f"{cls.__module__}.{cls.__qualname__}",
            "model_format": model_format,
            "code": CODE_DIR if code_paths else None,
            "pyfunc_predict_fn": pyfunc_predict_fn,
        }

    return save_model_directory(
        path,
        flavor_name=FLAVOR_NAME,
        loader_module=LOADER_MODULES[0],
        write_model=write_model,
        pyfunc_conf={"data": fmt.file_name},
        default_requirements=["xgboost"] + (["scikit-learn"] if isinstance(xgb_model, xgb.XGBModel) else []),
        code_paths=code_paths,
        signature=signature,
        input_example=input_example,
        infer_output=XGBoostPredictor(xgb_model, pyfunc_predict_fn).predict,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
    )


def model_file(model_dir: ModelDirectory) -> ModelFile:
    conf = model_dir.flavor_conf(FLAVOR_NAME)
    relative = conf.get("data") or (model_dir.meta.pyfunc_conf or {}).get("data")
    path = model_dir.file(relative, what="XGBoost model file")
    suffix = str(conf.get("model_format") or path.suffix.lstrip(".") or "xgb")
    fmt = f"xgboost-{suffix if suffix in MODEL_FORMATS else 'xgb'}"  # older files: xgboost detects
    return ModelFile(path, fmt, model_class=str(conf.get("model_class") or BOOSTER))


def load_model(path: str | Path) -> Any:
    """The native XGBoost model saved in the model directory at ``path``."""
    return _read(ModelDirectory.open(path))


def load_predictor(model_dir: ModelDirectory) -> XGBoostPredictor:
    """The flavor's loader: the model wrapped to call the saved ``predict_fn``."""
    predict_fn = model_dir.flavor_conf(FLAVOR_NAME).get("pyfunc_predict_fn") or "predict"
    return XGBoostPredictor(_read(model_dir), str(predict_fn))


def _read(model_dir: ModelDirectory) -> Any:
    found = model_file(model_dir)
    saved = model_dir.flavor_conf(FLAVOR_NAME).get("xgb_version")
    return get_format(found.format).load(
        found.path, model_class=found.model_class, saved_with={"xgboost": str(saved)} if saved else None
    )


class XGBoostPredictor(MethodPredictor):
    """Calls ``predict`` (a ``Booster`` on a ``DMatrix``) or ``predict_proba``, checking feature
    names; both are named outputs, ``predict_fn`` first."""

    methods = PREDICT_FUNCTIONS
    float_dtype = "float32"

    def call(self, method: Callable[..., Any], data: Any, params: dict[str, Any] | None) -> Any:
        import xgboost as xgb

        accepted = inspect.signature(method).parameters  # MLflow too drops params predict lacks
        kwargs = {k: v for k, v in (params or {}).items() if k in accepted}
        if isinstance(self.raw_model, xgb.Booster):
            data = xgb.DMatrix(data)
        return method(data, validate_features=True, **kwargs)

    def input_errors(self) -> tuple[type[BaseException], ...]:
        import xgboost as xgb

        return (*super().input_errors(), xgb.core.XGBoostError)
