"""The entry-point module: registers the ``sklearn`` flavor. Imports no scikit-learn."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyfunc_core import hookimpl
from pyfunc_core.registry import Flavor
from pyfunc_sklearn.constants import FLAVOR_NAME, LOADER_MODULES, SERIALIZATION_FORMATS, SKLEARN_REQUIREMENT

if TYPE_CHECKING:
    from pyfunc_core.model import ModelDirectory
    from pyfunc_core.registry import FlavorRegistry, ModelFile
    from pyfunc_sklearn.predictor import SklearnPredictor


def _load(model_dir: ModelDirectory) -> SklearnPredictor:
    from pyfunc_sklearn.load import load_predictor

    return load_predictor(model_dir)


def _model_file(model_dir: ModelDirectory) -> ModelFile | None:
    from pyfunc_sklearn.serialization import model_file

    return model_file(model_dir)


@hookimpl
def register_flavors(registry: FlavorRegistry) -> None:
    registry.add(
        Flavor(
            name=FLAVOR_NAME,
            load=_load,
            loader_modules=LOADER_MODULES,
            requirements=(SKLEARN_REQUIREMENT,),
            description="scikit-learn estimators and pipelines (cloudpickle, pickle, skops)",
            formats=SERIALIZATION_FORMATS,
            model_file=_model_file,
        )
    )
