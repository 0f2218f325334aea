"""Writing and reading the estimator file in each serialization format.

Every failure to read becomes a one-line :class:`~pyfunc_core.errors.ModelLoadError` that
names the file and the cause. A skops file is only ever read with an explicit list of
trusted types, so loading it never constructs (or runs) anything else.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Sequence

from pyfunc_core.errors import InvalidParameterError, ModelLoadError
from pyfunc_sklearn.code_types import ENV_ALLOW_CODE_TYPES, code_types
from pyfunc_sklearn.constants import CLOUDPICKLE, ENV_TRUSTED_TYPES, PICKLE, SERIALIZATION_FORMATS, SKOPS


def check_format(serialization_format: str) -> None:
    if serialization_format not in SERIALIZATION_FORMATS:
        raise InvalidParameterError(
            f"Unknown serialization_format {serialization_format!r}; "
            f"choose one of {', '.join(SERIALIZATION_FORMATS)}"
        )


def dump(estimator: Any, path: Path, serialization_format: str, trusted: Sequence[str] | None) -> None:
    """Write ``estimator`` to ``path``; a skops file is read back to prove it loads."""
    if serialization_format == SKOPS:
        import skops.io

        refused = code_types(trusted or ())
        if refused:
            raise InvalidParameterError(
                f"skops_trusted_types lists types that run code: {refused}. Loading would refuse "
                f"them; set {ENV_ALLOW_CODE_TYPES}=1 only if you wrote this estimator yourself"
            )

        try:
            skops.io.dump(estimator, path)
        except Exception as exc:
            raise InvalidParameterError(
                f"{type(estimator).__name__} cannot be saved in the skops format ({type(exc).__name__}: "
                f"{exc}); skops handles only classes defined at module level. Use "
                "serialization_format='cloudpickle' if the model comes from a trusted source"
            ) from exc
        untrusted = untrusted_types(path, trusted)
        unnamed = [t for t in untrusted if "<lambda>" in t or "<locals>" in t]
        if unnamed:
            raise InvalidParameterError(
                f"{type(estimator).__name__} uses {unnamed}, which skops cannot load back (only "
                "importable module-level names). Use serialization_format='cloudpickle' if the "
                "model comes from a trusted source"
            )
        if untrusted:
            raise InvalidParameterError(
                f"The skops file references types that loading will refuse: {untrusted}. If they "
                f"are safe, pass skops_trusted_types={untrusted!r} to save_model"
            )
        try:
            skops.io.load(path, trusted=list(trusted or ()))
        except Exception as exc:
            raise InvalidParameterError(
                f"{type(estimator).__name__} was written as skops but cannot be loaded back "
                f"({type(exc).__name__}: {_first_line(exc)}). Use serialization_format='cloudpickle' "
                "if the model comes from a trusted source"
            ) from exc
        return
    # The default protocol (not cloudpickle's newest) keeps older Pythons able to read it.
    if serialization_format == CLOUDPICKLE:
        import cloudpickle

        with open(path, "wb") as f:
            cloudpickle.dump(estimator, f, protocol=pickle.DEFAULT_PROTOCOL)
    else:
        with open(path, "wb") as f:
            pickle.dump(estimator, f, protocol=pickle.DEFAULT_PROTOCOL)


def untrusted_types(path: Path, trusted: Sequence[str] | None) -> list[str]:
    """The types in a skops file that ``trusted`` (and skops' defaults) do not cover."""
    import skops.io

    allowed = set(trusted or ())
    return [t for t in skops.io.get_untrusted_types(file=path) if t not in allowed]


def env_trusted_types() -> list[str]:
    import os

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
    try:
        if serialization_format == SKOPS:
            from pyfunc_sklearn import skops_cache

            refused = code_types(trusted or ())
            if refused:
                raise ModelLoadError(
                    f"Model file '{path}' would be loaded trusting types that run code: {refused} "
                    "(listed in MLmodel's skops_trusted_types or the trust options). Refused: a model "
                    f"from an untrusted source can run commands this way; set {ENV_ALLOW_CODE_TYPES}=1 "
                    "to load it anyway"
                )

            return skops_cache.load(path, list(trusted or ()), lambda: _read_skops(path, trusted))
        with open(path, "rb") as f:
            if serialization_format == PICKLE:
                return pickle.load(f)
            import cloudpickle

            return cloudpickle.load(f)
    except ModelLoadError:
        raise
    except Exception as exc:
        raise _read_error(path, serialization_format, exc, saved_version) from exc


def _read_skops(path: Path, trusted: Sequence[str] | None) -> Any:
    import zipfile

    try:
        import skops.io
    except ImportError:
        raise ModelLoadError(f"Model file '{path}' is in the skops format: pip install skops") from None

    try:
        untrusted = untrusted_types(path, trusted)
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError, OSError) as exc:
        raise ModelLoadError(
            f"Model file '{path}' is not a readable skops file (corrupted or truncated?): "
            f"{type(exc).__name__}: {_first_line(exc)}"
        ) from exc
    if untrusted:
        raise ModelLoadError(
            f"Model file '{path}' contains types that are not trusted: {untrusted}. Loading a "
            "skops model constructs only trusted types; if you trust these, list them in the "
            "sklearn flavor's skops_trusted_types in MLmodel (save_model(..., skops_trusted_types=...)), "
            f"pass skops_trusted_types= to pyfunc_sklearn.load_model, or set {ENV_TRUSTED_TYPES}"
        )
    return skops.io.load(path, trusted=list(trusted or ()))


def _read_error(path: Path, fmt: str, exc: Exception, saved_version: str | None) -> ModelLoadError:
    installed = installed_sklearn_version()
    cause = f"{type(exc).__name__}: {_first_line(exc)}"
    if saved_version and installed and saved_version != installed:
        return ModelLoadError(
            f"Model file '{path}' was saved with scikit-learn {saved_version} and cannot be loaded "
            f"with the installed scikit-learn {installed} ({cause}); install "
            f"scikit-learn=={saved_version} or re-save the model"
        )
    if isinstance(exc, ModuleNotFoundError):
        return ModelLoadError(
            f"Unpickling model file '{path}' needs module {exc.name!r}: install it, or save the "
            "model with code_paths= pointing at that code"
        )
    if isinstance(exc, (EOFError, pickle.UnpicklingError)) or fmt == SKOPS:
        return ModelLoadError(
            f"Model file '{path}' is corrupted or truncated and cannot be read as {fmt}: {cause}"
        )
    return ModelLoadError(f"Model file '{path}' cannot be read as {fmt}: {cause}")


def installed_sklearn_version() -> str | None:
    from importlib import metadata

    try:
        return metadata.version("scikit-learn")
    except metadata.PackageNotFoundError:
        return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "(no message)"
