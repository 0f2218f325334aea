"""Prometheus metrics (prometheus-client).

With several workers the supervisor points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh
directory before forking, so every worker writes its samples there and whichever worker
answers ``GET /metrics`` aggregates all of them (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import os
from typing import Any

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384)


def multiprocess_enabled() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


class Metrics:
    """The server's metrics; label children are cached so a request costs two dict lookups."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics

        disable_created_metrics()  # no *_created series: they double the exposition for nothing
        self.multiprocess = multiprocess_enabled()
        self.registry = None if self.multiprocess else CollectorRegistry()
        reg = self.registry
        self.requests = Counter(
            "pyfunc_requests", "HTTP requests by endpoint and status.", ["endpoint", "status"], registry=reg
        )
        self.latency = Histogram(
            "pyfunc_request_duration_seconds",
            "Time from request start to response, by endpoint.",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=reg,
        )
        self.batch_rows = Histogram(
            "pyfunc_batch_rows", "Rows per predict call.", buckets=BATCH_BUCKETS, registry=reg
        )
        self.predict_rows = Counter("pyfunc_predicted_rows", "Rows predicted.", registry=reg)
        self.queue_depth = Gauge(
            "pyfunc_queue_depth",
            "Requests waiting for a predict call.",
            registry=reg,
            multiprocess_mode="livesum",
        )
        self.in_flight = Gauge(
            "pyfunc_requests_in_flight",
            "Requests being served.",
            registry=reg,
            multiprocess_mode="livesum",
        )
        self.load_seconds = Gauge(
            "pyfunc_model_load_seconds",
            "Seconds the model took to load (per worker).",
            registry=reg,
            multiprocess_mode="liveall",
        )
        self.stream_first_chunk = Histogram(
            "pyfunc_stream_first_chunk_seconds",
            "Time from a streamed request's arrival to its first chunk.",
            buckets=LATENCY_BUCKETS,
            registry=reg,
        )
        self.stream_chunks = Histogram(
            "pyfunc_stream_chunks", "Chunks sent per streamed response.", buckets=BATCH_BUCKETS, registry=reg
        )
        self.streams_in_flight = Gauge(
            "pyfunc_streams_in_flight",
            "Streamed responses being sent.",
            registry=reg,
            multiprocess_mode="livesum",
        )
        self._request_children: dict[tuple[str, int], Any] = {}
        self._latency_children: dict[str, Any] = {}

    def observe_request(self, endpoint: str, status: int, seconds: float) -> None:
        key = (endpoint, status)
        counter = self._request_children.get(key)
        if counter is None:
            counter = self._request_children[key] = self.requests.labels(endpoint, str(status))
        counter.inc()
        hist = self._latency_children.get(endpoint)
        if hist is None:
            hist = self._latency_children[endpoint] = self.latency.labels(endpoint)
        hist.observe(seconds)

    def observe_batch(self, rows: int, queued: int) -> None:
        self.batch_rows.observe(rows)
        self.predict_rows.inc(rows)
        self.queue_depth.set(queued)

    def observe_predict(self, rows: int) -> None:
        """A request's own predict call (no batching)."""
        self.batch_rows.observe(rows)
        self.predict_rows.inc(rows)

    def render(self) -> bytes:
        """The exposition text of every worker's metrics."""
        from prometheus_client import CollectorRegistry, generate_latest

        if self.multiprocess:
            from prometheus_client.multiprocess import MultiProcessCollector

            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry)
        assert self.registry is not None  # made whenever multiprocess mode is off
        return generate_latest(self.registry)


def mark_worker_dead(pid: int) -> None:
    """Drop a finished worker's live gauges (called by the supervisor)."""
    if multiprocess_enabled():
        from prometheus_client.multiprocess import mark_process_dead

        mark_process_dead(pid)
