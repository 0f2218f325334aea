"""``pickle``: the standard library's pickle. Reading a pickle runs any code it holds."""

from __future__ import annotations

import pickle
from pathlib import Path
from types import ModuleType
from typing import Any, Mapping, Sequence

from pyfunc_core.formats.base import ModelFormat


class PickleFormat(ModelFormat):
    name = "pickle"
    file_name = "model.pkl"
    description = "Python's pickle (runs code at load: trusted sources only)"

    def _pickler(self) -> ModuleType:
        """The module whose ``dump`` and ``load`` write and read the file."""
        return pickle

    def _dump(self, obj: Any, path: Path, trusted: Sequence[str] | None) -> None:
        # The default protocol (not the newest) keeps older Pythons able to read the file.
        with open(path, "wb") as f:
            self._pickler().dump(obj, f, protocol=pickle.DEFAULT_PROTOCOL)

    def _read(
        self,
        path: Path,
        trusted: tuple[str, ...],
        model_class: str | None,
        saved_with: Mapping[str, str],
        trust_hint: str | None,
    ) -> Any:
        with open(path, "rb") as f:
            return self._pickler().load(f)
