"""The built-in ``python_model`` flavor: saving and loading ``PythonModel`` subclasses."""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path
from typing import Any, Iterator, Sequence

from pyfunc_core.errors import InvalidParameterError, ModelLoadError
from pyfunc_core.model.mlmodel import PYFUNC_FLAVOR, ModelDirectory, ModelMeta
from pyfunc_core.model.save import save_model_directory
from pyfunc_core.python_model.api import PythonModel, PythonModelContext

FLAVOR_NAME = "python_model"
#: MLflow imports this module and calls its ``_load_pyfunc(path)``: it loads where pyfunc-core is installed.
LOADER_MODULE = "pyfunc_core.python_model"
#: What importing the loader module needs, listed in every such model's requirements.txt.
LOADER_DISTRIBUTION = "pyfunc-core"
PICKLE_FILE = "python_model.pkl"
ARTIFACTS_DIR = "artifacts"


def save_model(
    path: str | Path,
    python_model: PythonModel,
    *,
    artifacts: dict[str, str | Path] | None = None,
    code_paths: Sequence[str | Path] | None = None,
    signature: Any = None,
    input_example: Any = None,
    pip_requirements: Sequence[str] | str | Path | None = None,
    extra_pip_requirements: Sequence[str] | str | Path | None = None,
    model_config: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> ModelMeta:
    """Save a :class:`PythonModel` instance (and its artifacts) as a model directory."""
    if not isinstance(python_model, PythonModel):
        raise InvalidParameterError(
            f"python_model must be a PythonModel instance, got {type(python_model).__name__}"
        )

    def write(dest: Path) -> dict[str, Any]:
        import cloudpickle

        with open(dest / PICKLE_FILE, "wb") as f:
            cloudpickle.dump(python_model, f)
        conf: dict[str, Any] = {
            "python_model": PICKLE_FILE,
            "cloudpickle_version": cloudpickle.__version__,
        }
        if artifacts:
            conf["artifacts"] = _copy_artifacts(dest, artifacts)
        if model_config:
            conf["model_config"] = model_config
        return conf

    def infer_output(example: Any) -> Any:
        context = PythonModelContext(
            {k: str(Path(v).resolve()) for k, v in (artifacts or {}).items()}, model_config
        )
        python_model.load_context(context)
        return _PythonModelPredictor(python_model, context).predict(example)

    return save_model_directory(
        path,
        flavor_name=PYFUNC_FLAVOR,
        loader_module=LOADER_MODULE,
        write_model=write,
        default_requirements=["cloudpickle"],
        loader_requirements=[LOADER_DISTRIBUTION],
        code_paths=code_paths,
        signature=signature,
        input_example=input_example,
        infer_output=infer_output,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        pickled_files=[PICKLE_FILE],
    )


def _copy_artifacts(dest: Path, artifacts: dict[str, str | Path]) -> dict[str, dict[str, str]]:
    root = dest / ARTIFACTS_DIR
    root.mkdir()
    out = {}
    for name, src in artifacts.items():
        src = Path(src)
        if not src.exists():
            raise FileNotFoundError(f"artifact {name!r} points to '{src}', which does not exist")
        target = root / src.name
        if target.exists():
            target = root / name / src.name
            target.parent.mkdir(parents=True)
        if src.is_dir():
            shutil.copytree(src, target)
        else:
            shutil.copy2(src, target)
        out[name] = {"path": str(target.relative_to(dest)), "uri": str(src)}
    return out


def load_pyfunc(path: str | Path, model_config: dict[str, Any] | None = None) -> _PythonModelPredictor:
    """MLflow's ``loader_module`` contract: ``mlflow.pyfunc.load_model`` calls
    ``pyfunc_core.python_model._load_pyfunc(model_dir)`` (with the effective ``model_config``
    when there is one) and wraps what it returns, which has ``predict(data, params=None)``."""
    model_dir = ModelDirectory.open(path)
    code = model_dir.pyfunc_conf.get("code")
    if code:  # mlflow.pyfunc adds it to sys.path itself; a direct call may not have
        import sys

        code_dir = str(model_dir.file(str(code), what="code directory"))
        if code_dir not in sys.path:
            sys.path.insert(0, code_dir)
    return load(model_dir, model_config=model_config)


def load(model_dir: ModelDirectory, *, model_config: dict[str, Any] | None = None) -> _PythonModelPredictor:
    """Unpickle the ``PythonModel`` and run its ``load_context``; ``model_config`` replaces the saved one."""
    import cloudpickle

    conf = model_dir.pyfunc_conf
    pickle_path = model_dir.file(conf.get("python_model"), what="python_model pickle")
    artifacts = {}
    for name, entry in (conf.get("artifacts") or {}).items():
        rel = entry.get("path") if isinstance(entry, dict) else entry
        artifacts[name] = str(model_dir.file(rel, what=f"artifact {name!r}"))
    try:
        with open(pickle_path, "rb") as f:
            python_model = cloudpickle.load(f)
    except ModuleNotFoundError as exc:
        raise ModelLoadError(
            f"Unpickling {PICKLE_FILE} needs module {exc.name!r}: install it, or save the model "
            "with code_paths= pointing at that code"
        ) from exc
    except Exception as exc:
        raise ModelLoadError(f"{PICKLE_FILE} cannot be unpickled: {type(exc).__name__}: {exc}") from exc
    if model_config is None:  # ours, or MLflow's key for the same thing
        model_config = conf.get("model_config") or conf.get("config")
    context = PythonModelContext(artifacts, model_config)
    python_model.load_context(context)
    return _PythonModelPredictor(python_model, context)


class _PythonModelPredictor:
    def __init__(self, python_model: Any, context: PythonModelContext):
        self.python_model = python_model
        self.raw_model = python_model
        self.context = context
        self._predict = _bind(python_model.predict, context)
        if callable(getattr(python_model, "predict_stream", None)):
            self.predict_stream = self._predict_stream

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self._predict(data, params)

    def _predict_stream(self, data: Any, params: dict[str, Any] | None = None) -> Iterator[Any]:
        return _bind(self.python_model.predict_stream, self.context)(data, params)


def _bind(method: Any, context: PythonModelContext) -> Any:
    """Call ``method`` with or without ``context`` and ``params``, as it declares them."""
    parameters = list(inspect.signature(method).parameters)
    takes_params = "params" in parameters
    data_args = [p for p in parameters if p != "params"]
    # (context, model_input) whatever their names; a lone argument is the input unless named context
    takes_context = len(data_args) >= 2 or data_args[:1] == ["context"]
    if takes_context and takes_params:
        return lambda data, params: method(context, data, params=params)
    if takes_context:
        return lambda data, params: method(context, data)
    if takes_params:
        return lambda data, params: method(data, params=params)
    return lambda data, params: method(data)
