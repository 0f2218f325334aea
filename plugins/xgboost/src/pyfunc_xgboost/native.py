"""XGBoost's own model files (``model.ubj``, ``model.json``, ``model.xgb``) as core formats.

Loading builds the class ``MLmodel`` names (``model_class``) and calls its ``load_model``:
only classes of the ``xgboost`` package are built, so a directory cannot make loading import
or construct anything else (MLflow builds whatever class the file names).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from pyfunc_core.errors import ModelLoadError
from pyfunc_core.formats import ModelFormat, Safety

BOOSTER = "xgboost.core.Booster"


class XGBoostFile(ModelFormat):
    requirements = ("xgboost",)
    runs_code = False

    def __init__(self, suffix: str) -> None:
        self.suffix = suffix
        self.name = f"xgboost-{suffix}"
        self.file_name = f"model.{suffix}"
        self.description = f"XGBoost's own {suffix} model file (runs no code at load)"

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
        model = xgboost_class(model_class or BOOSTER, path)()
        model.load_model(str(path))
        return model

    def check(self, path: Path, *, trusted: Sequence[str] = (), model_class: str | None = None) -> Safety:
        name = model_class or BOOSTER
        if not name.startswith("xgboost."):
            return Safety(False, f"model_class {name!r} is not an XGBoost class")
        return Safety(True, f"XGBoost's own model file, loaded into {name}: runs no code")


def xgboost_class(name: str, path: Path) -> type:
    """The XGBoost model class ``name`` (``xgboost.sklearn.XGBClassifier``); nothing else."""
    import importlib

    import xgboost

    module, _, attr = name.rpartition(".")
    found = None
    if module == "xgboost" or module.startswith("xgboost."):
        try:
            found = getattr(importlib.import_module(module), attr, None)
        except ImportError:
            found = None
    if not (isinstance(found, type) and issubclass(found, (xgboost.Booster, xgboost.XGBModel))):
        raise ModelLoadError(
            f"Model file '{path}' names model_class {name!r}, which is not an XGBoost model class"
        )
    return found
