"""``skops``: a file that loading only ever reads with an explicit list of trusted types.

Loading constructs nothing else, so it runs no code from the file; types that would run code
(:mod:`~pyfunc_core.formats.code_types`) are refused even when a trust list names them.
Saving reads the file back to prove it loads under the list that will be recorded. Loads
go through :mod:`~pyfunc_core.formats.skops_cache`, so a later start need not import skops.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Sequence

from pyfunc_core.errors import InvalidParameterError, ModelLoadError
from pyfunc_core.formats.base import ModelFormat, Safety, first_line
from pyfunc_core.formats.code_types import ALLOW_HINT, code_types

#: Comma-separated types every skops load trusts (the operator's opt-in for ``serve``).
ENV_TRUSTED_TYPES = "PYFUNC_CORE_SKOPS_TRUSTED_TYPES"
DEFAULT_TRUST_HINT = (
    "list them in the flavor's skops_trusted_types in MLmodel (save_model(..., skops_trusted_types=...)) "
    f"or set {ENV_TRUSTED_TYPES}"
)


def env_trusted_types() -> list[str]:
    return [t.strip() for t in os.environ.get(ENV_TRUSTED_TYPES, "").split(",") if t.strip()]


class SkopsFormat(ModelFormat):
    name = "skops"
    file_name = "model.skops"
    requirements = ("skops",)
    runs_code = False
    description = "skops (loads only trusted types: safe for files from elsewhere)"

    @property
    def checks_types(self) -> bool:
        return True

    def untrusted_types(self, path: Path, trusted: Sequence[str]) -> list[str]:
        """The types in ``path`` that ``trusted`` (and skops' defaults) do not cover."""
        import skops.io

        allowed = set(trusted)
        return [t for t in skops.io.get_untrusted_types(file=path) if t not in allowed]

    def check(self, path: Path, *, trusted: Sequence[str] = (), model_class: str | None = None) -> Safety:
        trusted = [*trusted, *env_trusted_types()]
        refused = code_types(trusted)
        if refused:
            return Safety(False, f"the trust list names types that run code: {refused}")
        try:
            untrusted = self.untrusted_types(Path(path), trusted)
        except ImportError:
            return Safety(None, "not checked: skops is not installed")
        except Exception as exc:
            return Safety(False, f"not a readable skops file: {type(exc).__name__}: {first_line(exc)}")
        if untrusted:
            return Safety(False, f"types that are not trusted: {untrusted}")
        return Safety(True, f"every type is trusted ({len(trusted)} listed beyond skops' defaults)")

    def _dump(self, obj: Any, path: Path, trusted: Sequence[str] | None) -> None:
        import skops.io

        refused = code_types(trusted or ())
        if refused:
            raise InvalidParameterError(
                f"skops_trusted_types lists types that run code: {refused}. Loading would refuse "
                f"them; set {ALLOW_HINT} only if you wrote this model yourself"
            )
        kind = type(obj).__name__
        try:
            skops.io.dump(obj, path)
        except Exception as exc:
            raise InvalidParameterError(
                f"{kind} cannot be saved in the skops format ({type(exc).__name__}: {first_line(exc)}); "
                "skops handles only classes defined at module level. Use "
                "serialization_format='cloudpickle' if the model comes from a trusted source"
            ) from exc
        untrusted = self.untrusted_types(path, trusted or ())
        unnamed = [t for t in untrusted if "<lambda>" in t or "<locals>" in t]
        if unnamed:
            raise InvalidParameterError(
                f"{kind} uses {unnamed}, which skops cannot load back (only importable module-level "
                "names). Use serialization_format='cloudpickle' if the model comes from a trusted source"
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
                f"{kind} was written as skops but cannot be loaded back ({type(exc).__name__}: "
                f"{first_line(exc)}). Use serialization_format='cloudpickle' if the model comes "
                "from a trusted source"
            ) from exc

    def _read(
        self,
        path: Path,
        trusted: tuple[str, ...],
        model_class: str | None,
        saved_with: Mapping[str, str],
        trust_hint: str | None,
    ) -> Any:
        from pyfunc_core.formats import skops_cache

        trusted = (*trusted, *env_trusted_types())
        refused = code_types(trusted)
        if refused:
            raise ModelLoadError(
                f"Model file '{path}' would be loaded trusting types that run code: {refused} "
                "(listed in MLmodel's skops_trusted_types or the trust options). Refused: a model "
                f"from an untrusted source can run commands this way; set {ALLOW_HINT} to load it anyway"
            )
        hint = trust_hint or DEFAULT_TRUST_HINT
        return skops_cache.load(
            path, list(trusted), lambda: self._read_checked(path, trusted, hint), frameworks=list(saved_with)
        )

    def _read_checked(self, path: Path, trusted: Sequence[str], hint: str) -> Any:
        import zipfile

        try:
            import skops.io
        except ImportError:
            raise ModelLoadError(f"Model file '{path}' is in the skops format: pip install skops") from None
        try:
            untrusted = self.untrusted_types(path, trusted)
        except (zipfile.BadZipFile, KeyError, ValueError, EOFError, OSError) as exc:
            raise ModelLoadError(
                f"Model file '{path}' is not a readable skops file (corrupted or truncated?): "
                f"{type(exc).__name__}: {first_line(exc)}"
            ) from exc
        if untrusted:
            raise ModelLoadError(
                f"Model file '{path}' contains types that are not trusted: {untrusted}. Loading a "
                f"skops model constructs only trusted types; if you trust these, {hint}"
            )
        return skops.io.load(path, trusted=list(trusted))
