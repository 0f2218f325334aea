"""``pyfunc-core spark-predict``: score a CSV or Parquet dataset with Spark, write Parquet or CSV."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from pyfunc_core.cli import one_line_errors
from pyfunc_core.errors import InvalidInputError, InvalidParameterError


@click.command("spark-predict")
@click.option(
    "-m", "--model", "model_path", required=True, type=click.Path(path_type=Path), help="Model directory."
)
@click.option("-i", "--input-path", required=True, help="CSV (with a header) or Parquet file or directory.")
@click.option("-o", "--output-path", required=True, help="Output directory (written by Spark).")
@click.option(
    "-t",
    "--input-format",
    type=click.Choice(["csv", "parquet"]),
    default=None,
    help="[default: from the input path's extension, else parquet]",
)
@click.option("--output-format", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True)
@click.option("--result-type", default="double", show_default=True, help="Spark type of the predictions.")
@click.option("--prediction-column", default="prediction", show_default=True)
@click.option("--master", default="local[2]", show_default=True, help="Spark master URL.")
@click.option("--env-manager", type=click.Choice(["local", "virtualenv"]), default="local", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace an existing output directory.")
@one_line_errors
def spark_predict_command(
    model_path: Path,
    input_path: str,
    output_path: str,
    input_format: str | None,
    output_format: str,
    result_type: str,
    prediction_column: str,
    master: str,
    env_manager: str,
    overwrite: bool,
) -> None:
    """Score INPUT with the model over Spark; the output holds the input columns plus the prediction."""
    from pyspark.sql import SparkSession

    from pyfunc_spark.udf import spark_udf

    if input_format is None:
        input_format = "csv" if input_path.lower().endswith(".csv") else "parquet"
    if Path(output_path).exists() and not overwrite:
        raise InvalidParameterError(f"Output '{output_path}' already exists: pass --overwrite to replace it")
    if not Path(input_path).exists() and "://" not in input_path:
        raise FileNotFoundError(f"Input '{input_path}' does not exist")
    running = SparkSession.getActiveSession()  # reused as is (and left running) when there is one
    if running is None and master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # local workers see our plugins
    spark = running or SparkSession.builder.master(master).appName("pyfunc-core spark-predict").getOrCreate()
    try:
        udf = spark_udf(spark, model_path, result_type=result_type, env_manager=env_manager)
        reader = spark.read
        frame = (
            reader.csv(input_path, header=True, inferSchema=True)
            if input_format == "csv"
            else reader.parquet(input_path)
        )
        scored = frame.withColumn(prediction_column, udf(*frame.columns))
        if output_format == "csv" and udf.result_type.typeName() == "struct":
            scored = scored.select(*frame.columns, f"{prediction_column}.*")
        writer = scored.write.mode("overwrite" if overwrite else "errorifexists")
        try:
            if output_format == "csv":
                writer.csv(output_path, header=True)
            else:
                writer.parquet(output_path)
        except Exception as exc:
            raise InvalidInputError(spark_error_message(exc)) from None
    finally:
        if running is None:
            spark.stop()
    click.echo(f"wrote predictions to {output_path}", err=True)


def spark_error_message(exc: BaseException) -> str:
    """The one line of a Spark failure that says what went wrong (our error if a UDF raised)."""
    text = str(exc)
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("pyfunc_core.errors.") and ": " in line:
            return line.split(": ", 1)[1]
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__
