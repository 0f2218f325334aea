"""The entry-point module: registers the ``sklearn`` flavor. Imports no scikit-learn."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyfunc_core import hookimpl
from pyfunc_core.registry import Flavor
from pyfunc_sklearn.constants import FLAVOR_NAME, LOADER_MODULES, SERIALIZATION_FORMATS, SKLEARN_REQUIREMENT

if TYPE_CHECKING:
    from pyfunc_core.registry import FlavorRegistry


@hookimpl
def register_flavors(registry: FlavorRegistry) -> None:
    registry.add(
        Flavor(
            name=FLAVOR_NAME,
            load="pyfunc_sklearn.load:load_predictor",
            loader_modules=LOADER_MODULES,
            requirements=(SKLEARN_REQUIREMENT,),
            description="scikit-learn estimators and pipelines (cloudpickle, pickle, skops)",
            formats=SERIALIZATION_FORMATS,
            model_file="pyfunc_sklearn.serialization:model_file",
        )
    )
