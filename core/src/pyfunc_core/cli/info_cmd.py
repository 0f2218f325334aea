"""``pyfunc-core info``: what a model directory holds, without loading the model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pyfunc_core.cli.errors import one_line_errors
from pyfunc_core.cli.options import model_option

if TYPE_CHECKING:
    from pyfunc_core.model.load import MissingFlavor


@click.command("info")
@model_option
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@one_line_errors
def info_command(model_path: Path, as_json: bool) -> None:
    """Show a model's flavors, signature and requirements."""
    from pyfunc_core.model.load import missing_flavor
    from pyfunc_core.model.mlflow_loading import mlflow_loading
    from pyfunc_core.model.mlmodel import ModelDirectory
    from pyfunc_core.plugins import get_plugins

    model = ModelDirectory.open(model_path)
    pyfunc_conf = model.meta.pyfunc_conf or {}
    loader = pyfunc_conf.get("loader_module")
    plugins = get_plugins()
    flavor = plugins.pm.hook.select_flavor(model=model, registry=plugins.flavors) if loader else None
    missing = missing_flavor(str(loader), plugins) if loader and not flavor else None
    sig = model.meta.signature
    # Only a saved directory (with its requirements.txt) says what MLflow would need.
    mlflow = mlflow_loading(model) if (model.path / "requirements.txt").is_file() else None
    model_format = _model_format(model, flavor, plugins) if flavor else None
    data: dict[str, Any] = {
        "path": str(model.path),
        "flavors": sorted(model.meta.flavors),
        "loader_module": loader,
        "loaded_by": flavor.name if flavor else None,
        "install_hint": f"pip install {missing.pip_install}" if missing and missing.pip_install else None,
        "missing_plugin": missing.message if missing else None,
        "python_version": pyfunc_conf.get("python_version") or None,
        "signature": sig.to_dict() if sig else None,
        "requirements": model.requirements(),
        "mlflow": mlflow.to_dict() if mlflow else None,
        "format": model_format,
        "model_uuid": model.meta.model_uuid or None,
        "created": model.meta.utc_time_created or None,
        "metadata": model.meta.metadata,
    }
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
        return
    click.echo(f"model:        {data['path']}")
    click.echo(f"flavors:      {', '.join(data['flavors']) or 'none'}")
    click.echo(f"loader:       {_loader_line(loader, flavor.name if flavor else None, missing)}")
    if mlflow is not None:
        click.echo(f"mlflow:       {mlflow.describe()}")
    if model_format is not None:
        click.echo(f"format:       {_format_line(model_format)}")
    for label, key in (("python:", "python_version"), ("created:", "created")):
        if data[key] is not None:  # unknown (a minimal MLmodel): left out rather than "None"
            click.echo(f"{label:<14}{data[key]}")
    if sig is None:
        click.echo("signature:    none")
    else:
        for part in ("inputs", "outputs", "params"):
            schema = getattr(sig, part)
            if schema is None:
                continue
            specs = schema.params if part == "params" else schema.inputs
            click.echo(f"{part + ':':<14}" + ", ".join(_describe(s) for s in specs))
    click.echo("requirements: " + (", ".join(data["requirements"]) or "none"))


def _model_format(model: Any, flavor: Any, plugins: Any) -> dict[str, Any] | None:
    """The flavor's model file, its format and the format's safety check, without loading."""
    from pyfunc_core.errors import PyfuncError

    if flavor.model_file is None:
        return None
    try:
        found = flavor.model_file(model)
    except PyfuncError as exc:
        return {"format": None, "file": None, "safety_check": None, "detail": str(exc)}
    if found is None:
        return None
    fmt = plugins.formats.get(found.format)
    relative = (
        str(found.path.relative_to(model.path)) if model.path in found.path.parents else str(found.path)
    )
    out: dict[str, Any] = {"format": found.format, "file": relative}
    if fmt is None:
        return {**out, "safety_check": None, "detail": "no installed plugin registers this format"}
    if not found.path.is_file():
        return {**out, "safety_check": None, "detail": "the file is missing"}
    safety = fmt.check(found.path, trusted=found.trusted, model_class=found.model_class)
    return {**out, "safety_check": safety.passed, "detail": safety.detail}


def _format_line(info: dict[str, Any]) -> str:
    if info["format"] is None:
        return f"unknown ({info['detail']})"
    verdict = {True: "safety check passed", False: "safety check FAILED", None: "no safety check"}
    return f"{info['format']} ({info['file']}): {verdict[info['safety_check']]}: {info['detail']}"


def _describe(spec: object) -> str:
    d = spec.to_dict()  # type: ignore[attr-defined]
    if d.get("type") == "tensor":
        ts = d["tensor-spec"]
        tensor = f"{ts['dtype']}{ts['shape']}"
        return f"{d['name']}: {tensor}" if d.get("name") is not None else tensor
    name = d.get("name")
    opt = "" if d.get("required", True) else "?"
    return f"{name}{opt}: {d['type']}" if name is not None else d["type"]


def _loader_line(loader: str | None, loaded_by: str | None, missing: MissingFlavor | None) -> str:
    if not loader:
        return "none (no python_function flavor: this model cannot be served as a pyfunc)"
    if missing is not None:
        return f"{loader} -> no {missing.qualifier} plugin: {missing.remedy}"
    return f"{loader} -> {loaded_by}"
