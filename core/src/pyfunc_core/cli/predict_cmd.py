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
from pyfunc_core.cli.options import explicit_argv, model_option
from pyfunc_core.errors import InvalidInputError, UnsupportedContentTypeError

_EXTENSIONS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".json": "json"}
#: How much of an input the -t hint looks at.
_SNIFF_BYTES = 4096


@click.command("predict")
@model_option
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
    help="Where --on-error skip writes rejected rows [default: the output file's path with its "
    "extension replaced by .rejects.jsonl (out.json -> out.rejects.jsonl); the input file's when "
    "writing to stdout; ./rejects.jsonl from stdin to stdout].",
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
    """Score the input (-i FILE, else stdin) and write MLflow's {"predictions": ...} (or CSV rows)."""
    from pyfunc_core.model.mlmodel import locate_model_directory

    model_path = locate_model_directory(model_path)
    guess = None  # how the content type was chosen, when -t was not given
    if content_type is None:
        content_type = _EXTENSIONS.get(input_path.suffix.lower(), "json") if input_path else "json"
        guess = _guess_reason(input_path)
    if env_manager != "local":
        from pyfunc_core.envs.lookup import run_inside

        # Only what was given (a content type not given is guessed again inside, with the same hint).
        argv = explicit_argv(click.get_current_context(), model_path=model_path, env_manager=None)
        sys.exit(run_inside(model_path, env_manager, ["predict", *argv]))

    if content_type == "json" or (chunk_size <= 0 and content_type == "csv"):
        _predict_whole(model_path, input_path, content_type, output_format, output_path, guess)
        return

    from pyfunc_core.batch import BatchOptions, run_batch

    try:
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
    except (InvalidInputError, UnsupportedContentTypeError) as exc:
        if input_path is not None and input_path.is_file():
            with open(input_path, "rb") as f:
                _raise_with_hint(exc, content_type, guess, f.read(_SNIFF_BYTES))
        raise
    click.echo(summary.line(), err=True)


def _predict_whole(
    model_path: Path,
    input_path: Path | None,
    content_type: str,
    output_format: str,
    output_path: Path | None,
    guess: str | None,
) -> None:
    from pyfunc_core.codecs import decode_request
    from pyfunc_core.codecs.encode import predictions_to_json
    from pyfunc_core.model.load import load_model
    from pyfunc_core.plugins import get_plugins

    model = load_model(model_path)
    body = input_path.read_bytes() if input_path else sys.stdin.buffer.read()
    mime = "application/json" if content_type == "json" else "text/csv"
    try:
        _, request = decode_request(get_plugins().codecs, mime, body, model.metadata.get_input_schema())
        predictions = model.predict(request.data, request.params)
    except (InvalidInputError, UnsupportedContentTypeError) as exc:
        _raise_with_hint(exc, content_type, guess, body[:_SNIFF_BYTES])
        raise
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


def _guess_reason(input_path: Path | None) -> str:
    if input_path is None:
        return "by default for stdin"
    suffix = input_path.suffix.lower()
    if suffix in _EXTENSIONS:
        return f"from its extension '{input_path.suffix}'"
    return (
        f"by default for a '{input_path.suffix}' file"
        if suffix
        else "by default for a file without extension"
    )


def _raise_with_hint(exc: Exception, content_type: str, guess: str | None, head: bytes) -> None:
    """When the content type was guessed and the input looks like another format, fail
    with ``exc``'s message plus the ``-t`` that fits (otherwise return, the caller re-raises)."""
    looks = _sniff(head) if guess else None
    if looks is None or looks == content_type:
        return
    raise InvalidInputError(
        f"{exc} (the input was read as {content_type.upper()} {guess}; "
        f"it looks like {looks.upper()}: pass -t {looks})"
    ) from exc


def _sniff(head: bytes) -> str | None:
    """The format the first bytes of an input look like, or None when they do not tell."""
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text or b"\x00" in text:
        return None
    return "json" if text[:1] in (b"{", b"[") else "csv"


def _close(out: Any, output_path: Path | None) -> None:
    if output_path:
        out.close()
    else:
        out.flush()
