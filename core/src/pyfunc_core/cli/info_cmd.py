"""``pyfunc-core info``: what a model directory holds, without loading the model."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pyfunc_core.cli.errors import one_line_errors


@click.command("info")
@click.option(
    "-m", "--model", "model_path", required=True, type=click.Path(path_type=Path), help="Model directory."
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@one_line_errors
def info_command(model_path: Path, as_json: bool) -> None:
    """Show a model's flavors, signature and requirements."""
    from pyfunc_core.model.load import install_hint
    from pyfunc_core.model.mlmodel import ModelDirectory
    from pyfunc_core.plugins import get_plugins

    model = ModelDirectory.open(model_path)
    pyfunc_conf = model.meta.pyfunc_conf or {}
    loader = pyfunc_conf.get("loader_module")
    flavor = (
        get_plugins().pm.hook.select_flavor(model=model, registry=get_plugins().flavors) if loader else None
    )
    sig = model.meta.signature
    data = {
        "path": str(model.path),
        "flavors": sorted(model.meta.flavors),
        "loader_module": loader,
        "loaded_by": flavor.name if flavor else None,
        "install_hint": f"pip install {install_hint(loader)}" if loader and not flavor else None,
        "python_version": pyfunc_conf.get("python_version"),
        "signature": sig.to_dict() if sig else None,
        "requirements": model.requirements(),
        "model_uuid": model.meta.model_uuid,
        "created": model.meta.utc_time_created,
        "metadata": model.meta.metadata,
    }
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
        return
    click.echo(f"model:        {data['path']}")
    click.echo(f"flavors:      {', '.join(data['flavors'])}")
    click.echo(f"loader:       {_loader_line(loader, data)}")
    click.echo(f"python:       {data['python_version']}")
    click.echo(f"created:      {data['created']}")
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


def _describe(spec: object) -> str:
    d = spec.to_dict()  # type: ignore[attr-defined]
    if d.get("type") == "tensor":
        ts = d["tensor-spec"]
        tensor = f"{ts['dtype']}{ts['shape']}"
        return f"{d['name']}: {tensor}" if d.get("name") is not None else tensor
    name = d.get("name")
    opt = "" if d.get("required", True) else "?"
    return f"{name}{opt}: {d['type']}" if name is not None else d["type"]


def _loader_line(loader: str | None, data: dict) -> str:
    if not loader:
        return "none (no python_function flavor: this model cannot be served as a pyfunc)"
    return f"{loader} -> {data['loaded_by'] or 'not installed (' + data['install_hint'] + ')'}"
