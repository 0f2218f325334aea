"""``cloudpickle``: pickle that also writes functions and classes by value (lambdas, classes
defined in ``__main__``). Reading it runs any code it holds."""

from __future__ import annotations

from types import ModuleType

from pyfunc_core.formats.pickle_format import PickleFormat


class CloudpickleFormat(PickleFormat):
    name = "cloudpickle"
    file_name = "model.pkl"
    requirements = ("cloudpickle",)
    description = "cloudpickle (runs code at load: trusted sources only)"

    def _pickler(self) -> ModuleType:
        import cloudpickle

        return cloudpickle
