"""``joblib``: pickle with numpy arrays stored efficiently. Reading it runs any code it holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from pyfunc_core.errors import ModelLoadError
from pyfunc_core.formats.base import ModelFormat


class JoblibFormat(ModelFormat):
    name = "joblib"
    file_name = "model.joblib"
    requirements = ("joblib",)
    description = "joblib (pickle-based, runs code at load: trusted sources only)"

    def _dump(self, obj: Any, path: Path, trusted: Sequence[str] | None) -> None:
        import joblib

        joblib.dump(obj, path)

    def _read(
        self,
        path: Path,
        trusted: tuple[str, ...],
        model_class: str | None,
        saved_with: Mapping[str, str],
        trust_hint: str | None,
    ) -> Any:
        try:
            import joblib
        except ImportError:
            raise ModelLoadError(f"Model file '{path}' is in the joblib format: pip install joblib") from None
        return joblib.load(path)
