"""Options several commands share."""

from __future__ import annotations

from pathlib import Path

import click

#: ``-m/--model``: a model directory, or the path of its ``MLmodel`` file.
model_option = click.option(
    "-m",
    "--model",
    "model_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Model directory (or its MLmodel file).",
)
