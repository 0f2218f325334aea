"""LightGBM's own text model file (``model.lgb``) as a core format: it holds trees and
parameters only, so loading it runs no code."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from pyfunc_core.formats import ModelFormat, Safety


class LightGBMText(ModelFormat):
    name = "lightgbm-text"
    file_name = "model.lgb"
    requirements = ("lightgbm",)
    runs_code = False
    description = "LightGBM's own text model file for Boosters (runs no code at load)"

    def _dump(self, obj: Any, path: Path, trusted: Sequence[str] | None) -> None:
        obj.save_model(str(path))

    def _read(
        self,
        path: Path,
        trusted: tuple[str, ...],
        model_class: str | None,
        saved_with: Mapping[str, str],
        trust_hint: str | None,
    ) -> Any:
        import lightgbm

        return lightgbm.Booster(model_file=str(path))

    def check(self, path: Path, *, trusted: Sequence[str] = (), model_class: str | None = None) -> Safety:
        return Safety(True, "LightGBM's own text model file: runs no code")
