"""The model-format contract: how a native object is written to one file and read back.

A :class:`ModelFormat` is registered through the ``register_formats`` hook and named by
flavors (``serialization_format: skops`` in ``MLmodel``). Every read failure is a one-line
:class:`~pyfunc_core.errors.ModelLoadError` naming the file and the cause, so a flavor built
on a format needs no serialization or error-handling code of its own.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping, Sequence

from pyfunc_core.errors import ModelLoadError, first_line


@dataclass(frozen=True)
class Safety:
    """A format's verdict on one model file, without loading it.

    ``passed`` is True when loading constructs only trusted types, False when the file would
    be refused, None when the format cannot check (a pickle can run any code it holds).
    """

    passed: bool | None
    detail: str


class ModelFormat(ABC):
    """Base class of model formats; subclasses set the class attributes and ``_dump``/``_read``.

    ``name`` is the format's key (the ``serialization_format`` flavors write in ``MLmodel``),
    ``file_name`` the file MLflow writes for it, ``requirements`` the distributions a model
    in this format needs besides its framework (pinned into ``requirements.txt`` by
    ``save_model_directory``), and ``runs_code`` whether reading a file can run code from it.
    """

    name: str = ""
    file_name: str = "model.bin"
    requirements: tuple[str, ...] = ()
    runs_code: bool = True
    description: str = ""

    # -- what flavors call ----------------------------------------------------------------

    def save(self, obj: Any, path: Path, *, trusted: Sequence[str] | None = None) -> None:
        """Write ``obj`` to ``path``. ``trusted`` is the list of extra types a format with a
        safety check must accept at load (skops); others refuse it."""
        from pyfunc_core.errors import InvalidParameterError

        if trusted is not None and not self.checks_types:
            raise InvalidParameterError(f"trusted types apply only to skops, not to the {self.name} format")
        self._dump(obj, Path(path), trusted)

    def load(
        self,
        path: Path,
        *,
        trusted: Sequence[str] = (),
        model_class: str | None = None,
        saved_with: Mapping[str, str] | None = None,
        trust_hint: str | None = None,
    ) -> Any:
        """Read the object in ``path``.

        ``trusted`` lists types to trust beyond the format's defaults (skops), ``model_class``
        the class ``MLmodel`` records (native formats build it), ``saved_with`` the
        framework versions that wrote the file (``{"scikit-learn": "1.5.2"}``: a failure then
        names both versions) and ``trust_hint`` how the flavor's users trust more types.
        """
        path = Path(path)
        try:
            return self._read(path, tuple(trusted), model_class, saved_with or {}, trust_hint)
        except ModelLoadError:
            raise
        except Exception as exc:
            raise read_error(path, self.name, exc, saved_with or {}) from exc

    def check(self, path: Path, *, trusted: Sequence[str] = (), model_class: str | None = None) -> Safety:
        """Whether loading ``path`` is safe, decided without loading it."""
        return Safety(None, f"loading a {self.name} file runs any code it holds: load only models you trust")

    def versions(self) -> dict[str, str]:
        """The installed versions of :attr:`requirements`, as a flavor records them."""
        found = {}
        for dist in self.requirements:
            try:
                found[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                continue
        return found

    @property
    def checks_types(self) -> bool:
        return False

    # -- what subclasses implement --------------------------------------------------------

    @abstractmethod
    def _dump(self, obj: Any, path: Path, trusted: Sequence[str] | None) -> None:
        """Write ``obj`` to ``path`` (``trusted`` already checked against the format)."""

    @abstractmethod
    def _read(
        self,
        path: Path,
        trusted: tuple[str, ...],
        model_class: str | None,
        saved_with: Mapping[str, str],
        trust_hint: str | None,
    ) -> Any:
        """Read the file at ``path``; exceptions become one-line ModelLoadErrors in ``load``."""


def read_error(path: Path, fmt: str, exc: BaseException, saved_with: Mapping[str, str]) -> ModelLoadError:
    """One line saying why ``path`` could not be read, with the fix when there is one."""
    import pickle

    cause = f"{type(exc).__name__}: {first_line(exc)}"
    for dist, saved in saved_with.items():
        try:
            installed = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
        if saved and str(saved) != installed:
            return ModelLoadError(
                f"Model file '{path}' was saved with {dist} {saved} and cannot be loaded with the "
                f"installed {dist} {installed} ({cause}); install {dist}=={saved} or re-save the model"
            )
    if isinstance(exc, ModuleNotFoundError):
        return ModelLoadError(
            f"Unpickling model file '{path}' needs module {exc.name!r}: install it, or save the "
            "model with code_paths= pointing at that code"
        )
    if isinstance(exc, (EOFError, pickle.UnpicklingError)) or fmt == "skops":
        return ModelLoadError(
            f"Model file '{path}' is corrupted or truncated and cannot be read as {fmt}: {cause}"
        )
    return ModelLoadError(f"Model file '{path}' cannot be read as {fmt}: {cause}")
