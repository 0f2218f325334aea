"""``pyfunc-core predict``: score a file (or stdin) and write MLflow's JSON response."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import IO, Any, Iterator

import click

from pyfunc_core.cli.errors import one_line_errors
from pyfunc_core.errors import InvalidInputError


@click.command("predict")
@click.option(
    "-m", "--model", "model_path", required=True, type=click.Path(path_type=Path), help="Model directory."
)
@click.option("-i", "--input-path", type=click.Path(path_type=Path), help="Input file (default: stdin).")
@click.option("-o", "--output-path", type=click.Path(path_type=Path), help="Output file (default: stdout).")
@click.option(
    "-t",
    "--content-type",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="Input format: MLflow's JSON request or CSV with a header.",
)
@click.option(
    "--chunk-size", default=100_000, show_default=True, help="CSV rows scored per chunk (0: all at once)."
)
@click.option("--env-manager", default="local", show_default=True, help="Environment to predict in.")
@one_line_errors
def predict_command(
    model_path: Path,
    input_path: Path | None,
    output_path: Path | None,
    content_type: str,
    chunk_size: int,
    env_manager: str,
) -> None:
    """Score INPUT with the model and write ``{"predictions": ...}``."""
    if env_manager != "local":
        from pyfunc_core.cli.env_dispatch import run_inside

        argv = [
            "predict",
            "-m",
            str(model_path.resolve()),
            "-t",
            content_type,
            "--chunk-size",
            str(chunk_size),
        ]
        if input_path:
            argv += ["-i", str(input_path.resolve())]
        if output_path:
            argv += ["-o", str(output_path.resolve())]
        sys.exit(run_inside(model_path, env_manager, argv))

    from pyfunc_core.model.load import load_model

    model = load_model(model_path)
    out: IO[bytes] = open(output_path, "wb") if output_path else sys.stdout.buffer
    try:
        if content_type == "csv" and chunk_size > 0:
            _predict_csv_chunks(model, input_path, out, chunk_size)
        else:
            _predict_whole(model, input_path, content_type, out)
    finally:
        if output_path:
            out.close()
        else:
            out.flush()


def _predict_whole(model: Any, input_path: Path | None, content_type: str, out: IO[bytes]) -> None:
    from pyfunc_core.codecs import decode_request
    from pyfunc_core.codecs.encode import predictions_to_json
    from pyfunc_core.plugins import get_plugins

    body = input_path.read_bytes() if input_path else sys.stdin.buffer.read()
    mime = "application/json" if content_type == "json" else "text/csv"
    _, request = decode_request(get_plugins().codecs, mime, body, model.metadata.get_input_schema())
    out.write(predictions_to_json(model.predict(request.data, request.params)))
    out.write(b"\n")


def _predict_csv_chunks(model: Any, input_path: Path | None, out: IO[bytes], chunk_size: int) -> None:
    """Stream a CSV through the model chunk by chunk; the output bytes equal a one-shot run."""
    from pyfunc_core.codecs.encode import dumps, to_jsonable

    started, rows = time.perf_counter(), 0
    show_progress = sys.stderr.isatty()
    out.write(b'{"predictions": [')
    first = True
    for chunk in _csv_chunks(model, input_path, chunk_size):
        jsonable = to_jsonable(model.predict(chunk))
        if not isinstance(jsonable, list):
            raise InvalidInputError(
                "This model's predictions are not one per row, so the input cannot be chunked: "
                "use --chunk-size 0"
            )
        if jsonable:
            body = dumps(jsonable)[1:-1]
            out.write(body if first else b", " + body)
            first = False
        rows += len(chunk)
        if show_progress:
            rate = rows / max(time.perf_counter() - started, 1e-9)
            click.echo(f"\rscored {rows:,} rows ({rate:,.0f} rows/s)", err=True, nl=False)
    out.write(b"]}\n")
    elapsed = time.perf_counter() - started
    if show_progress:
        click.echo("", err=True)
    click.echo(f"scored {rows:,} rows in {elapsed:.2f}s ({rows / max(elapsed, 1e-9):,.0f} rows/s)", err=True)


def _csv_chunks(model: Any, input_path: Path | None, chunk_size: int) -> Iterator[Any]:
    from pyfunc_core.codecs.csv_codec import read_csv

    source: Any = str(input_path) if input_path else sys.stdin
    reader = read_csv(source, model.metadata.get_input_schema(), chunksize=chunk_size)
    while True:
        try:
            chunk = next(reader)
        except StopIteration:
            return
        except ValueError as exc:
            raise InvalidInputError(f"Failed to parse CSV input: {exc}") from None
        yield chunk
