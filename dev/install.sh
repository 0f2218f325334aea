#!/usr/bin/env bash
# Install the whole tree for development into ./.venv: the core, every plugin (editable)
# and the test tools. Safe to run again; it only adds what is missing.
#
# uv does the install when it can: it links files from one cache instead of copying them, so
# the test suites' cached venvs (MLflow with the same TensorFlow, say) share those files on
# disk rather than holding another copy. pip is the fallback.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
args=(-e ./core)
for dir in plugins/*/; do
  [ -f "$dir/pyproject.toml" ] && args+=(-e "./$dir")
done
# uv is also a test tool (dev/requirements.txt), so bootstrapping it here costs nothing extra.
if PIP_NO_CACHE_DIR=1 .venv/bin/python -m pip install -q --upgrade pip 'uv>=0.4' && [ -x .venv/bin/uv ]; then
  # pyspark ships as a 400 MB sdist, which uv would keep unpacked (twice) beside the wheel it
  # builds: pip builds it in a temporary directory instead and keeps nothing.
  pyspark=$(grep -o '"pyspark[^"]*"' plugins/spark/pyproject.toml | tr -d '"')
  .venv/bin/python -m pip install -q --no-cache-dir "$pyspark"
  .venv/bin/uv pip install -q --python .venv/bin/python "${args[@]}" -r dev/requirements.txt
else
  echo "install: uv is unavailable; installing with pip" >&2
  .venv/bin/python -m pip install -q "${args[@]}" -r dev/requirements.txt
fi
# Editable installs leave our sources uncompiled, and PYTHONDONTWRITEBYTECODE (set on some
# machines) keeps Python from caching them: compile them as a wheel install would.
.venv/bin/python -m compileall -q core/src plugins/*/src > /dev/null
