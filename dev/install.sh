#!/usr/bin/env bash
# Install the whole tree for development into ./.venv: the core, every plugin (editable)
# and the test tools. Safe to run again; it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
args=(-e ./core)
for dir in plugins/*/; do
  [ -f "$dir/pyproject.toml" ] && args+=(-e "./$dir")
done
.venv/bin/python -m pip install -q "${args[@]}" -r dev/requirements.txt
# Editable installs leave our sources uncompiled, and PYTHONDONTWRITEBYTECODE (set on some
# machines) keeps Python from caching them: compile them as a wheel install would.
.venv/bin/python -m compileall -q core/src plugins/*/src > /dev/null
