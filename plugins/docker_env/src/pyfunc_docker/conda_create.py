"""Create a conda environment with py-rattler, without any conda installation.

This file is copied into a build context as ``conda/create_env.py`` and run by the
image's build stage (``python create_env.py ENVIRONMENT_JSON PREFIX CACHE_DIR``), in a
throw-away virtualenv holding py-rattler, so it imports nothing from pyfunc. The JSON
file holds ``channels`` and ``dependencies`` (conda match specs); the ``pip:`` section of
the model's conda.yaml is installed afterwards, by the environment's own Python.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path


async def create_environment(channels: list[str], specs: list[str], prefix: Path, cache: Path) -> list[str]:
    """Solve ``specs`` from ``channels`` for this machine and install them at ``prefix``."""
    import rattler
    from rattler.platform import Subdir

    records = await rattler.solve(
        sources=channels,
        specs=specs,
        gateway=rattler.Gateway(cache_dir=cache / "repodata"),
        platforms=[Subdir.current(), Subdir("noarch")],
        virtual_packages=rattler.VirtualPackage.detect(),
    )
    await rattler.install(records, target_prefix=prefix, cache_dir=cache / "pkgs", show_progress=False)
    return sorted(f"{r.name.normalized}={r.version}={r.build}" for r in records)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: create_env.py ENVIRONMENT_JSON PREFIX CACHE_DIR", file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    prefix, cache = Path(argv[1]), Path(argv[2])
    channels, specs = list(spec["channels"]), list(spec["dependencies"])
    print(f"solving {', '.join(specs)} from {', '.join(channels)} with py-rattler", flush=True)
    started = time.perf_counter()
    try:
        installed = asyncio.run(create_environment(channels, specs, prefix, cache))
    except Exception as exc:  # rattler's solve / fetch / link errors: one readable message
        message = str(exc).strip() or type(exc).__name__
        print(f"error: py-rattler could not create the conda environment: {message}", file=sys.stderr)
        return 1
    python = prefix / "bin" / "python"
    if not python.exists():
        print(f"error: the conda environment at {prefix} has no bin/python", file=sys.stderr)
        return 1
    print(f"installed {len(installed)} conda packages in {time.perf_counter() - started:.1f}s:", flush=True)
    for line in installed:
        print(f"  {line}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
