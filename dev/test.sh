#!/usr/bin/env bash
# The README's test command: exactly what CI runs (.ci/run) — system services, ./.venv with
# every distribution, pytest over core/tests, plugins and tests, then the core, scoring-server
# and sklearn suites on Python 3.9, 3.10, 3.12, 3.13 and 3.9 at our dependencies' lower bounds.
set -euo pipefail
exec bash "$(dirname "$0")/../.ci/run" "$@"
