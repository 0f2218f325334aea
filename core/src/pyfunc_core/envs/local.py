"""The ``local`` environment manager: the current interpreter, checked against the model."""

from __future__ import annotations

import sys
from importlib import metadata
from typing import TYPE_CHECKING

from pyfunc_core.envs.base import Environment, EnvironmentManager, Reporter, stderr_reporter

if TYPE_CHECKING:
    from pyfunc_core.model.mlmodel import ModelDirectory


class LocalEnvironmentManager(EnvironmentManager):
    """Serve from the current environment; report requirements it does not satisfy."""

    name = "local"

    def prepare(self, model_dir: ModelDirectory, *, reporter: Reporter = stderr_reporter) -> Environment:
        for problem in unmet_requirements(model_dir.requirements()):
            reporter(f"warning: {problem}")
        return Environment(manager=self.name, python=sys.executable)


def unmet_requirements(requirements: list[str]) -> list[str]:
    """Human-readable mismatches between ``requirements`` and what is installed here."""
    from packaging.requirements import InvalidRequirement, Requirement

    problems = []
    for line in requirements:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker is not None and not req.marker.evaluate():
            continue
        try:
            installed = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            problems.append(f"the model requires {line}, which is not installed")
            continue
        if req.specifier and not req.specifier.contains(installed, prereleases=True):
            problems.append(f"the model requires {line}, but {req.name} {installed} is installed")
    return problems
