"""``cloudpickle``: pickle that also writes functions and classes by value (lambdas, classes
defined in ``__main__``). Reading it runs any code it holds."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Mapping, Sequence

from pyfunc_core.formats.base import ModelFormat


class CloudpickleFormat(ModelFormat):
    name = "cloudpickle"
    file_name = "model.pkl"
    requirements = ("cloudpickle",)
    description = "cloudpickle (runs code at load: trusted sources only)"

    def _dump(self, obj: Any, path: Path, trusted: Sequence[str] | None) -> None:
        import cloudpickle

        # The default protocol (not cloudpickle's newest) keeps older Pythons able to read it.
        with open(path, "wb") as f:
            cloudpickle.dump(obj, f, protocol=pickle.DEFAULT_PROTOCOL)

    def _read(
        self,
        path: Path,
        trusted: tuple[str, ...],
        model_class: str | None,
        saved_with: Mapping[str, str],
        trust_hint: str | None,
    ) -> Any:
        import cloudpickle

        with open(path, "rb") as f:
            return cloudpickle.load(f)
