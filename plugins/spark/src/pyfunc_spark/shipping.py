"""Shipping a model directory to executors through Spark itself (``addArchive``)."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyfunc_core.errors import ModelLoadError


@dataclass(frozen=True)
class ShippedModel:
    """Where executors find the model: ``SparkFiles.get(archive_name)`` is the unpacked directory."""

    archive_name: str
    driver_path: str

    def local_path(self) -> Path:
        """The unpacked model directory on this executor."""
        from pyspark import SparkFiles

        path = Path(SparkFiles.get(self.archive_name))
        if not (path / "MLmodel").is_file():
            raise ModelLoadError(
                f"The model archive {self.archive_name} (from {self.driver_path}) is not unpacked on "
                f"this executor at {path}: was the UDF built with another SparkContext?"
            )
        return path


def ship_model(spark: Any, model_dir: Path) -> ShippedModel:
    """Archive ``model_dir`` and register it with ``SparkContext.addArchive``.

    The archive name carries a digest of the directory's contents, so shipping the same
    model twice reuses the registration and executors' model caches, while a changed
    model at the same path is a new archive.
    """
    digest = _digest(model_dir)
    name = f"pyfunc-model-{digest}.tar.gz"
    context = spark.sparkContext
    staging = Path(tempfile.gettempdir()) / "pyfunc-spark" / digest
    archive = staging / name
    if not archive.is_file():
        staging.mkdir(parents=True, exist_ok=True)
        base = shutil.make_archive(str(staging / f"build-{os.getpid()}"), "gztar", root_dir=str(model_dir))
        os.replace(base, archive)
    already = {Path(p).name for p in _listed_archives(context)}
    if name not in already:
        context.addArchive(str(archive))
    return ShippedModel(archive_name=name, driver_path=str(model_dir))


def _listed_archives(context: Any) -> list[str]:
    try:
        return list(context.listArchives)
    except Exception:  # older pyspark has no listArchives
        return []


def _digest(model_dir: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(model_dir.rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(model_dir)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]
