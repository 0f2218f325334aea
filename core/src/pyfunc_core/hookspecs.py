"""The hook specifications: the whole contract between pyfunc-core and its plugins.

A plugin is a module (or object) exposed through the ``pyfunc_core`` entry-point group
whose functions are decorated with :data:`pyfunc_core.hookimpl`::

    # pyproject.toml
    [project.entry-points.pyfunc_core]
    xgboost = "pyfunc_xgboost.plugin"

    # pyfunc_xgboost/plugin.py
    from pyfunc_core import hookimpl
    from pyfunc_core.registry import Flavor

    @hookimpl
    def register_flavors(registry):
        registry.add(Flavor(name="xgboost", load=_load, loader_modules=("mlflow.xgboost",)))

Registration hooks receive a core-owned registry and call ``registry.add(...)``; the core
records which plugin added what, refuses duplicates, and lists everything in
``pyfunc-core plugins``. The entry-point module is imported at every start-up, so it must
be cheap: import your framework inside the functions that need it, never at module level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from pyfunc_core.model.mlmodel import ModelDirectory
    from pyfunc_core.registry import (
        CodecRegistry,
        CommandRegistry,
        EnvManagerRegistry,
        Flavor,
        FlavorRegistry,
        FormatRegistry,
        ServerRegistry,
    )

PROJECT_NAME = "pyfunc_core"
ENTRY_POINT_GROUP = "pyfunc_core"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Decorate your plugin's hook implementations with this marker.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# -- registration: called once per process, when plugins are loaded ----------------------


@hookspec
def register_flavors(registry: FlavorRegistry) -> None:
    """Add the model flavors this plugin provides with ``registry.add(Flavor(...))``.

    A :class:`~pyfunc_core.registry.Flavor` names a kind of native model (``sklearn``),
    how to load a model directory of that kind into an object with
    ``predict(data, params=None)``, and the ``loader_module`` names written in ``MLmodel``
    files that it answers for. A model whose ``loader_module`` no flavor lists but is
    ``mlflow.<name>`` goes to the flavor registered as ``<name>``, so the flavor named
    ``sklearn`` loads MLflow's ``mlflow.sklearn`` directories without listing it. Saving is a
    plain function of your package, ``save_model(model, path, ...)`` (MLflow's argument
    order), that calls :func:`pyfunc_core.model.save_model_directory`.

    The loaded predictor may declare ``row_independent = True`` when each output row depends
    only on its input row (and the params), as for the predict methods of scikit-learn,
    XGBoost, LightGBM and Keras: the scoring server then merges requests that queue up on a
    worker into one ``predict`` call by default (see :class:`~pyfunc_core.registry.Predictor`).
    """


@hookspec
def register_formats(registry: FormatRegistry) -> None:
    """Add model formats with ``registry.add(format)``: how a native object is written to a
    file and read back.

    A :class:`~pyfunc_core.formats.ModelFormat` has a name (the ``serialization_format``
    flavors record), ``save(obj, path, trusted=None)``, ``load(path, trusted=...,
    model_class=..., saved_with=...)`` that raises one-line ``ModelLoadError`` errors, an
    optional safety ``check(path, trusted=...)``, and the distributions a model in it needs.
    The core registers pickle, cloudpickle, joblib and skops; flavors look formats up with
    :func:`pyfunc_core.formats.get_format`.
    """


@hookspec
def register_env_managers(registry: EnvManagerRegistry) -> None:
    """Add environment managers with ``registry.add(EnvManager(...))``.

    An environment manager prepares an environment for a model directory from the
    model's own requirements (reusing one that already exists) and runs a command (the
    scoring server, a batch prediction) inside it. See
    :class:`~pyfunc_core.envs.base.EnvironmentManager`.
    """


@hookspec
def register_codecs(registry: CodecRegistry) -> None:
    """Add request/response codecs with ``registry.add(codec)``.

    A :class:`~pyfunc_core.codecs.base.Codec` decodes a request body of one or more
    content types into model input and params, and encodes predictions back. The server
    and ``pyfunc-core predict`` find codecs by content type; a later registration of the
    same content type is refused, so two plugins never silently fight over one.
    """


@hookspec
def register_servers(registry: ServerRegistry) -> None:
    """Add model servers with ``registry.add(Server(...))``.

    ``pyfunc-core serve`` hands a :class:`~pyfunc_core.registry.ServeOptions` to the
    server named by ``--server``; without it, to the one called ``scoring-server``, else to
    the only one installed (several others: ``serve`` asks for ``--server``).
    """


@hookspec
def register_commands(registry: CommandRegistry) -> None:
    """Add ``pyfunc-core`` sub-commands with ``registry.add(click_command)``.

    Build the ``click.Command`` here, but import heavy libraries inside its callback:
    this hook runs for ``pyfunc-core --help``.
    """


# -- protocol hooks: the first answer wins ------------------------------------------------


@hookspec(firstresult=True)
def select_flavor(model: ModelDirectory, registry: FlavorRegistry) -> Flavor | None:
    """Choose the flavor that loads ``model``; stops at the first non-None result.

    The core's own implementation runs last and looks up the ``loader_module`` of the
    model's ``python_function`` flavor among the registered flavors' ``loader_modules``,
    then maps ``mlflow.<name>`` to the flavor registered as ``<name>``.
    Implement this only to claim model directories that it would not recognise (for
    example ones written by another tool); return ``None`` for every other model.
    """
