#!/usr/bin/env bash
# Serve the bundled example on http://127.0.0.1:${PORT:-5000}: a scikit-learn pipeline trained
# on the iris data that ships with scikit-learn (nothing is downloaded at run time).
#
# The first run installs only what the example needs (pyfunc-core, pyfunc-sklearn and
# pyfunc-scoring-server, with their dependencies) into examples/.venv and trains the model
# into examples/iris-model. Later runs reuse both and start serving in a few seconds; a change
# to our sources reinstalls, a change to train_iris.py retrains. Extra arguments go to
# `pyfunc-core serve` (e.g. `bash examples/serve.sh --workers 2`).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
PORT=${PORT:-5000}
venv=examples/.venv
model=examples/iris-model
parts=(core plugins/sklearn plugins/scoring_server)

# What is installed is recorded as a hash of the sources it was built from.
sources_hash() {
    { find "${parts[@]/%//src}" -type f \( -name '*.py' -o -name '*.c' \)
      for part in "${parts[@]}"; do ls "$part"/pyproject.toml "$part"/setup.py 2>/dev/null || true; done; } \
        | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1
}
want=$(sources_hash)
if [ "$(cat "$venv/.installed" 2>/dev/null)" != "$want" ]; then
    echo "example: installing pyfunc-core, pyfunc-sklearn and pyfunc-scoring-server into $venv" >&2
    [ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "${parts[@]/#/./}"
    echo "$want" > "$venv/.installed"
    rm -rf "$model"  # saved by the previous install's plugins: train again with these
fi
if [ ! -f "$model/MLmodel" ] || [ examples/train_iris.py -nt "$model/MLmodel" ]; then
    "$venv/bin/python" examples/train_iris.py "$model"
fi

cat >&2 <<MSG
Try, from another shell:
  curl -s http://127.0.0.1:$PORT/invocations -H 'Content-Type: application/json' \\
    -d @$model/serving_input_example.json
MSG
exec "$venv/bin/pyfunc-core" serve -m "$model" --host 127.0.0.1 --port "$PORT" "$@"
