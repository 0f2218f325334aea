"""Environment managers: where a model's own requirements are installed and run."""

from pyfunc_core.envs.base import (
    Environment,
    EnvironmentManager,
    Reporter,
    run_forwarding_signals,
    stderr_reporter,
)

__all__ = ["Environment", "EnvironmentManager", "Reporter", "run_forwarding_signals", "stderr_reporter"]
