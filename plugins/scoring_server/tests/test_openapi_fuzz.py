"""schemathesis against a real server's own ``/openapi.json`` (loopback, bounded).

Every operation gets bodies generated from the document: schema-valid ones must never get
a 5xx, and for ``/invocations`` (JSON and CSV) must be accepted (the document describes
what the server takes); schema-invalid ones (schemathesis' negative mode) must never get
a 5xx either. Bounded by ``max_examples`` per operation and mode.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import cloudpickle
import numpy as np
import pytest

schemathesis = pytest.importorskip(
    "schemathesis", reason="schemathesis is installed for Python 3.10+ only (dev/requirements.txt)"
)
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

from pyfunc_core import PythonModel, save_model  # noqa: E402
from pyfunc_core.schema import ColSpec, ModelSignature, ParamSchema, ParamSpec, Schema, TensorSpec  # noqa: E402

cloudpickle.register_pickle_by_value(sys.modules[__name__])

EXAMPLES = 25
#: Distinct schema-invalid requests sent (schemathesis' negative mode), for the test report.
NEGATIVE: set[str] = set()


@pytest.fixture(scope="module", autouse=True)
def report_negative() -> Any:
    yield
    print(f"\n[openapi fuzz] {len(NEGATIVE)} distinct schema-invalid requests")


class Rows(PythonModel):
    """One zero per row (or per row of the first tensor): never fails on input the signature let through."""

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        if isinstance(model_input, dict):
            model_input = next(iter(model_input.values()))
        return np.zeros(len(model_input))


# No integer inputs: JSON Schema counts 2.0 as an integer, which an integer column refuses (as
# MLflow's enforcement does), so a generated "integer" can be a valid-looking bad request.
SIGNATURES = {
    "columns": ModelSignature(
        inputs=Schema([ColSpec("double", "a"), ColSpec("string", "s"), ColSpec("boolean", "flag"),
                       ColSpec("double", "opt", required=False)]),
        params=ParamSchema([ParamSpec("multiplier", "double", 1.0), ParamSpec("names", "string", ["x"], shape=(-1,))]),
    ),
    "tensors": ModelSignature(
        inputs=Schema([TensorSpec(np.dtype("float32"), (-1, 3), "x"), TensorSpec(np.dtype("float64"), (-1,), "y")])
    ),
    "tensor": ModelSignature(inputs=Schema([TensorSpec(np.dtype("float64"), (-1, 2))])),
}  # fmt: skip


@pytest.fixture(scope="module", params=sorted(SIGNATURES))
def api(request: Any, start_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("openapi") / request.param
    save_model(path, python_model=Rows(), signature=SIGNATURES[request.param])
    server = start_server(Path(path), "--name", "m")
    return schemathesis.openapi.from_url(server.url + "/openapi.json")


def run_operation(operation: Any, mode: Any, media_type: str | None) -> list[str]:
    failures: list[str] = []
    content = operation.definition.raw.get("requestBody", {}).get("content", {})

    @given(case=operation.as_strategy(generation_mode=mode, media_type=media_type))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def exercise(case: Any) -> None:
        checks = [not_a_server_error]
        if mode == GenerationMode.NEGATIVE:
            NEGATIVE.add(repr((operation.label, case.media_type, case.path_parameters, case.body)))
        if mode == GenerationMode.POSITIVE and operation.path == "/invocations":
            # JSON, and CSV where the document gives its grammar (Parquet has none in JSON Schema)
            schema = content.get(case.media_type, {}).get("schema", {})
            if case.media_type == "application/json" or "pattern" in schema:
                checks.append(positive_data_acceptance)
        try:
            case.call_and_validate(checks=checks, timeout=30)
        except Exception as exc:  # schemathesis' failures (several at once come as a group)
            failures.append(f"{operation.label} [{mode.value}, {case.media_type}]: {str(exc)[:800]}")

    exercise()
    return failures


def test_no_request_the_document_describes_or_breaks_gets_a_5xx(api: Any) -> None:
    failures: list[str] = []
    for result in api.get_all_operations():
        operation = result.ok()
        body = operation.definition.raw.get("requestBody", {}).get("content", {})
        for media_type in list(body) or [None]:
            failures += run_operation(operation, GenerationMode.POSITIVE, media_type)
            if media_type is not None:
                failures += run_operation(operation, GenerationMode.NEGATIVE, media_type)
    assert not failures, "\n\n".join(f[:1500] for f in failures[:4])
