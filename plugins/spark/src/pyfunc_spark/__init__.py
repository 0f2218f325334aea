"""pyfunc-spark: score a pyfunc-core model over a Spark DataFrame as a pandas UDF.

``spark_udf(spark, model_path, result_type="double")`` returns a function usable as
``df.withColumn("p", udf(*columns))`` or ``udf(struct(...))``. pyspark is imported only
when a UDF is built or run.
"""

from __future__ import annotations

from typing import Any

__all__ = ["spark_udf"]


def __getattr__(name: str) -> Any:
    if name == "spark_udf":
        from pyfunc_spark.udf import spark_udf

        return spark_udf
    raise AttributeError(f"module 'pyfunc_spark' has no attribute {name!r}")
