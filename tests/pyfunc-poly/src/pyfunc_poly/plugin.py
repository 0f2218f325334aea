"""The entry point pyfunc-core imports at start-up: keep it cheap (no numpy here)."""

from __future__ import annotations

from pyfunc_core import hookimpl
from pyfunc_core.registry import Flavor


def _load(model_dir):
    from pyfunc_poly import load

    return load(model_dir)


@hookimpl
def register_flavors(registry):
    registry.add(
        Flavor(
            name="poly",
            load=_load,
            loader_modules=("pyfunc_poly",),
            requirements=("numpy>=1.23",),
            description="numpy polynomials",
        )
    )
