"""The V2 client libraries' own virtualenvs (their dependencies clash with ours), pinned.

Loaded by path from the scoring server's and the gRPC plugin's tests; the client scripts in
this folder run inside them and print JSON results for the tests to compare.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from pyfunc_core.testing import cached_venv

HERE = Path(__file__).parent
REQUIREMENTS: dict[str, list[str]] = {
    "triton": ["tritonclient[http,grpc]==2.73.0", "numpy==2.4.6"],
    "kserve": ["kserve==0.21.0"],
}
CHECKS = {"triton": "import tritonclient.http, tritonclient.grpc", "kserve": "import kserve"}


def client_python(name: str) -> Path:
    """The python of the ``name`` client's venv (built once per machine)."""
    return cached_venv(f"v2-client-{name}", REQUIREMENTS[name], check=CHECKS[name])


def run_client(name: str, script: str, plan: dict[str, Any], timeout: float = 120.0) -> Any:
    """Run ``script`` from this folder in the ``name`` venv with ``plan`` as JSON; its JSON output."""
    proc = subprocess.run(
        [str(client_python(name)), str(HERE / script), json.dumps(plan)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise AssertionError(f"{script} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
