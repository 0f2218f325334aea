"""Saving and loading LightGBM models in ``mlflow.lightgbm``'s layout, and the predictor."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from pyfunc_core.errors import InvalidParameterError, ModelLoadError
from pyfunc_core.formats import get_format
from pyfunc_core.model import CODE_DIR, MethodPredictor, ModelDirectory, ModelMeta, save_model_directory
from pyfunc_core.registry import ModelFile
from pyfunc_lightgbm import (
    BOOSTER_FORMAT,
    FLAVOR_NAME,
    LOADER_MODULES,
    PREDICT_FUNCTIONS,
    SERIALIZATION_FORMATS,
)

BOOSTER = "lightgbm.basic.Booster"
#: What MLflow adds to every skops trust list of a LightGBM estimator (and so do we).
SKOPS_TRUSTED = (
    "collections.OrderedDict",
    "lightgbm.basic.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.sklearn.LGBMRegressor",
)


def save_model(
    lgb_model: Any,
    path: str | Path,
    *,
    serialization_format: str = "skops",
    skops_trusted_types: Sequence[str] | None = None,
    pyfunc_predict_fn: str = "predict",
    signature: Any = None,
    input_example: Any = None,
    code_paths: Sequence[str | Path] | None = None,
    pip_requirements: Sequence[str] | str | Path | None = None,
    extra_pip_requirements: Sequence[str] | str | Path | None = None,
    metadata: dict[str, Any] | None = None,
) -> ModelMeta:
    """Save a ``Booster`` or scikit-learn-API estimator to ``path`` as ``mlflow.lightgbm`` does.

    A ``Booster`` is written as LightGBM's text file; an estimator in ``serialization_format``
    (``skops``, the default, ``cloudpickle`` or ``pickle``). ``pyfunc_predict_fn=
    "predict_proba"`` serves a classifier's probabilities (``mlflow.pyfunc`` serves its
    ``predict``: MLflow's wrapper calls nothing else).
    """
    import lightgbm as lgb

    is_booster = isinstance(lgb_model, lgb.Booster)
    if not (is_booster or isinstance(lgb_model, lgb.LGBMModel)):
        raise InvalidParameterError(
            f"Expected a lightgbm Booster or LGBMModel, got {type(lgb_model).__name__}"
        )
    if serialization_format not in SERIALIZATION_FORMATS:
        raise InvalidParameterError(
            f"Unknown serialization_format {serialization_format!r}; choose one of {', '.join(SERIALIZATION_FORMATS)}"
        )
    if pyfunc_predict_fn not in PREDICT_FUNCTIONS or not callable(
        getattr(lgb_model, pyfunc_predict_fn, None)
    ):
        raise InvalidParameterError(
            f"pyfunc_predict_fn {pyfunc_predict_fn!r} is not a method {type(lgb_model).__name__} serves"
        )
    trusted = None
    if serialization_format == "skops":
        trusted = sorted({*SKOPS_TRUSTED, *(skops_trusted_types or ())})
    fmt = get_format(BOOSTER_FORMAT if is_booster else serialization_format)
    cls = type(lgb_model)

    def write_model(dest: Path) -> dict[str, Any]:
        fmt.save(lgb_model, dest / fmt.file_name, trusted=None if is_booster else trusted)
        return {  # mlflow.lightgbm's flavor section
            "lgb_version": lgb.__version__,
            "data": fmt.file_name,
            "model_class": f"{cls.__module__}.{cls.__qualname__}",
            "code": CODE_DIR if code_paths else None,
            "serialization_format": serialization_format,
            "skops_trusted_types": trusted,
            "pyfunc_predict_fn": pyfunc_predict_fn,
        }

    requirements = ["lightgbm"] if is_booster else ["lightgbm", "scikit-learn", *fmt.requirements]
    return save_model_directory(
        path,
        flavor_name=FLAVOR_NAME,
        loader_module=LOADER_MODULES[0],
        write_model=write_model,
        pyfunc_conf={"data": fmt.file_name},
        default_requirements=requirements,
        code_paths=code_paths,
        signature=signature,
        input_example=input_example,
        infer_output=LightGBMPredictor(lgb_model, pyfunc_predict_fn).predict,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
    )


def model_file(model_dir: ModelDirectory) -> ModelFile:
    conf = model_dir.flavor_conf(FLAVOR_NAME)
    relative = conf.get("data") or (model_dir.meta.pyfunc_conf or {}).get("data")
    path = model_dir.file(relative, what="LightGBM model file")
    model_class = str(conf.get("model_class") or BOOSTER)
    if model_class == BOOSTER:
        return ModelFile(path, BOOSTER_FORMAT, model_class=model_class)
    fmt = str(conf.get("serialization_format") or "cloudpickle")  # MLflow's default when absent
    return ModelFile(path, fmt, tuple(conf.get("skops_trusted_types") or ()), model_class)


def load_model(path: str | Path) -> Any:
    """The native LightGBM model saved in the model directory at ``path``."""
    return _read(ModelDirectory.open(path))


def load_predictor(model_dir: ModelDirectory) -> LightGBMPredictor:
    """The flavor's loader: the model wrapped to call the saved ``pyfunc_predict_fn``."""
    predict_fn = model_dir.flavor_conf(FLAVOR_NAME).get("pyfunc_predict_fn") or "predict"
    return LightGBMPredictor(_read(model_dir), str(predict_fn))


def _read(model_dir: ModelDirectory) -> Any:
    found = model_file(model_dir)
    if found.format not in (BOOSTER_FORMAT, *SERIALIZATION_FORMATS):
        raise ModelLoadError(f"'{found.path.name}' has unknown serialization_format {found.format!r}")
    saved = model_dir.flavor_conf(FLAVOR_NAME).get("lgb_version")
    return get_format(found.format).load(
        found.path, trusted=found.trusted, saved_with={"lightgbm": str(saved)} if saved else None
    )


class LightGBMPredictor(MethodPredictor):
    """Calls ``predict`` (or ``predict_proba``) on the input, as MLflow's wrapper does; both
    are named outputs, ``predict_fn`` first."""

    methods = PREDICT_FUNCTIONS

    def input_errors(self) -> tuple[type[BaseException], ...]:
        import lightgbm as lgb

        return (*super().input_errors(), lgb.basic.LightGBMError)
