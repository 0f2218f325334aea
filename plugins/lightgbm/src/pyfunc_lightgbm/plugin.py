"""The entry-point module: the ``lightgbm`` flavor and LightGBM's text model file. Imports no lightgbm."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyfunc_core import hookimpl
from pyfunc_core.registry import Flavor
from pyfunc_lightgbm import (
    BOOSTER_FORMAT,
    FLAVOR_NAME,
    LIGHTGBM_REQUIREMENT,
    LOADER_MODULES,
    SERIALIZATION_FORMATS,
)
from pyfunc_lightgbm.native import LightGBMText

if TYPE_CHECKING:
    from pyfunc_core.registry import FlavorRegistry, FormatRegistry


@hookimpl
def register_flavors(registry: FlavorRegistry) -> None:
    registry.add(
        Flavor(
            name=FLAVOR_NAME,
            load="pyfunc_lightgbm.flavor:load_predictor",
            loader_modules=LOADER_MODULES,
            requirements=(LIGHTGBM_REQUIREMENT,),
            description="LightGBM boosters and scikit-learn-API estimators",
            # LightGBM parses model files and predicts in OpenMP parallel regions; GNU
            # libgomp's thread pool does not survive fork.
            fork_safe=False,
            formats=(BOOSTER_FORMAT, *SERIALIZATION_FORMATS),
            model_file="pyfunc_lightgbm.flavor:model_file",
        )
    )


@hookimpl
def register_formats(registry: FormatRegistry) -> None:
    registry.add(LightGBMText())
