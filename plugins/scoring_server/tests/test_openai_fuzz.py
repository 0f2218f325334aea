"""schemathesis against chat and agent servers' own ``/openapi.json`` (loopback, bounded):
no body the document describes, nor one that breaks it, gets a 5xx from ``/invocations``
(MLflow's unwrapped request object), ``/v1/chat/completions`` or ``/v1/responses``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip(
    "schemathesis", reason="schemathesis is installed for Python 3.10+ only (dev/requirements.txt)"
)
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from pyfunc_core import save_model  # noqa: E402

AGENTS = Path(__file__).parents[3] / "core" / "tests" / "modern_models" / "agents.py"
EXAMPLES = 25
ROUTES = {
    "EchoChat": "/v1/chat/completions",
    "EchoAgent": "/v1/chat/completions",
    "EchoResponses": "/v1/responses",
}


@pytest.fixture(scope="module", params=sorted(ROUTES))
def api(request: Any, start_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("openai-fuzz")
    source = root / "agent.py"
    source.write_text(
        AGENTS.read_text() + f"\nimport pyfunc_core\npyfunc_core.set_model({request.param}())\n"
    )
    save_model(root / "m", python_model=source)
    server = start_server(root / "m", "--name", "m")
    return schemathesis.openapi.from_url(server.url + "/openapi.json"), request.param


def run_operation(operation: Any, mode: Any, failures: list[str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode, media_type="application/json"))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def exercise(case: Any) -> None:
        try:
            case.call_and_validate(checks=[not_a_server_error], timeout=30)
        except Exception as exc:  # schemathesis' failures
            failures.append(f"{operation.label} [{mode.value}]: {str(exc)[:800]}")

    exercise()


def test_no_llm_or_openai_request_gets_a_5xx(api: Any) -> None:
    schema, kind = api
    failures: list[str] = []
    seen: set[str] = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() != "POST":
            continue
        seen.add(operation.path)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run_operation(operation, mode, failures)
    assert ROUTES[kind] in seen and "/invocations" in seen
    assert not failures, "\n\n".join(f[:1500] for f in failures[:4])
