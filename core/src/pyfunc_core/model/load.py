"""Loading a model directory: find its flavor among the plugins and wrap it."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from pyfunc_core.errors import MissingFlavorError, ModelLoadError, PyfuncError, first_line
from pyfunc_core.model.mlmodel import ModelDirectory
from pyfunc_core.model.pyfunc_model import PyFuncModel
from pyfunc_core.plugins import DISABLED, ENV_ALLOW_LIST, OK, Plugins, get_plugins
from pyfunc_core.registry import Flavor, resolved

#: loader_module (or its top-level package) -> our own distribution that provides it. Only
#: these get a ``pip install`` hint: a name derived from any other module may not exist.
FIRST_PARTY_DISTRIBUTIONS = {
    "mlflow.sklearn": "pyfunc-sklearn",
    "pyfunc_sklearn": "pyfunc-sklearn",
    "mlflow.tensorflow": "pyfunc-tensorflow",
    "mlflow.keras": "pyfunc-tensorflow",
    "pyfunc_tensorflow": "pyfunc-tensorflow",
    "mlflow.xgboost": "pyfunc-xgboost",
    "pyfunc_xgboost": "pyfunc-xgboost",
    "mlflow.lightgbm": "pyfunc-lightgbm",
    "pyfunc_lightgbm": "pyfunc-lightgbm",
    "mlflow.pyfunc.model": "pyfunc-core",
    "pyfunc_core": "pyfunc-core",
}


@dataclass(frozen=True)
class MissingFlavor:
    """Why no plugin loads a model's ``loader_module``, and what to do about it."""

    loader_module: str
    #: "installed", "enabled" (a matching plugin is disabled) or "working" (it is broken/refused)
    qualifier: str
    remedy: str
    #: the first-party distribution to install, when that is the remedy
    pip_install: str | None = None

    @property
    def message(self) -> str:
        return (
            f"No {self.qualifier} plugin loads models of loader_module '{self.loader_module}': {self.remedy}"
        )


def load_model(path: str | Path, *, plugins: Plugins | None = None) -> PyFuncModel:
    """Load the model directory at ``path`` (or its ``MLmodel`` file) as a :class:`PyFuncModel`."""
    model_dir = ModelDirectory.open(path)
    plugins = plugins or get_plugins()
    flavor = check_loadable(model_dir, plugins)
    _add_code_paths(model_dir)
    try:
        predictor = resolved(flavor.load)(model_dir)
    except PyfuncError:
        raise
    except Exception as exc:
        raise ModelLoadError(
            f"Failed to load model '{model_dir.path}' with the {flavor.name} flavor: "
            f"{type(exc).__name__}: {first_line(exc)}"
        ) from exc
    return PyFuncModel(model_dir, predictor, flavor)


def check_loadable(model_dir: ModelDirectory, plugins: Plugins | None = None) -> Flavor:
    """The flavor that loads ``model_dir``, checked without importing it: a plugin provides
    it and the framework it needs is installed at a supported version (from metadata)."""
    plugins = plugins or get_plugins()
    flavor = resolve_flavor(model_dir, plugins)
    _check_framework(flavor, plugins)
    return flavor


def resolve_flavor(model_dir: ModelDirectory, plugins: Plugins) -> Flavor:
    """The registered flavor that loads ``model_dir``, or a one-line error saying what to do."""
    loader = model_dir.loader_module
    flavor = plugins.pm.hook.select_flavor(model=model_dir, registry=plugins.flavors)
    if flavor is not None:
        return flavor
    missing = missing_flavor(loader, plugins)
    raise MissingFlavorError(missing.message, distribution=missing.pip_install or install_hint(loader))


def missing_flavor(loader_module: str, plugins: Plugins) -> MissingFlavor:
    """What to tell a user whose model needs ``loader_module`` when no loaded plugin provides it:
    enable the disabled plugin, look at the broken one, install our distribution, or look at
    what is installed."""
    from packaging.utils import canonicalize_name

    guess = install_hint(loader_module)
    names = {guess[len("pyfunc-") :].replace("-", "_"), guess[len("pyfunc-") :]}
    for info in plugins.infos:
        if info.status == OK or not (canonicalize_name(info.distribution) == guess or info.name in names):
            continue
        who = f"plugin '{info.name}' ({info.distribution} {info.version})"
        if info.status == DISABLED:
            return MissingFlavor(loader_module, "enabled", f"{who} is {info.error}")
        return MissingFlavor(
            loader_module, "working", f"{who} is {info.status}: {info.error} (see 'pyfunc-core plugins')"
        )
    ours = first_party_distribution(loader_module)
    if ours is not None:
        return MissingFlavor(loader_module, "installed", f"pip install {ours}", ours)
    disabled = sum(1 for i in plugins.infos if i.status == DISABLED)
    remedy = "install a plugin that provides it; 'pyfunc-core plugins' lists the installed ones"
    remedy += f" ({disabled} disabled by {ENV_ALLOW_LIST})" if disabled else ""
    return MissingFlavor(loader_module, "installed", remedy)


def first_party_distribution(loader_module: str) -> str | None:
    """Our own distribution that provides ``loader_module``, if any."""
    return FIRST_PARTY_DISTRIBUTIONS.get(loader_module) or FIRST_PARTY_DISTRIBUTIONS.get(
        loader_module.split(".")[0]
    )


def install_hint(loader_module: str) -> str:
    """The distribution that provides ``loader_module`` by our naming convention (``pyfunc_poly``
    -> ``pyfunc-poly``, ``mlflow.xgboost`` -> ``pyfunc-xgboost``); only first-party names are
    known to exist (:func:`first_party_distribution`)."""
    ours = first_party_distribution(loader_module)
    if ours is not None:
        return ours
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
