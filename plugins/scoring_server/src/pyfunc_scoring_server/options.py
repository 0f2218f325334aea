"""The scoring server's own ``pyfunc-core serve`` options and the typed view it reads them through.

The core parses these into ``ServeOptions.extra``; :meth:`ScoringOptions.of` gives them
back as attributes (``options.workers``). Imported at every start-up (the options are
declared when the server registers), so it imports nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from pyfunc_core.registry import ServeOptions, ServerOption

WORKERS = ServerOption("--workers", int, 1, "Worker processes.", short="-w", min=1)
THREADS = ServerOption("--threads", int, 8, "Threads per worker.", min=1)
TIMEOUT = ServerOption("--timeout", float, 60.0, "Seconds per request before 504.", short="-t", min=0.001)
MAX_BODY_SIZE = ServerOption(
    "--max-body-size", int, 100 * 1024 * 1024, "Largest request body in bytes (413 above).", min=1
)
BATCH_MAX_SIZE = ServerOption(
    "--batch-max-size", int, 0, "Rows merged into one predict call (0: no batching).", min=0
)
BATCH_MAX_WAIT_MS = ServerOption(
    "--batch-max-wait-ms", float, 2.0, "Longest wait for a batch to fill.", min=0
)

#: The options ``Server.options`` declares (worker services add theirs after these).
OPTIONS = (WORKERS, THREADS, TIMEOUT, MAX_BODY_SIZE, BATCH_MAX_SIZE, BATCH_MAX_WAIT_MS)


@dataclass
class ScoringOptions(ServeOptions):
    """``ServeOptions`` with the scoring server's options as typed attributes."""

    workers: int = WORKERS.default
    threads: int = THREADS.default
    timeout: float = TIMEOUT.default
    max_body_size: int = MAX_BODY_SIZE.default
    batch_max_size: int = BATCH_MAX_SIZE.default
    batch_max_wait_ms: float = BATCH_MAX_WAIT_MS.default

    @classmethod
    def of(cls, options: ServeOptions) -> ScoringOptions:
        """The typed view of ``options`` (an option missing from ``extra`` takes its default)."""
        if isinstance(options, cls):
            return options
        common = {f.name: getattr(options, f.name) for f in fields(ServeOptions)}
        ours = {o.dest: options.extra[o.dest] for o in OPTIONS if options.extra.get(o.dest) is not None}
        return cls(**common, **ours)
