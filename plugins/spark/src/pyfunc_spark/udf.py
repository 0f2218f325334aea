"""``spark_udf``: a pyfunc-core model as a Spark pandas UDF."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyfunc_core.errors import InvalidParameterError

ENV_MANAGERS = ("local", "virtualenv")


class ModelUdf:
    """Call with column names or ``Column`` s (``udf("a", col("b"))``), or one struct column.

    Called with no arguments it scores the columns the model's signature names.
    """

    def __init__(self, model: Any, schema: Any, result_type: Any, env_manager: str):
        self._model = model
        self._schema = schema
        self.result_type = result_type
        self._env_manager = env_manager

    def __call__(self, *columns: Any) -> Any:
        from pyspark.sql import functions as F

        from pyfunc_spark.columns import column_name, resolve_names

        if not columns:
            if self._schema is None or not self._schema.has_input_names:
                raise InvalidParameterError(
                    "This model's signature names no inputs: call the UDF with its columns"
                )
            columns = tuple(str(n) for n in self._schema.input_names())
        given = [column_name(c) for c in columns]
        names: list[Any] | None = None
        # One column may be a struct, which only the executor can tell; otherwise match now.
        if len(columns) > 1 or (self._schema is not None and given[0] in self._input_names()):
            names = resolve_names(given, self._schema)
        spark_columns = [F.col(c) if isinstance(c, str) else c for c in columns]
        return self._pandas_udf(given, names)(*spark_columns)

    def _input_names(self) -> list[str]:
        return [str(n) for n in self._schema.input_names()] if self._schema is not None else []

    def _pandas_udf(self, given: list[str | None], names: list[Any] | None) -> Any:
        from typing import Iterator, Tuple, Union

        import pandas as pd
        from pyspark.sql.functions import pandas_udf
        from pyspark.sql.types import StructType

        model, env_manager, result_type, schema = (
            self._model,
            self._env_manager,
            self.result_type,
            self._schema,
        )

        def score(batches: Any) -> Any:
            from pyfunc_spark.columns import input_frame
            from pyfunc_spark.executor import scorer_for
            from pyfunc_spark.result_types import to_spark

            scorer = scorer_for(model, env_manager)
            for args in batches:
                args = args if isinstance(args, tuple) else (args,)
                frame = input_frame(args, given, names, schema)
                yield to_spark(scorer.predict(frame), result_type, len(frame))

        score.__annotations__ = {
            "batches": Iterator[Tuple[Union[pd.Series, pd.DataFrame], ...]],
            "return": Iterator[pd.DataFrame] if isinstance(result_type, StructType) else Iterator[pd.Series],
        }
        return pandas_udf(score, returnType=result_type)  # type: ignore[call-overload]


def spark_udf(
    spark: Any, model_path: str | Path, result_type: Any = "double", env_manager: str = "local"
) -> Any:
    """A pandas UDF scoring the model at ``model_path`` over Spark columns.

    ``result_type`` is a Spark type (DDL string or ``DataType``): ``double``, ``float``,
    ``int``, ``long``, ``string``, ``boolean``, ``array<...>`` of those, or a struct whose
    fields are taken by name from a DataFrame-returning model. The model directory is
    shipped to executors with ``SparkContext.addArchive`` and loaded once per executor
    Python worker. ``env_manager="virtualenv"`` scores inside the model's own virtualenv
    (built on each executor by the pyfunc-virtualenv plugin).
    """
    from pyfunc_core.model import ModelDirectory
    from pyfunc_spark.result_types import parse_result_type
    from pyfunc_spark.shipping import ship_model

    if env_manager not in ENV_MANAGERS:
        raise InvalidParameterError(f"env_manager must be one of {ENV_MANAGERS}, got {env_manager!r}")
    model_dir = ModelDirectory.open(model_path)  # a missing or broken model fails here, on the driver
    model_dir.loader_module  # noqa: B018 - raises when it has no python_function flavor
    if env_manager != "local":
        from pyfunc_core.envs import get_env_manager

        get_env_manager(env_manager)  # not installed: a one-line install hint, on the driver
    parsed = parse_result_type(result_type)
    shipped = ship_model(spark, model_dir.path)
    return ModelUdf(shipped, model_dir.meta.get_input_schema(), parsed, env_manager)
