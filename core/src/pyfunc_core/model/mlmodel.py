"""The ``MLmodel`` file: MLflow's model directory format, read and written."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyfunc_core.errors import ModelLoadError

if TYPE_CHECKING:
    from pyfunc_core.schema.signature import ModelSignature
    from pyfunc_core.schema.types import ParamSchema, Schema

MLMODEL_FILE = "MLmodel"
PYFUNC_FLAVOR = "python_function"


@dataclass
class ModelMeta:
    """The contents of an ``MLmodel`` file."""

    flavors: dict[str, dict[str, Any]] = field(default_factory=dict)
    signature: ModelSignature | None = None
    saved_input_example_info: dict[str, Any] | None = None
    model_uuid: str = field(default_factory=lambda: uuid.uuid4().hex)
    utc_time_created: str = field(
        default_factory=lambda: datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    )
    metadata: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pyfunc_conf(self) -> dict[str, Any] | None:
        return self.flavors.get(PYFUNC_FLAVOR)

    def get_input_schema(self) -> Schema | None:
        return self.signature.inputs if self.signature else None

    def get_output_schema(self) -> Schema | None:
        return self.signature.outputs if self.signature else None

    def get_params_schema(self) -> ParamSchema | None:
        return self.signature.params if self.signature else None

    def add_flavor(self, name: str, **conf: Any) -> None:
        self.flavors[name] = conf

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        out["flavors"] = self.flavors
        out["model_uuid"] = self.model_uuid
        out["utc_time_created"] = self.utc_time_created
        if self.signature is not None:
            out["signature"] = self.signature.to_dict()
        if self.saved_input_example_info is not None:
            out["saved_input_example_info"] = self.saved_input_example_info
        if self.metadata:
            out["metadata"] = self.metadata
        return out

    def save(self, path: str | Path) -> None:
        import yaml

        with open(Path(path) / MLMODEL_FILE, "w", encoding="utf-8") as f:
            yaml.safe_dump(self.to_dict(), f, default_flow_style=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelMeta:
        from pyfunc_core.schema.signature import ModelSignature

        data = dict(data)
        flavors = data.pop("flavors", None)
        if not isinstance(flavors, dict):
            raise ModelLoadError("MLmodel has no 'flavors' mapping")
        for name, conf in flavors.items():
            if not isinstance(conf, dict):
                raise ModelLoadError(f"MLmodel flavor {name!r} is not a mapping")
        sig = data.pop("signature", None)
        try:
            signature = ModelSignature.from_dict(sig) if sig else None
        except (ValueError, TypeError, KeyError, json.JSONDecodeError) as exc:
            raise ModelLoadError(f"MLmodel has an invalid signature: {exc}") from exc
        meta = cls(flavors=flavors, signature=signature)
        meta.saved_input_example_info = data.pop("saved_input_example_info", None)
        meta.model_uuid = str(data.pop("model_uuid", "") or "")
        meta.utc_time_created = str(data.pop("utc_time_created", "") or "")
        meta.metadata = data.pop("metadata", None)
        meta.extra = data
        return meta

    @classmethod
    def load(cls, path: str | Path) -> ModelMeta:
        """Read the ``MLmodel`` of the model directory ``path`` (or of the ``MLmodel`` file itself)."""
        import yaml

        path = locate_model_directory(path)
        file = path / MLMODEL_FILE
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelLoadError(f"MLmodel in '{path}' is not valid YAML: {first}") from exc
        if not isinstance(data, dict):
            raise ModelLoadError(f"MLmodel in '{path}' is not a YAML mapping")
        return cls.from_dict(data)


def locate_model_directory(path: str | Path) -> Path:
    """The model directory ``path`` names: the directory itself, or the one holding the
    ``MLmodel`` file ``path`` points at; anything else is a one-line ModelLoadError."""
    path = Path(path)
    if not path.exists():
        raise ModelLoadError(f"Model path '{path}' does not exist")
    if not path.is_dir():
        if path.name == MLMODEL_FILE:
            return path.parent
        beside = path.parent / MLMODEL_FILE
        hint = f": did you mean '{path.parent}'?" if beside.is_file() else ""
        raise ModelLoadError(
            f"Model path '{path}' is a file, not a model directory (a folder with an MLmodel file){hint}"
        )
    if not (path / MLMODEL_FILE).is_file():
        raise ModelLoadError(f"No MLmodel file in '{path}': not a model directory")
    return path


@dataclass
class ModelDirectory:
    """A model directory on disk, as handed to a flavor's loader."""

    path: Path
    meta: ModelMeta

    @classmethod
    def open(cls, path: str | Path) -> ModelDirectory:
        """Read the model directory ``path`` (a path to its ``MLmodel`` file works too)."""
        path = locate_model_directory(path).resolve()
        return cls(path=path, meta=ModelMeta.load(path))

    @property
    def pyfunc_conf(self) -> dict[str, Any]:
        conf = self.meta.pyfunc_conf
        if conf is None:
            flavors = ", ".join(self.meta.flavors) or "none"
            raise ModelLoadError(
                f"Model '{self.path}' has no {PYFUNC_FLAVOR} flavor (flavors: {flavors}), "
                "so it cannot be loaded as a pyfunc model"
            )
        return conf

    @property
    def loader_module(self) -> str:
        loader = self.pyfunc_conf.get("loader_module")
        if not loader:
            raise ModelLoadError(f"MLmodel in '{self.path}' has no python_function.loader_module")
        return str(loader)

    def flavor_conf(self, name: str) -> dict[str, Any]:
        """The ``flavors.<name>`` mapping, or an error naming the missing flavor."""
        conf = self.meta.flavors.get(name)
        if conf is None:
            raise ModelLoadError(f"MLmodel in '{self.path}' has no {name!r} flavor")
        return conf

    def file(self, relative: str | None, *, what: str = "model file") -> Path:
        """A path inside the model directory that must exist (e.g. ``model.pkl``)."""
        if not relative:
            raise ModelLoadError(f"MLmodel in '{self.path}' does not name its {what}")
        full = (self.path / relative).resolve()
        if self.path not in full.parents and full != self.path:
            raise ModelLoadError(f"{what} {relative!r} points outside the model directory")
        if not full.exists():
            raise ModelLoadError(f"{what} '{relative}' is missing from model directory '{self.path}'")
        return full

    @property
    def data_path(self) -> Path:
        """``python_function``'s ``model_path`` (or the older ``data``) inside the directory."""
        conf = self.pyfunc_conf
        return self.file(conf.get("model_path") or conf.get("data"))

    def requirements(self) -> list[str]:
        req = self.path / "requirements.txt"
        if not req.is_file():
            return []
        return [
            line.strip()
            for line in req.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.strip().startswith("#")
        ]
