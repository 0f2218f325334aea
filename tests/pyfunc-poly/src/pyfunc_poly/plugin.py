"""The entry point pyfunc-core imports at start-up: keep it cheap (no numpy here)."""

from __future__ import annotations

from pyfunc_core import hookimpl
from pyfunc_core.registry import Flavor


@hookimpl
def register_flavors(registry):
    registry.add(
        Flavor(
            name="poly",
            load="pyfunc_poly:load",  # imported when a poly model is first loaded
            loader_modules=("pyfunc_poly",),
            requirements=("numpy>=1.23",),
            description="numpy polynomials",
        )
    )
