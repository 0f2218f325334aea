#!/usr/bin/env bash
# Install everything the tests need (system services, then ./.venv), then run the whole test
# suite: core, every plugin, and the cross-package tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash dev/system-setup.sh
bash dev/install.sh
exec .venv/bin/python -m pytest "$@"
