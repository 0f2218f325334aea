#!/usr/bin/env bash
# Install everything the tests need, then run the whole test suite (core, plugins, cross-package).
set -euo pipefail
cd "$(dirname "$0")/.."
bash dev/install.sh
exec .venv/bin/python -m pytest "$@"
