"""Core-owned registries that plugins add their pieces to.

Plugins never return lists from hooks: they call ``registry.add(item)``. The registry
validates the item, refuses a name that another plugin already took, and remembers which
plugin contributed it (``pyfunc-core plugins`` shows that).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Generic, Iterator, Protocol, TypeVar

from pyfunc_core.errors import PluginError

__all__ = [
    "CodecRegistry",
    "CommandRegistry",
    "EnvManager",
    "EnvManagerRegistry",
    "Flavor",
    "FlavorRegistry",
    "FormatRegistry",
    "LazyCallable",
    "ModelFile",
    "Predictor",
    "Registry",
    "ServeOptions",
    "Server",
    "ServerOption",
    "ServerRegistry",
]

if TYPE_CHECKING:
    import click

    from pyfunc_core.codecs.base import Codec
    from pyfunc_core.envs.base import EnvironmentManager
    from pyfunc_core.formats.base import ModelFormat
    from pyfunc_core.model.mlmodel import ModelDirectory


class Predictor(Protocol):
    """What a flavor's loader returns: anything with ``predict(data, params=None)``.

    Optional attributes servers read: ``row_independent`` (True: each output row depends only
    on its input row and the params, so requests may be concatenated into one call and the
    result split by rows; a server merges only predictors that say so), ``raw_model``,
    ``predict_stream``, and ``outputs()`` / ``predict_output()`` for named outputs.
    """

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any: ...


@dataclass(frozen=True)
class ModelFile:
    """Where a model directory keeps its native model, in which registered format, and the
    extra types ``MLmodel`` trusts (skops); what ``Flavor.model_file`` returns."""

    path: Path
    format: str
    trusted: tuple[str, ...] = ()
    model_class: str | None = None


@dataclass(frozen=True)
class Flavor:
    """A kind of native model that can be loaded from a model directory.

    ``name`` is the flavor's key in ``MLmodel`` (``sklearn``); ``load`` turns a
    :class:`~pyfunc_core.model.mlmodel.ModelDirectory` into a :class:`Predictor`;
    ``loader_modules`` are the ``python_function.loader_module`` values this flavor
    answers for (ours and MLflow's); ``requirements`` are the framework versions the
    plugin supports (``"scikit-learn>=1.2"``), checked from installed metadata before
    loading. ``fork_safe`` says whether a loaded model may be shared with processes forked
    after loading; servers with several workers then load it once before forking (faster
    start, shared memory). Set it to ``False`` when the framework starts native threads or
    device contexts at load (TensorFlow), or runs OpenMP parallel regions (XGBoost,
    LightGBM: GNU libgomp's thread pool does not survive a fork), so each worker loads its
    own copy. ``formats`` names the registered model formats the flavor writes, and
    ``model_file(model_dir)`` says which file and format a directory uses (``pyfunc-core
    info`` shows it and runs the format's safety check), or None when it cannot tell.

    ``load`` and ``model_file`` may be ``"package.module:function"`` strings: the core
    imports the function on first use, so the plugin's entry point stays light.
    """

    name: str
    load: Callable[[ModelDirectory], Predictor] | str
    loader_modules: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    description: str = ""
    fork_safe: bool = True
    formats: tuple[str, ...] = ()
    model_file: Callable[[ModelDirectory], ModelFile | None] | str | None = None


@dataclass(frozen=True)
class EnvManager:
    """An environment manager: ``factory()`` returns an ``EnvironmentManager``; ``factory``
    may be a ``"package.module:Class"`` string, imported on first use."""

    name: str
    factory: Callable[[], EnvironmentManager] | str
    description: str = ""


@dataclass
class ServeOptions:
    """What ``pyfunc-core serve`` parsed, handed to a server plugin: the model and where to
    bind are the core's; every option a server declares (:class:`ServerOption`) is in
    ``extra``, which the server reads (or turns into a typed view of its own)."""

    model_path: Path
    name: str
    host: str = "127.0.0.1"
    port: int = 5000
    debug: bool = False
    #: Values of the servers' own options, by ``ServerOption.dest`` (defaults included).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ServerOption:
    """A ``pyfunc-core serve`` option that a server declares (``--grpc-port``); its value is
    parsed into ``ServeOptions.extra[dest]`` (``None`` when not given and no default).

    ``type`` is ``int``, ``float``, ``str`` or ``bool`` (a flag); ``short`` an optional
    one-letter alias (``-w``); ``min`` a lower bound for numbers."""

    flag: str
    type: type = str
    default: Any = None
    help: str = ""
    short: str = ""
    min: float | None = None

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class Server:
    """A model server: ``serve(options)`` runs until shut down and returns an exit code.

    ``options`` are the ``serve`` options it understands beyond the model and the address
    (workers, timeouts...): every installed server's are offered, and each server reads its
    own from ``ServeOptions.extra``. ``serve`` may be a ``"package.module:function"``
    string, imported on first use."""

    name: str
    serve: Callable[[ServeOptions], int] | str
    description: str = ""
    options: tuple[ServerOption, ...] = ()


class LazyCallable:
    """A ``"package.module:function"`` reference that a plugin registered instead of a
    function; imported on first call. A reference that does not resolve is a
    :class:`PluginError` naming the plugin."""

    def __init__(self, reference: str, plugin: str, role: str) -> None:
        module, sep, attr = reference.partition(":")
        if not (sep and module and attr) or not all(
            p.isidentifier() for p in (*module.split("."), *attr.split("."))
        ):
            raise PluginError(f"{role} {reference!r} is not a 'package.module:function' reference")
        self.reference, self.plugin, self.role = reference, plugin, role
        self._target: Callable[..., Any] | None = None

    def resolve(self) -> Callable[..., Any]:
        """The referenced function (imported once)."""
        if self._target is None:
            from importlib import import_module

            module, _, attr = self.reference.partition(":")
            problem = f"plugin {self.plugin!r}: {self.role} {self.reference!r}"
            try:
                target: Any = import_module(module)
            except ModuleNotFoundError as exc:
                if exc.name and (module == exc.name or module.startswith(exc.name + ".")):
                    raise PluginError(f"{problem} names a module that does not exist") from None
                raise  # the module exists but needs something missing: its own error says what
            for part in attr.split("."):
                target = getattr(target, part, None)
            if not callable(target):
                raise PluginError(f"{problem}: {module} has no callable {attr!r}")
            self._target = target
        return self._target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"LazyCallable({self.reference!r})"


T = TypeVar("T")
R = TypeVar("R")


def resolved(ref: Callable[..., R] | str) -> Callable[..., R]:
    """A registered item's function field as a callable. Registries turn reference strings
    into :class:`LazyCallable` s when the item is added, so a string here is an item that was
    never registered."""
    if isinstance(ref, str):
        raise PluginError(f"{ref!r} was called before its item was registered")
    return ref


class Registry(Generic[T]):
    """Named items with the plugin that provided each; duplicates are refused."""

    kind = "item"
    #: Fields of an item that may be ``"package.module:function"`` references.
    references: tuple[str, ...] = ()

    def __init__(self) -> None:
        self._items: dict[str, T] = {}
        self._providers: dict[str, str] = {}
        self.current_plugin = "pyfunc-core"

    def _key(self, item: T) -> str:
        return item.name  # type: ignore[attr-defined]

    def _validate(self, item: T) -> None:
        return None

    def _with_references(self, item: T) -> T:
        """``item`` with its reference strings turned into :class:`LazyCallable` s."""
        lazy = {
            name: LazyCallable(value, self.current_plugin, f"{self.kind} {self._key(item)!r} {name}")
            for name in self.references
            if isinstance(value := getattr(item, name, None), str)
        }
        return replace(item, **lazy) if lazy else item  # type: ignore[type-var]

    def add(self, item: T) -> None:
        """Register ``item``; a name already registered by any plugin is refused."""
        item = self._with_references(item)
        self._validate(item)
        key = self._key(item)
        if key in self._items:
            raise PluginError(
                f"{self.kind} {key!r} is already provided by {self._providers[key]}; "
                f"{self.current_plugin} cannot register it again"
            )
        self._items[key] = item
        self._providers[key] = self.current_plugin

    def get(self, name: str) -> T | None:
        return self._items.get(name)

    def __getitem__(self, name: str) -> T:
        return self._items[name]

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[T]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def names(self) -> list[str]:
        return list(self._items)

    def provider(self, name: str) -> str:
        """The plugin (entry-point name, or ``pyfunc-core``) that registered ``name``."""
        return self._providers[name]

    def provided_by(self, plugin: str) -> list[str]:
        return [k for k, p in self._providers.items() if p == plugin]

    def discard_plugin(self, plugin: str) -> None:
        """Forget everything ``plugin`` registered (used when its registration fails)."""
        for key in self.provided_by(plugin):
            del self._items[key]
            del self._providers[key]


class FlavorRegistry(Registry[Flavor]):
    kind = "flavor"
    references = ("load", "model_file")

    def _validate(self, item: Flavor) -> None:
        if not isinstance(item, Flavor) or not callable(item.load):
            raise PluginError(f"{self.current_plugin}: register_flavors must add Flavor objects")
        from packaging.requirements import InvalidRequirement, Requirement

        for line in item.requirements:  # checked at every load: refuse a typo now, not then
            try:
                Requirement(line)
            except InvalidRequirement as exc:
                raise PluginError(
                    f"flavor {item.name!r} has an invalid requirement {line!r}: {exc}"
                ) from None

    def by_loader_module(self, loader_module: str) -> Flavor | None:
        """The flavor that answers for an ``MLmodel``'s ``python_function.loader_module``:
        the first whose ``loader_modules`` list it, else, for ``mlflow.<name>``, the flavor
        registered under ``<name>`` (MLflow names its flavor modules after the flavor)."""
        for flavor in self._items.values():
            if loader_module in flavor.loader_modules:
                return flavor
        if loader_module.startswith("mlflow."):  # MLflow's flavor modules are named after the flavor
            return self._items.get(loader_module[len("mlflow.") :])
        return None


class FormatRegistry(Registry["ModelFormat"]):
    """Model formats keyed by name (``skops``), the ``serialization_format`` flavors record."""

    kind = "model format"

    def _validate(self, item: ModelFormat) -> None:
        from pyfunc_core.formats.base import ModelFormat

        if not isinstance(item, ModelFormat) or not item.name:
            raise PluginError(
                f"{self.current_plugin}: register_formats must add named pyfunc_core.formats.ModelFormat instances"
            )


class EnvManagerRegistry(Registry[EnvManager]):
    kind = "environment manager"
    references = ("factory",)

    def _validate(self, item: EnvManager) -> None:
        if not isinstance(item, EnvManager) or not callable(item.factory):
            raise PluginError(f"{self.current_plugin}: register_env_managers must add EnvManager objects")


class ServerRegistry(Registry[Server]):
    kind = "server"
    references = ("serve",)

    def _validate(self, item: Server) -> None:
        if not isinstance(item, Server) or not callable(item.serve):
            raise PluginError(f"{self.current_plugin}: register_servers must add Server objects")


class CodecRegistry(Registry["Codec"]):
    """Codecs keyed by every content type they decode (``application/json``)."""

    kind = "codec"

    def add(self, item: Codec) -> None:
        from pyfunc_core.codecs.base import Codec

        if not isinstance(item, Codec) or not item.content_types:
            raise PluginError(
                f"{self.current_plugin}: register_codecs must add Codec instances that declare content_types"
            )
        for content_type in item.content_types:
            if content_type.lower() in self._items:
                raise PluginError(
                    f"codec for {content_type.lower()!r} is already provided by "
                    f"{self._providers[content_type.lower()]}; {self.current_plugin} cannot "
                    "register it again"
                )
        for content_type in item.content_types:
            self._items[content_type.lower()] = item
            self._providers[content_type.lower()] = self.current_plugin

    def for_content_type(self, mime_type: str) -> Codec | None:
        return self._items.get(mime_type.lower())


class CommandRegistry(Registry["click.Command"]):
    kind = "command"

    def _validate(self, item: click.Command) -> None:
        import click

        if not isinstance(item, click.Command) or not item.name:
            raise PluginError(
                f"{self.current_plugin}: register_commands must add named click.Command objects"
            )
