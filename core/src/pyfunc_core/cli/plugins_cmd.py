"""``pyfunc-core plugins``: every plugin, what it provides, and whether it works."""

from __future__ import annotations

import json

import click


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option("--requirements", is_flag=True, help="Print pip requirements that reproduce this install.")
def plugins_command(as_json: bool, requirements: bool) -> None:
    """List installed plugins: distribution, version, what each provides (flavors with the
    model formats they write, formats, ...), status."""
    from pyfunc_core.plugins import DISABLED, get_plugins

    plugins = get_plugins()
    infos = plugins.infos
    if as_json:
        listed = []
        for info in infos:
            entry = info.to_dict()
            entry["flavor_formats"] = {
                f: list(plugins.flavors[f].formats) for f in info.provides.get("flavors", ())
            }
            listed.append(entry)
        click.echo(json.dumps(listed, indent=2))
        return
    if requirements:
        for dist in sorted({(i.distribution, i.version) for i in infos if i.status == "ok"}):
            click.echo(f"{dist[0]}=={dist[1]}")
        return
    for info in infos:
        status = "" if info.status == "ok" else f"  [{info.status.upper()}]"
        click.echo(f"{info.name}  ({info.distribution} {info.version}){status}")
        for kind, names in info.provides.items():
            if kind == "flavors":  # with the model formats each one writes
                names = [_with_formats(n, plugins.flavors[n].formats) for n in names]
            click.echo(f"    {kind.replace('_', ' ')}: {', '.join(names)}")
        if info.error:  # a disabled plugin's "error" says how to enable it
            click.echo(f"    {info.error}" if info.status == DISABLED else f"    error: {info.error}")


def _with_formats(flavor: str, formats: tuple[str, ...]) -> str:
    return f"{flavor} (formats: {', '.join(formats)})" if formats else flavor
