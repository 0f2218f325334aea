#!/usr/bin/env bash
# The README's test command: exactly what CI runs (.ci/run) — system services, ./.venv with
# every distribution, then pytest over core/tests, plugins and tests.
set -euo pipefail
exec bash "$(dirname "$0")/../.ci/run" "$@"
