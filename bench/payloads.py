"""Request bodies for both protocols, and the one-request correctness check."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

N_FEATURES = 20
COLUMNS = [f"f{i}" for i in range(N_FEATURES)]


def mlflow_body(rows) -> bytes:
    """MLflow's scoring protocol (``/invocations``), ``dataframe_split``: ours and MLflow's."""
    return json.dumps({"dataframe_split": {"columns": COLUMNS, "data": rows.tolist()}}).encode()


def v2_body(rows) -> bytes:
    """Open Inference Protocol: one FP64 tensor of shape [n, 20] (MLServer)."""
    tensor = {
        "name": "input-0",
        "shape": list(rows.shape),
        "datatype": "FP64",
        "data": rows.ravel().tolist(),
    }
    return json.dumps({"inputs": [tensor]}).encode()


def body_for(protocol: str, rows) -> bytes:
    return mlflow_body(rows) if protocol == "mlflow" else v2_body(rows)


def write_bodies(out: Path, X, sizes: list[int]) -> dict[tuple[str, int], Path]:
    """One body file per (protocol, rows per request), cut from the start of X."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for protocol in ("mlflow", "v2"):
        for n in sizes:
            path = out / f"{protocol}-{n}.json"
            path.write_bytes(body_for(protocol, X[:n]))
            paths[(protocol, n)] = path
    return paths


def predictions_from(protocol: str, payload: dict) -> list:
    if protocol == "mlflow":
        return list(payload["predictions"])
    return list(payload["outputs"][0]["data"])


def check(url: str, protocol: str, rows, expected) -> str:
    """POST ``rows`` once and compare the answer with in-process predictions: 'ok' or what differs."""
    req = urllib.request.Request(
        url, data=body_for(protocol, rows), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            payload = json.loads(resp.read())
    except Exception as exc:
        return f"FAIL: {type(exc).__name__}: {str(exc)[:200]}"
    try:
        got = [int(v) for v in predictions_from(protocol, payload)]
    except (KeyError, IndexError, TypeError, ValueError):
        return f"FAIL: unexpected body {json.dumps(payload)[:200]}"
    want = [int(v) for v in expected]
    if got != want:
        wrong = sum(a != b for a, b in zip(got, want)) + abs(len(got) - len(want))
        return f"FAIL: {wrong} of {len(want)} predictions differ"
    return "ok"
