"""Writing a model directory: the plumbing every flavor's ``save_model`` shares."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any, Callable, Sequence

from pyfunc_core._version import __version__
from pyfunc_core.model.input_example import save_input_example
from pyfunc_core.model.mlmodel import PYFUNC_FLAVOR, ModelMeta
from pyfunc_core.model.requirements import (
    pickled_requirements,
    python_version,
    resolve_requirements,
    write_environment_files,
)

logger = logging.getLogger("pyfunc_core.model")

CODE_DIR = "code"


def save_model_directory(
    path: str | Path,
    *,
    flavor_name: str,
    loader_module: str,
    write_model: Callable[[Path], dict[str, Any]],
    pyfunc_conf: dict[str, Any] | None = None,
    default_requirements: Sequence[str] = (),
    loader_requirements: Sequence[str] = (),
    code_paths: Sequence[str | Path] | None = None,
    signature: Any = None,
    input_example: Any = None,
    infer_output: Callable[[Any], Any] | None = None,
    pip_requirements: Sequence[str] | str | Path | None = None,
    extra_pip_requirements: Sequence[str] | str | Path | None = None,
    metadata: dict[str, Any] | None = None,
    extra_flavors: dict[str, dict[str, Any]] | None = None,
    pickled_files: Sequence[str] = (),
) -> ModelMeta:
    """Create a model directory at ``path`` in MLflow's layout and return its ``MLmodel``.

    ``write_model(path)`` writes the native model files and returns the flavor's own
    ``MLmodel`` section (``flavors.<flavor_name>``). ``pyfunc_conf`` adds keys to the
    ``python_function`` section (``model_path``, ``predict_fn``...). When no signature is
    given but an input example is, the input schema is inferred from the example and, if
    ``infer_output`` is given, the output schema from ``infer_output(example)``.
    ``extra_flavors`` are further ``MLmodel`` flavor sections (another loader's view of the
    same files, e.g. MLflow's ``keras`` beside ``tensorflow``). ``default_requirements`` are pinned to the installed versions; ``loader_requirements``
    (what importing ``loader_module`` needs, e.g. ``pyfunc-core`` for a loader module of
    ours) are pinned and listed whatever ``pip_requirements`` says. Without
    ``pip_requirements``, the distributions that unpickling ``pickled_files`` (paths in the
    directory) imports are added to the defaults, as MLflow infers them. On any failure the
    half-written directory is removed.
    """
    from pyfunc_core.schema.signature import ModelSignature, infer_schema

    path = Path(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise FileExistsError(f"Path '{path}' already exists and is not empty")
    path.mkdir(parents=True, exist_ok=True)
    try:
        flavor_conf = write_model(path)
        meta = ModelMeta(metadata=metadata)
        if input_example is not None:
            meta.saved_input_example_info = save_input_example(path, input_example)
            if signature is None:
                signature = _infer_from_example(input_example, infer_output, infer_schema)
        if signature is not None and not isinstance(signature, ModelSignature):
            raise TypeError(f"signature must be a ModelSignature, got {type(signature).__name__}")
        meta.signature = signature
        conf: dict[str, Any] = {
            "loader_module": loader_module,
            "python_version": python_version(),
            "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
            **(pyfunc_conf or {}),
        }
        if code_paths:
            conf["code"] = _copy_code(path, code_paths)
        if flavor_name == PYFUNC_FLAVOR:  # PythonModel-style: no native flavor section
            conf.update(flavor_conf)
        meta.add_flavor(PYFUNC_FLAVOR, **conf)
        if flavor_name != PYFUNC_FLAVOR:
            meta.add_flavor(flavor_name, **flavor_conf)
        for name, extra in (extra_flavors or {}).items():
            meta.add_flavor(name, **extra)
        meta.extra["pyfunc_core_version"] = __version__
        defaults = list(default_requirements)
        if pip_requirements is None and pickled_files:
            known = [*defaults, *loader_requirements]
            defaults += pickled_requirements([path / f for f in pickled_files], known)
        write_environment_files(
            path,
            resolve_requirements(defaults, pip_requirements, extra_pip_requirements, loader_requirements),
        )
        meta.save(path)
        return meta
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise


def _infer_from_example(example: Any, infer_output: Callable[[Any], Any] | None, infer_schema: Any) -> Any:
    from pyfunc_core.schema.signature import ModelSignature

    try:
        inputs = infer_schema(example)
    except ValueError as exc:
        logger.warning("Could not infer a signature from the input example: %s", exc)
        return None
    outputs = None
    if infer_output is not None:
        try:
            outputs = infer_schema(infer_output(example))
        except Exception as exc:  # a model that cannot predict its example only loses outputs
            logger.warning("Could not infer the output schema from the input example: %s", exc)
    return ModelSignature(inputs, outputs)


def _copy_code(path: Path, code_paths: Sequence[str | Path]) -> str:
    code_dir = path / CODE_DIR
    code_dir.mkdir()
    for src in map(Path, code_paths):
        if not src.exists():
            raise FileNotFoundError(f"code path '{src}' does not exist")
        dest = code_dir / src.name
        if src.is_dir():
            shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, dest)
    return CODE_DIR
