"""The entry-point module: registers the ``tensorflow`` flavor. Imports no TensorFlow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyfunc_core import hookimpl
from pyfunc_core.registry import Flavor
from pyfunc_tensorflow.constants import FLAVOR_NAME, LOADER_MODULES

if TYPE_CHECKING:
    from pyfunc_core.registry import FlavorRegistry


@hookimpl
def register_flavors(registry: FlavorRegistry) -> None:
    registry.add(
        Flavor(
            name=FLAVOR_NAME,
            load="pyfunc_tensorflow.load:load_predictor",
            loader_modules=LOADER_MODULES,
            description="Keras 3 models and TensorFlow SavedModels",
            fork_safe=False,  # TensorFlow's runtime threads do not survive a fork
        )
    )
