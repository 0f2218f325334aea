"""Environment managers: where a model's own requirements are installed and run.

This package is the toolkit an environment-manager plugin builds on; everything listed
in ``__all__`` is public (see docs/writing-a-plugin.md), the submodules are not. Names
are imported on first use, so importing the package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyfunc_core._lazy import lazy_exports

if TYPE_CHECKING:
    from pyfunc_core.envs.base import (
        Environment,
        EnvironmentManager,
        Reporter,
        run_forwarding_signals,
        stderr_reporter,
    )
    from pyfunc_core.envs.cache import CachedEnvironment, env_key, env_root, file_lock, get_or_build, step
    from pyfunc_core.envs.cached_manager import CachedEnvironmentManager, EnvironmentSpec
    from pyfunc_core.envs.host_distributions import (
        HostDistribution,
        host_distribution,
        install_arguments,
        local_wheel,
        model_distributions,
        pure_python,
        rebuild_wheel,
        without_distributions,
    )
    from pyfunc_core.envs.installer import find_uv, pip_install, run_tool
    from pyfunc_core.envs.lookup import get_env_manager, prepare, run_inside

_SOURCES: dict[str, tuple[str, ...]] = {
    "base": ("Environment", "EnvironmentManager", "Reporter", "run_forwarding_signals", "stderr_reporter"),
    "cache": ("CachedEnvironment", "env_key", "env_root", "file_lock", "get_or_build", "step"),
    "cached_manager": ("CachedEnvironmentManager", "EnvironmentSpec"),
    "host_distributions": (
        "HostDistribution",
        "host_distribution",
        "install_arguments",
        "local_wheel",
        "model_distributions",
        "pure_python",
        "rebuild_wheel",
        "without_distributions",
    ),
    "installer": ("find_uv", "pip_install", "run_tool"),
    "lookup": ("get_env_manager", "prepare", "run_inside"),
}

__all__ = [
    "CachedEnvironment",
    "CachedEnvironmentManager",
    "Environment",
    "EnvironmentManager",
    "EnvironmentSpec",
    "HostDistribution",
    "Reporter",
    "env_key",
    "env_root",
    "file_lock",
    "find_uv",
    "get_env_manager",
    "get_or_build",
    "host_distribution",
    "install_arguments",
    "local_wheel",
    "model_distributions",
    "pip_install",
    "prepare",
    "pure_python",
    "rebuild_wheel",
    "run_forwarding_signals",
    "run_inside",
    "run_tool",
    "stderr_reporter",
    "step",
    "without_distributions",
]


__getattr__, __dir__ = lazy_exports(__name__, _SOURCES)
