"""Loading a model directory: find its flavor among the plugins and wrap it."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from pyfunc_core.errors import MissingFlavorError, ModelLoadError, PyfuncError
from pyfunc_core.model.mlmodel import ModelDirectory
from pyfunc_core.model.pyfunc_model import PyFuncModel
from pyfunc_core.plugins import Plugins, get_plugins
from pyfunc_core.registry import Flavor

#: loader_module -> distribution to install, for flavors that no installed plugin provides.
KNOWN_DISTRIBUTIONS = {
    "mlflow.sklearn": "pyfunc-sklearn",
    "mlflow.tensorflow": "pyfunc-tensorflow",
    "mlflow.keras": "pyfunc-tensorflow",
    "mlflow.pyfunc.model": "pyfunc-core",
}


def load_model(path: str | Path, *, plugins: Plugins | None = None) -> PyFuncModel:
    """Load the model directory at ``path`` as a :class:`PyFuncModel`."""
    model_dir = ModelDirectory.open(path)
    plugins = plugins or get_plugins()
    flavor = resolve_flavor(model_dir, plugins)
    _check_framework(flavor, plugins)
    _add_code_paths(model_dir)
    try:
        predictor = flavor.load(model_dir)
    except PyfuncError:
        raise
    except Exception as exc:
        raise ModelLoadError(
            f"Failed to load model '{model_dir.path}' with the {flavor.name} flavor: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    return PyFuncModel(model_dir, predictor, flavor)


def resolve_flavor(model_dir: ModelDirectory, plugins: Plugins) -> Flavor:
    """The registered flavor that loads ``model_dir``, or a one-line install hint."""
    loader = model_dir.loader_module
    flavor = plugins.pm.hook.select_flavor(model=model_dir, registry=plugins.flavors)
    if flavor is not None:
        return flavor
    dist = install_hint(loader)
    raise MissingFlavorError(
        f"No installed plugin loads models of loader_module '{loader}': pip install {dist}",
        distribution=dist,
    )


def install_hint(loader_module: str) -> str:
    """The distribution that (by our naming convention) provides ``loader_module``."""
    if loader_module in KNOWN_DISTRIBUTIONS:
        return KNOWN_DISTRIBUTIONS[loader_module]
    top = loader_module.split(".")[-1] if loader_module.startswith("mlflow.") else loader_module.split(".")[0]
    if top.startswith("pyfunc_"):
        top = top[len("pyfunc_") :]
    return "pyfunc-" + top.replace("_", "-")


def _check_framework(flavor: Flavor, plugins: Plugins) -> None:
    """Refuse early, from metadata, when the flavor's framework is missing or unsupported."""
    from packaging.requirements import Requirement

    for line in flavor.requirements:
        req = Requirement(line)
        try:
            installed = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            raise ModelLoadError(
                f"The {flavor.name} flavor needs {req.name}, which is not installed: pip install '{line}'"
            ) from None
        if req.specifier and not req.specifier.contains(installed, prereleases=True):
            provider = plugins.distribution_of(plugins.flavors.provider(flavor.name))
            raise ModelLoadError(f"{provider} supports {line}, but {req.name} {installed} is installed")


def _add_code_paths(model_dir: ModelDirectory) -> None:
    code = model_dir.pyfunc_conf.get("code")
    if not code:
        return
    code_dir = str(model_dir.file(code, what="code directory"))
    if code_dir not in sys.path:
        sys.path.insert(0, code_dir)
