"""The route table: every HTTP route of the scoring server, written once.

A row gives the path (fixed, or a template with ``{name}``/``{version}`` parameters), the
method, the handler (``handler(ctx, req) -> Reply``, see :class:`.request.Request`), the
metrics label (the template by default; versioned V2 routes share their unversioned route's
label) and the OpenAPI operation builder (None: not in ``/openapi.json``). The table feeds
dispatch (:mod:`.app`), the metrics labels and ``/openapi.json`` (:mod:`.openapi`).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Callable

from pyfunc_scoring_server.http import health, openapi
from pyfunc_scoring_server.http.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from pyfunc_scoring_server.http.request import Request
from pyfunc_scoring_server.http.responses import Reply, json_reply
from pyfunc_scoring_server.protocols import openai_routes, v2
from pyfunc_scoring_server.protocols.invocations import invocations
from pyfunc_scoring_server.scoring.context import ServingContext

Handler = Callable[[ServingContext, Request], Reply]


@dataclass(frozen=True)
class Route:
    """One row of the table (a route answering several methods has a row per method)."""

    path: str
    method: str
    handler: Handler
    label: str = ""
    doc: openapi.Operation | None = None

    def __post_init__(self) -> None:
        if not self.label:  # the template itself (never a raw path)
            object.__setattr__(self, "label", self.path)

    @property
    def fixed(self) -> bool:
        """A path without parameters: matched by a dict lookup (the hot path)."""
        return "{" not in self.path


def metrics(ctx: ServingContext, req: Request) -> Reply:
    return Reply(200, ctx.metrics.render(), METRICS_CONTENT_TYPE)


_documents: weakref.WeakKeyDictionary[ServingContext, bytes] = weakref.WeakKeyDictionary()


def openapi_document(ctx: ServingContext, req: Request) -> Reply:
    document = _documents.get(ctx)
    if document is None:  # built on first use, once per worker
        document = _documents[ctx] = json_reply(openapi.build_openapi(ctx, ROUTES)).body
    return Reply(200, document)


_METADATA, _READY, _INFER = "/v2/models/{name}", "/v2/models/{name}/ready", "/v2/models/{name}/infer"

# fmt: off
ROUTES: tuple[Route, ...] = (
    Route("/ping", "GET", health.ping, doc=openapi.simple("200 once the model is loaded")),
    Route("/health", "GET", health.ping, doc=openapi.simple("Same as /ping")),
    Route("/version", "GET", health.version, doc=openapi.simple("pyfunc-core version")),
    Route("/metrics", "GET", metrics, doc=openapi.simple("Prometheus metrics")),
    Route("/openapi.json", "GET", openapi_document),
    # MLflow's scoring protocol
    Route("/invocations", "POST", invocations, doc=openapi.invocations_operation),
    # Open Inference Protocol (V2)
    Route("/v2", "GET", v2.server_metadata),
    Route("/v2/health/live", "GET", v2.live, doc=openapi.simple()),
    Route("/v2/health/ready", "GET", v2.ready, doc=openapi.simple()),
    Route(_METADATA, "GET", v2.model_metadata_route, doc=openapi.simple()),
    Route("/v2/models/{name}/versions/{version}", "GET", v2.model_metadata_route, label=_METADATA),
    Route(_READY, "GET", v2.model_ready, doc=openapi.simple()),
    Route("/v2/models/{name}/versions/{version}/ready", "GET", v2.model_ready, label=_READY),
    Route(_INFER, "POST", v2.infer, doc=openapi.infer_operation),
    Route("/v2/models/{name}/versions/{version}/infer", "POST", v2.infer, label=_INFER,
          doc=openapi.infer_operation),
    # OpenAI-compatible (documented only for the chat models and agents they serve)
    Route("/v1/chat/completions", "POST", openai_routes.chat_completions,
          doc=openapi.chat_completions_operation),
    Route("/v1/responses", "POST", openai_routes.responses, doc=openapi.responses_operation),
)
# fmt: on
