#!/usr/bin/env bash
# Install the tree, train the example iris model and serve it on http://127.0.0.1:5000.
set -euo pipefail
cd "$(dirname "$0")/.."
bash dev/install.sh
.venv/bin/python examples/train_iris.py examples/iris-model
cat <<MSG
Try, from another shell:
  curl -s http://127.0.0.1:${PORT:-5000}/invocations -H 'Content-Type: application/json' \
    -d @examples/iris-model/serving_input_example.json
MSG
exec .venv/bin/pyfunc-core serve -m examples/iris-model --host 127.0.0.1 --port "${PORT:-5000}" "$@"
