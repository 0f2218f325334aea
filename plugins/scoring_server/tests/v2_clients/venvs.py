"""The V2 client libraries' own virtualenvs (their dependencies clash with ours), pinned.

Loaded by path from the scoring server's and the gRPC plugin's tests; the client scripts in
this folder run inside them and print JSON results for the tests to compare.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from repo_testing import cached_venv

HERE = Path(__file__).parent
REQUIREMENTS: dict[str, list[str]] = {
    "triton": ["tritonclient[http,grpc]==2.73.0"],
    "kserve": ["kserve==0.21.0"],
}
#: The oldest Python each client installs on.
MIN_PYTHON = {"triton": (3, 10), "kserve": (3, 10)}  # triton: its [grpc] extra's grpcio
CHECKS = {"triton": "import tritonclient.http, tritonclient.grpc", "kserve": "import kserve"}


def client_python(name: str) -> Path:
    """The python of the ``name`` client's venv (built once per machine); skips the test
    on a Python the client does not install on."""
    import pytest

    if sys.version_info[:2] < MIN_PYTHON[name]:
        pytest.skip(f"the {name} client needs Python {'.'.join(map(str, MIN_PYTHON[name]))}+")
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
