"""``pyfunc-core predict``: score a file (or stdin) and write MLflow's JSON response.

CSV and Parquet inputs are scored in chunks by :mod:`pyfunc_core.batch` (files larger than
memory, ``--workers`` processes, rejects); a JSON request body is scored in one go.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, Any

import click

from pyfunc_core.cli.errors import one_line_errors

_EXTENSIONS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".json": "json"}


@click.command("predict")
@click.option(
    "-m", "--model", "model_path", required=True, type=click.Path(path_type=Path), help="Model directory."
)
@click.option("-i", "--input-path", type=click.Path(path_type=Path), help="Input file (default: stdin).")
@click.option("-o", "--output-path", type=click.Path(path_type=Path), help="Output file (default: stdout).")
@click.option(
    "-t",
    "--content-type",
    type=click.Choice(["json", "csv", "parquet"]),
    default=None,
    help="Input format: MLflow's JSON request, CSV with a header, or Parquet "
    "[default: from the input file's extension, else json].",
)
@click.option(
    "--output-format",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help='json: MLflow\'s {"predictions": [...]}; csv: one prediction row per input row.',
)
@click.option(
    "--chunk-size",
    default=100_000,
    show_default=True,
    help="CSV/Parquet rows scored per chunk (0: all at once).",
)
@click.option(
    "--workers", default=1, show_default=True, help="Processes scoring chunks (for CPU-bound models)."
)
@click.option(
    "--on-error",
    type=click.Choice(["stop", "skip"]),
    default="stop",
    show_default=True,
    help="A CSV row that fails to parse stops the run, or is written to the rejects file.",
)
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(path_type=Path),
    help="Where --on-error skip writes rejected rows [default: <output>.rejects.jsonl].",
)
@click.option("--env-manager", default="local", show_default=True, help="Environment to predict in.")
@one_line_errors
def predict_command(
    model_path: Path,
    input_path: Path | None,
    output_path: Path | None,
    content_type: str | None,
    output_format: str,
    chunk_size: int,
    workers: int,
    on_error: str,
    rejects_path: Path | None,
    env_manager: str,
) -> None:
    """Score INPUT with the model and write ``{"predictions": ...}`` (or CSV rows)."""
    if content_type is None:
        content_type = _EXTENSIONS.get(input_path.suffix.lower(), "json") if input_path else "json"
    if env_manager != "local":
        from pyfunc_core.cli.env_dispatch import run_inside

        argv = ["predict", "-m", str(model_path.resolve()), "-t", content_type]
        argv += ["--output-format", output_format, "--chunk-size", str(chunk_size)]
        argv += ["--workers", str(workers), "--on-error", on_error]
        for flag, path in (("-i", input_path), ("-o", output_path), ("--rejects", rejects_path)):
            if path:
                argv += [flag, str(path.resolve())]
        sys.exit(run_inside(model_path, env_manager, argv))

    if content_type == "json" or (chunk_size <= 0 and content_type == "csv"):
        _predict_whole(model_path, input_path, content_type, output_format, output_path)
        return

    from pyfunc_core.batch import BatchOptions, run_batch

    summary = run_batch(
        BatchOptions(
            model_path=model_path,
            input_path=input_path,
            output_path=output_path,
            input_format=content_type,
            output_format=output_format,
            chunk_size=chunk_size,
            workers=workers,
            on_error=on_error,
            rejects_path=rejects_path,
            progress=sys.stderr.isatty(),
        )
    )
    click.echo(summary.line(), err=True)


def _predict_whole(
    model_path: Path, input_path: Path | None, content_type: str, output_format: str, output_path: Path | None
) -> None:
    from pyfunc_core.codecs import decode_request
    from pyfunc_core.codecs.encode import predictions_to_json
    from pyfunc_core.model.load import load_model
    from pyfunc_core.plugins import get_plugins

    model = load_model(model_path)
    body = input_path.read_bytes() if input_path else sys.stdin.buffer.read()
    mime = "application/json" if content_type == "json" else "text/csv"
    _, request = decode_request(get_plugins().codecs, mime, body, model.metadata.get_input_schema())
    predictions = model.predict(request.data, request.params)
    if output_format == "csv":
        from pyfunc_core.batch.output import predictions_frame

        data = predictions_frame(predictions).to_csv(index=False).encode("utf-8")
    else:
        data = predictions_to_json(predictions) + b"\n"
    out: IO[bytes] = open(output_path, "wb") if output_path else sys.stdout.buffer
    try:
        out.write(data)
    finally:
        _close(out, output_path)


def _close(out: Any, output_path: Path | None) -> None:
    if output_path:
        out.close()
    else:
        out.flush()
