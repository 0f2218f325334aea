"""The scoring server's own ``pyfunc-core serve`` options and the typed view it reads them through.

The core parses these into ``ServeOptions.extra``; :meth:`ScoringOptions.of` gives them
back as attributes (``options.workers``). Imported at every start-up (the options are
declared when the server registers), so it imports nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

from pyfunc_core.registry import ServeOptions, ServerOption

if TYPE_CHECKING:
    from pyfunc_core.model import PyFuncModel
    from pyfunc_core.registry import Flavor

#: Rows merged into one predict call by default (for row-independent predictors).
DEFAULT_BATCH_ROWS = 64

WORKERS = ServerOption(
    "--workers",
    int,
    None,
    "Worker processes (default: the CPUs this process may use, after its CPU affinity and its "
    "cgroup's CPU quota; 1 for a flavor that is not fork-safe).",
    short="-w",
    min=1,
)
THREADS = ServerOption("--threads", int, 8, "Threads per worker.", min=1)
TIMEOUT = ServerOption("--timeout", float, 60.0, "Seconds per request before 504.", short="-t", min=0.001)
MAX_BODY_SIZE = ServerOption(
    "--max-body-size", int, 100 * 1024 * 1024, "Largest request body in bytes (413 above).", min=1
)
BATCH_MAX_SIZE = ServerOption(
    "--batch-max-size",
    int,
    None,
    "Most rows merged into one predict call from requests queued on a worker; 0: no merging "
    f"(default: {DEFAULT_BATCH_ROWS} for models whose predictor declares row-independent "
    "predictions, 0 for others).",
    min=0,
)
BATCH_MAX_WAIT_MS = ServerOption(
    "--batch-max-wait-ms",
    float,
    0.0,
    "Longest wait for more requests to merge (0: merge only those already queued, no added latency).",
    min=0,
)

#: The options ``Server.options`` declares (worker services add theirs after these).
OPTIONS = (WORKERS, THREADS, TIMEOUT, MAX_BODY_SIZE, BATCH_MAX_SIZE, BATCH_MAX_WAIT_MS)


@dataclass
class ScoringOptions(ServeOptions):
    """``ServeOptions`` with the scoring server's options as typed attributes."""

    workers: int | None = WORKERS.default  # None: resolved by :meth:`with_workers`
    threads: int = THREADS.default
    timeout: float = TIMEOUT.default
    max_body_size: int = MAX_BODY_SIZE.default
    batch_max_size: int | None = BATCH_MAX_SIZE.default  # None: resolved by :meth:`with_batching`
    batch_max_wait_ms: float = BATCH_MAX_WAIT_MS.default

    @classmethod
    def of(cls, options: ServeOptions) -> ScoringOptions:
        """The typed view of ``options`` (an option missing from ``extra`` takes its default)."""
        if isinstance(options, cls):
            return options
        common = {f.name: getattr(options, f.name) for f in fields(ServeOptions)}
        ours = {o.dest: options.extra[o.dest] for o in OPTIONS if options.extra.get(o.dest) is not None}
        return cls(**common, **ours)

    def with_workers(self, flavor: Flavor) -> tuple[ScoringOptions, str]:
        """These options with the worker count settled, and why it is that count.

        The default is the CPUs this process may use (:func:`.process.cpus.available_cpus`):
        workers beyond them only take turns on the same CPUs. It applies to fork-safe flavors,
        whose model is loaded once before forking and shared; a flavor that is not fork-safe
        loads a copy per worker, so it gets one worker unless ``--workers`` asks for more.
        """
        if self.workers is not None:
            return self, "--workers"
        if not flavor.fork_safe:
            return replace(self, workers=1), f"the {flavor.name} flavor is not fork-safe"
        from pyfunc_scoring_server.process.cpus import available_cpus

        return replace(self, workers=available_cpus()), "the CPUs this process may use"

    def with_batching(self, model: PyFuncModel) -> ScoringOptions:
        """These options with ``batch_max_size`` settled for ``model``.

        By default requests already queued when a predict call starts are merged into it (with
        ``--batch-max-wait-ms`` 0 nothing waits for them), but only for a predictor that says
        its predictions are row-independent (:func:`row_independent`): merging is then exact.
        An explicit ``--batch-max-size`` applies to any model, as the user asked.
        """
        if self.batch_max_size is not None:
            return self
        return replace(self, batch_max_size=DEFAULT_BATCH_ROWS if row_independent(model) else 0)


def row_independent(model: PyFuncModel) -> bool:
    """Whether the model's predictor declares ``row_independent = True``: each output row
    depends only on its input row (and the params), so concatenating requests and splitting
    the result gives every request what it would get alone."""
    return getattr(model.model_impl, "row_independent", False) is True
