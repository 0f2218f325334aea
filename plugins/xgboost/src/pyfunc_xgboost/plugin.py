"""The entry-point module: the ``xgboost`` flavor and XGBoost's own model files. Imports no xgboost."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyfunc_core import hookimpl
from pyfunc_core.registry import Flavor
from pyfunc_xgboost import FLAVOR_NAME, LOADER_MODULES, MODEL_FORMATS, XGBOOST_REQUIREMENT
from pyfunc_xgboost.native import XGBoostFile

if TYPE_CHECKING:
    from pyfunc_core.registry import FlavorRegistry, FormatRegistry


@hookimpl
def register_flavors(registry: FlavorRegistry) -> None:
    registry.add(
        Flavor(
            name=FLAVOR_NAME,
            load="pyfunc_xgboost.flavor:load_predictor",
            loader_modules=LOADER_MODULES,
            requirements=(XGBOOST_REQUIREMENT,),
            description="XGBoost boosters and scikit-learn-API estimators",
            # XGBoost predicts in OpenMP parallel regions; GNU libgomp's pool does not survive fork.
            fork_safe=False,
            formats=tuple(f"xgboost-{f}" for f in MODEL_FORMATS),
            model_file="pyfunc_xgboost.flavor:model_file",
        )
    )


@hookimpl
def register_formats(registry: FormatRegistry) -> None:
    for suffix in MODEL_FORMATS:
        registry.add(XGBoostFile(suffix))
