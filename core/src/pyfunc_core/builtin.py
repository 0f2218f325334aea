"""The core's own plugin: registered through the same hooks as every other plugin."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyfunc_core.hookspecs import hookimpl
from pyfunc_core.registry import EnvManager, Flavor

if TYPE_CHECKING:
    from pyfunc_core.model.mlmodel import ModelDirectory
    from pyfunc_core.registry import CodecRegistry, EnvManagerRegistry, FlavorRegistry, FormatRegistry


def _load_python_model(model_dir: ModelDirectory):
    from pyfunc_core.python_model import mlflow_loaders
    from pyfunc_core.python_model.flavor import load

    if model_dir.loader_module in mlflow_loaders.LOADER_MODULES:  # MLflow's own code: its loader runs it
        return mlflow_loaders.load(model_dir)
    return load(model_dir)


def _local_manager():
    from pyfunc_core.envs.local import LocalEnvironmentManager

    return LocalEnvironmentManager()


@hookimpl
def register_flavors(registry: FlavorRegistry) -> None:
    registry.add(
        Flavor(
            name="python_model",
            load=_load_python_model,
            loader_modules=(
                "pyfunc_core.python_model",
                "mlflow.pyfunc.model",
                "mlflow.pyfunc.loaders.code_model",
                "mlflow.pyfunc.loaders.chat_model",
                "mlflow.pyfunc.loaders.chat_agent",
                "mlflow.pyfunc.loaders.responses_agent",
            ),
            requirements=("cloudpickle>=2",),
            description="custom PythonModel subclasses, models from code, chat and agent models",
        )
    )


@hookimpl
def register_formats(registry: FormatRegistry) -> None:
    from pyfunc_core.formats import builtin_formats

    for fmt in builtin_formats():
        registry.add(fmt)


@hookimpl
def register_env_managers(registry: EnvManagerRegistry) -> None:
    registry.add(EnvManager("local", _local_manager, "the current Python environment"))


@hookimpl
def register_codecs(registry: CodecRegistry) -> None:
    from pyfunc_core.codecs.csv_codec import CsvCodec
    from pyfunc_core.codecs.json_codec import JsonCodec
    from pyfunc_core.codecs.parquet_codec import ParquetCodec

    registry.add(JsonCodec())
    registry.add(CsvCodec())
    registry.add(ParquetCodec())


@hookimpl(trylast=True)
def select_flavor(model: ModelDirectory, registry: FlavorRegistry) -> Flavor | None:
    return registry.by_loader_module(model.loader_module)
