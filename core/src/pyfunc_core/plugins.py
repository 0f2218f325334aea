"""Plugin discovery: entry points loaded one at a time into one pluggy manager.

Environment variables:

``PYFUNC_CORE_PLUGINS``
    Unset: load every installed plugin. Empty: load none (only the core's built-ins),
    which rescues a broken install. Otherwise a comma-separated allow-list of entry-point
    or distribution names (case, ``-``, ``_`` and ``.`` do not matter: ``scoring-server``
    allows the ``scoring_server`` entry point).
``PYFUNC_CORE_STRICT_PLUGINS``
    ``1`` makes a broken plugin fatal instead of logged, for plugin development.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

import pluggy

from pyfunc_core import hookspecs
from pyfunc_core._version import __version__
from pyfunc_core.errors import PluginError
from pyfunc_core.registry import (
    CodecRegistry,
    CommandRegistry,
    EnvManagerRegistry,
    FlavorRegistry,
    FormatRegistry,
    Registry,
    ServerRegistry,
)

# The stdlib's entry_points() takes ``group=`` from Python 3.10 on; before that, the backport.
if sys.version_info >= (3, 10):
    from importlib import metadata
else:
    import importlib_metadata as metadata

__all__ = ["PluginInfo", "Plugins", "get_plugins", "metadata", "reset_plugins"]

logger = logging.getLogger("pyfunc_core.plugins")

ENV_ALLOW_LIST = "PYFUNC_CORE_PLUGINS"
ENV_STRICT = "PYFUNC_CORE_STRICT_PLUGINS"
CORE_DISTRIBUTION = "pyfunc-core"

OK, BROKEN, REFUSED, DISABLED = "ok", "broken", "refused", "disabled"


@dataclass
class PluginInfo:
    """One plugin as ``pyfunc-core plugins`` shows it."""

    name: str
    distribution: str
    version: str
    status: str = OK
    error: str = ""
    provides: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "status": self.status,
            "error": self.error,
            "provides": self.provides,
        }


class Plugins:
    """The loaded plugins and the registries they filled."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.flavors = FlavorRegistry()
        self.formats = FormatRegistry()
        self.env_managers = EnvManagerRegistry()
        self.codecs = CodecRegistry()
        self.servers = ServerRegistry()
        self.commands = CommandRegistry()
        self.infos: list[PluginInfo] = []

    @property
    def registries(self) -> dict[str, tuple[str, Registry[Any]]]:
        """Hook name -> (label in listings, registry)."""
        return {
            "register_flavors": ("flavors", self.flavors),
            "register_formats": ("formats", self.formats),
            "register_env_managers": ("env_managers", self.env_managers),
            "register_codecs": ("codecs", self.codecs),
            "register_servers": ("servers", self.servers),
            "register_commands": ("commands", self.commands),
        }

    # -- loading ----------------------------------------------------------------------

    def load(self, *, entry_points: bool = True) -> Plugins:
        from pyfunc_core import builtin

        self.add_plugin(builtin, name="pyfunc-core", distribution=CORE_DISTRIBUTION, version=__version__)
        if entry_points:
            self._load_entry_points()
        return self

    def _load_entry_points(self) -> None:
        allow = os.environ.get(ENV_ALLOW_LIST)
        allowed = None if allow is None else {_fold(a) for a in allow.split(",") if a.strip()}
        seen: dict[str, str] = {}
        for ep in sorted(_entry_points(), key=lambda e: e.name):
            dist = getattr(ep, "dist", None)
            dist_name = dist.metadata["Name"] if dist is not None else "?"
            version = dist.version if dist is not None else "?"
            info = PluginInfo(ep.name, dist_name, version)
            if ep.name in seen:  # the same distribution found twice on sys.path is not a clash
                if seen[ep.name] != dist_name:
                    self._fail(
                        info, BROKEN, f"entry point name {ep.name!r} is already used by {seen[ep.name]}"
                    )
                continue
            seen[ep.name] = dist_name
            if allowed is not None and not ({_fold(ep.name), _fold(dist_name)} & allowed):
                info.status = DISABLED
                info.error = _disabled_reason(ep.name, allow or "")
                self.infos.append(info)
                continue
            refusal = _incompatible_core(dist) if dist is not None else None
            if refusal:
                self._fail(info, REFUSED, refusal)
                continue
            try:
                module = ep.load()
            except Exception as exc:  # any import-time failure is the plugin's, not ours
                self._fail(info, BROKEN, f"import failed: {type(exc).__name__}: {exc}")
                continue
            self.add_plugin(module, name=ep.name, distribution=dist_name, version=version, info=info)

    def add_plugin(
        self,
        plugin: object,
        *,
        name: str,
        distribution: str | None = None,
        version: str = "",
        info: PluginInfo | None = None,
    ) -> PluginInfo:
        """Register one plugin object and run its registration hooks.

        Public so tests (and embedding applications) can add a plugin defined in code.

        The ``register_*`` hooks run plugin by plugin, through pluggy's
        ``subset_hook_caller`` limited to this plugin, so a failure discards only what it
        registered and each registry knows which plugin added what. Pluggy validates and
        calls them (``optionalhook`` and the plugin's own wrappers apply), but
        ``tryfirst``/``trylast`` do not order one plugin's registration against another's,
        and another plugin's wrapper does not wrap it. ``select_flavor`` is called through
        ``pm.hook`` over every plugin, with pluggy's ordering.
        """
        info = info or PluginInfo(name, distribution or name, version)
        try:
            self.pm.register(plugin, name=name)
            try:  # plugins before this one passed, so what is pending is this one's
                self.pm.check_pending()
            except pluggy.PluginValidationError:
                unknown = {c.name for c in self.pm.get_hookcallers(plugin) or () if not c.has_spec()}
                self.pm.unregister(plugin)
                raise PluginError(f"implements unknown hooks: {', '.join(sorted(unknown))}") from None
        except (pluggy.PluginValidationError, PluginError, ValueError) as exc:
            if self.pm.get_plugin(name) is plugin:  # pluggy < 1.7 keeps a plugin that failed validation
                self.pm.unregister(plugin)
            self._fail(info, BROKEN, f"invalid hook implementation: {exc}")
            return info
        others = [p for p in self.pm.get_plugins() if p is not plugin]
        for hook_name, (label, registry) in self.registries.items():
            call = self.pm.subset_hook_caller(hook_name, remove_plugins=others)
            registry.current_plugin = name
            try:
                call(registry=registry)  # an implementation may omit the argument (pluggy allows it)
            except Exception as exc:
                for _, other in self.registries.values():
                    other.discard_plugin(name)
                self.pm.unregister(name=name)
                self._fail(info, BROKEN, f"{hook_name} failed: {type(exc).__name__}: {exc}")
                return info
            finally:
                registry.current_plugin = CORE_DISTRIBUTION
            provided = registry.provided_by(name)
            if provided:
                info.provides[label] = sorted(set(provided))
        if info.provides.get("codecs"):
            info.provides["codecs"] = sorted(info.provides["codecs"])
        self.infos.append(info)
        return info

    def _fail(self, info: PluginInfo, status: str, error: str) -> None:
        info.status, info.error = status, error
        self.infos.append(info)
        message = f"plugin {info.name!r} ({info.distribution} {info.version}) {status}: {error}"
        if os.environ.get(ENV_STRICT) == "1":
            raise PluginError(message)
        logger.warning(message)

    # -- queries ---------------------------------------------------------------------

    def info(self, name: str) -> PluginInfo | None:
        return next((i for i in self.infos if i.name == name), None)

    def distribution_of(self, plugin_name: str) -> str:
        info = self.info(plugin_name)
        return info.distribution if info else plugin_name


def _fold(name: str) -> str:
    """A plugin or distribution name as the allow-list compares it: ``Scoring_Server`` is
    ``scoring-server`` (PEP 503 normalization, as pip compares distribution names)."""
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


def _disabled_reason(name: str, allow: str) -> str:
    """Why plugin ``name`` is disabled by the allow-list ``allow``, and how to enable it."""
    enabled = [a.strip() for a in allow.split(",") if a.strip()]
    return (
        f"disabled by {ENV_ALLOW_LIST}={allow!r}; enable it with {ENV_ALLOW_LIST}="
        f"{','.join([*enabled, name])}, or unset {ENV_ALLOW_LIST} to load every plugin"
    )


def _entry_points() -> list[metadata.EntryPoint]:
    return list(metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP))


def _incompatible_core(dist: metadata.Distribution) -> str | None:
    """Why ``dist`` cannot run on this core, read from its metadata before importing it."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    for line in dist.requires or []:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if canonicalize_name(req.name) != CORE_DISTRIBUTION:
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue  # an optional extra's requirement, or one for another platform
        if req.specifier and not req.specifier.contains(Version(__version__), prereleases=True):
            return (
                f"{dist.metadata['Name']} {dist.version} requires {CORE_DISTRIBUTION}"
                f"{req.specifier}, but {CORE_DISTRIBUTION} {__version__} is installed"
            )
    return None


_lock = threading.Lock()
_plugins: Plugins | None = None


def get_plugins() -> Plugins:
    """The process-wide plugins, loaded on first use."""
    global _plugins
    with _lock:
        if _plugins is None:
            _plugins = Plugins().load()
        return _plugins


def reset_plugins(plugins: Plugins | None = None) -> None:
    """Replace (or forget) the process-wide plugins; for tests and embedding."""
    global _plugins
    with _lock:
        _plugins = plugins
