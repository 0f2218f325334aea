"""Entry point: adds the ``pyfunc-core spark-predict`` command (pyspark loads only when it runs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyfunc_core import hookimpl

if TYPE_CHECKING:
    from pyfunc_core.registry import CommandRegistry


@hookimpl
def register_commands(registry: CommandRegistry) -> None:
    from pyfunc_spark.command import spark_predict_command

    registry.add(spark_predict_command)
