"""The built-in ``python_model`` flavor: saving and loading ``PythonModel`` subclasses."""

from __future__ import annotations

import inspect
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

from pyfunc_core.errors import InvalidParameterError, ModelLoadError
from pyfunc_core.model.mlmodel import PYFUNC_FLAVOR, ModelDirectory, ModelMeta
from pyfunc_core.model.save import save_model_directory
from pyfunc_core.python_model.api import PythonModel, PythonModelContext
from pyfunc_core.python_model.code_model import run_model_file
from pyfunc_core.python_model.predictors import fixed_signature, is_streamable
from pyfunc_core.python_model.type_hints import input_converter, signature_from_type_hints

FLAVOR_NAME = "python_model"
#: MLflow imports this module and calls its ``_load_pyfunc(path)``: it loads where pyfunc-core is installed.
LOADER_MODULE = "pyfunc_core.python_model"
#: What importing the loader module needs, listed in every such model's requirements.txt.
LOADER_DISTRIBUTION = "pyfunc-core"
PICKLE_FILE = "python_model.pkl"
ARTIFACTS_DIR = "artifacts"


def save_model(
    path: str | Path,
    python_model: PythonModel | str | Path,
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
    """Save a :class:`PythonModel` instance (pickled), or a models-from-code file (a path to
    a ``.py`` file that calls ``pyfunc_core.set_model``: copied, never pickled), with its
    artifacts as a model directory.

    Without ``signature``, chat and agent models get their fixed signature, and a model whose
    ``predict`` has type hints gets its input signature from them.
    """
    code_file: Path | None = None
    if isinstance(python_model, (str, Path)):
        code_file = Path(python_model)
        if code_file.suffix != ".py" or not code_file.is_file():
            raise InvalidParameterError(
                f"python_model given as a path must name an existing .py file, got '{code_file}'"
            )
        with _importable(code_paths):
            model_obj: Any = run_model_file(code_file, model_config)
    elif isinstance(python_model, PythonModel):
        model_obj = python_model
    else:
        raise InvalidParameterError(
            f"python_model must be a PythonModel instance or the path of a .py file, got {type(python_model).__name__}"
        )
    fixed = fixed_signature(model_obj)
    hinted = False
    if signature is None and fixed is not None:
        signature = fixed.signature
    elif signature is None and input_example is None:
        signature = signature_from_type_hints(model_obj)
        hinted = signature is not None
    if fixed is not None:
        metadata = {"task": fixed.task, **(metadata or {})}

    def write(dest: Path) -> dict[str, Any]:
        import cloudpickle

        conf: dict[str, Any] = {}
        if code_file is not None:
            shutil.copy2(code_file, dest / code_file.name)
            conf["model_code_path"] = code_file.name
        else:
            with open(dest / PICKLE_FILE, "wb") as f:
                cloudpickle.dump(python_model, f)
            conf["python_model"] = PICKLE_FILE
        conf["cloudpickle_version"] = cloudpickle.__version__
        conf["streamable"] = is_streamable(model_obj)
        if artifacts:
            conf["artifacts"] = _copy_artifacts(dest, artifacts)
        if model_config:
            conf["model_config"] = model_config
        return conf

    def infer_output(example: Any) -> Any:
        context = PythonModelContext(
            {k: str(Path(v).resolve()) for k, v in (artifacts or {}).items()}, model_config
        )
        if isinstance(model_obj, PythonModel):
            model_obj.load_context(context)
        return wrap_model(model_obj, context).predict(example)

    meta = save_model_directory(
        path,
        flavor_name=PYFUNC_FLAVOR,
        loader_module=LOADER_MODULE,
        write_model=write,
        default_requirements=[] if code_file is not None else ["cloudpickle"],
        loader_requirements=[LOADER_DISTRIBUTION],
        code_paths=code_paths,
        signature=signature,
        input_example=input_example,
        infer_output=infer_output,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        pickled_files=[] if code_file is not None else [PICKLE_FILE],
    )
    if hinted:  # MLflow's marker: inputs are converted to the hinted types, not a DataFrame
        meta.extra["is_signature_from_type_hint"] = True
        meta.save(Path(path))
    return meta


@contextmanager
def _importable(code_paths: Sequence[str | Path] | None) -> Iterator[None]:
    """``code_paths`` importable while a models-from-code file runs at save time."""
    import sys

    added = [str(Path(p).resolve().parent) for p in code_paths or []]
    added = [d for d in dict.fromkeys(added) if d not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for d in added:
            if d in sys.path:
                sys.path.remove(d)


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


def load_pyfunc(path: str | Path, model_config: dict[str, Any] | None = None) -> Any:
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


def load(model_dir: ModelDirectory, *, model_config: dict[str, Any] | None = None) -> Any:
    """Unpickle the ``PythonModel`` (or run the models-from-code file) and run its
    ``load_context``; ``model_config`` replaces the saved one."""
    conf = model_dir.pyfunc_conf
    artifacts = {}
    for name, entry in (conf.get("artifacts") or {}).items():
        rel = entry.get("path") if isinstance(entry, dict) else entry
        artifacts[name] = str(model_dir.file(rel, what=f"artifact {name!r}"))
    if model_config is None:  # ours, or MLflow's key for the same thing
        model_config = conf.get("model_config") or conf.get("config")
    code_path = conf.get("model_code_path")
    if code_path:  # MLflow records the file's original path; the copy sits beside MLmodel
        python_model = run_model_file(
            model_dir.file(Path(str(code_path)).name, what="model code file"), model_config
        )
    else:
        python_model = _unpickle(model_dir.file(conf.get("python_model"), what="python_model pickle"))
    context = PythonModelContext(artifacts, model_config)
    if isinstance(python_model, PythonModel) or callable(getattr(python_model, "load_context", None)):
        python_model.load_context(context)
    return wrap_model(python_model, context)


def _unpickle(pickle_path: Path) -> Any:
    import cloudpickle

    try:
        with open(pickle_path, "rb") as f:
            return cloudpickle.load(f)
    except ModuleNotFoundError as exc:
        raise ModelLoadError(
            f"Unpickling {PICKLE_FILE} needs module {exc.name!r}: install it, or save the model "
            "with code_paths= pointing at that code"
        ) from exc
    except Exception as exc:
        raise ModelLoadError(f"{PICKLE_FILE} cannot be unpickled: {type(exc).__name__}: {exc}") from exc


def wrap_model(python_model: Any, context: PythonModelContext) -> Any:
    """The predictor of a user's model: chat and agent models convert requests and
    responses, type-hinted ones convert inputs, plain callables are called."""
    from pyfunc_core.python_model.predictors import wrap_special

    special = wrap_special(python_model, context)
    if special is not None:
        return special
    if not hasattr(python_model, "predict") and callable(python_model):
        return _CallablePredictor(python_model)
    return _PythonModelPredictor(python_model, context)


class _CallablePredictor:
    """A plain function named by ``set_model``: ``fn(data)`` or ``fn(data, params)``."""

    def __init__(self, fn: Any):
        self.python_model = self.raw_model = fn
        self._call = _bind(fn, PythonModelContext({}, None))
        self._hints = input_converter(fn)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        if self._hints is not None:
            data = self._hints(data)
        return self._call(data, params)


class _PythonModelPredictor:
    def __init__(self, python_model: Any, context: PythonModelContext):
        self.python_model = python_model
        self.raw_model = python_model
        self.context = context
        self._predict = _bind(python_model.predict, context)
        self._hints = input_converter(python_model.predict)
        #: Declared by the model (``PythonModel.row_independent``), never assumed.
        self.row_independent = getattr(python_model, "row_independent", False) is True
        if callable(getattr(python_model, "predict_stream", None)):
            self.predict_stream = self._predict_stream

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        if self._hints is not None:
            data = self._hints(data)
        return self._predict(data, params)

    def _predict_stream(self, data: Any, params: dict[str, Any] | None = None) -> Iterator[Any]:
        if self._hints is not None:
            data = self._hints(data)
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
