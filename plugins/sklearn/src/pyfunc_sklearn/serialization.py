"""The estimator file, written and read through the core's model formats.

The formats (cloudpickle, pickle, skops with its trusted-types check and load cache) are
the core's (:mod:`pyfunc_core.formats`); this module only keeps the flavor to the three that
``mlflow.sklearn`` writes and words the trust hint for this flavor's options.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from pyfunc_core.errors import InvalidParameterError, ModelLoadError
from pyfunc_core.formats import get_format
from pyfunc_core.registry import ModelFile
from pyfunc_sklearn.constants import ENV_TRUSTED_TYPES, FLAVOR_NAME, PICKLE, SERIALIZATION_FORMATS

if TYPE_CHECKING:
    from pyfunc_core.model import ModelDirectory

SKLEARN = "scikit-learn"
TRUST_HINT = (
    "list them in the sklearn flavor's skops_trusted_types in MLmodel (save_model(..., skops_trusted_types=...)), "
    f"pass skops_trusted_types= to pyfunc_sklearn.load_model, or set {ENV_TRUSTED_TYPES}"
)


def check_format(serialization_format: str) -> None:
    if serialization_format not in SERIALIZATION_FORMATS:
        raise InvalidParameterError(
            f"Unknown serialization_format {serialization_format!r}; "
            f"choose one of {', '.join(SERIALIZATION_FORMATS)}"
        )


def dump(estimator: Any, path: Path, serialization_format: str, trusted: Sequence[str] | None) -> None:
    """Write ``estimator`` to ``path``; a skops file is read back to prove it loads."""
    get_format(serialization_format).save(estimator, path, trusted=trusted)


def env_trusted_types() -> list[str]:
    return [t.strip() for t in os.environ.get(ENV_TRUSTED_TYPES, "").split(",") if t.strip()]


def read(
    path: Path,
    serialization_format: str,
    *,
    trusted: Sequence[str] | None = None,
    saved_version: str | None = None,
) -> Any:
    """Read the estimator at ``path``; ``saved_version`` is the scikit-learn that wrote it."""
    if serialization_format not in SERIALIZATION_FORMATS:
        raise ModelLoadError(
            f"'{path.name}' has unknown serialization_format {serialization_format!r} "
            f"(known: {', '.join(SERIALIZATION_FORMATS)})"
        )
    return get_format(serialization_format).load(
        path,
        trusted=trusted or (),
        saved_with={SKLEARN: saved_version} if saved_version else None,
        trust_hint=TRUST_HINT,
    )


def installed_sklearn_version() -> str | None:
    from importlib import metadata

    try:
        return metadata.version(SKLEARN)
    except metadata.PackageNotFoundError:
        return None


def model_file(model_dir: ModelDirectory) -> ModelFile | None:
    """The estimator file and its format, as the loader will read them (for ``pyfunc-core info``)."""
    conf = model_dir.meta.flavors.get(FLAVOR_NAME) or {"serialization_format": PICKLE}
    pyfunc_conf = model_dir.meta.pyfunc_conf or {}
    relative = pyfunc_conf.get("model_path") or pyfunc_conf.get("data") or conf.get("pickled_model")
    if not relative:
        return None
    trusted = (*(conf.get("skops_trusted_types") or ()), *env_trusted_types())
    return ModelFile(model_dir.path / str(relative), str(conf.get("serialization_format") or PICKLE), trusted)
