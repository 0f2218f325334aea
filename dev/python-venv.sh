#!/usr/bin/env bash
# Build (or reuse) ./.venv-pyX.Y: Python X.Y with the core, the scoring server and the sklearn
# plugin installed editable, plus what their tests need. .ci/run runs those three suites in it.
#
#   bash dev/python-venv.sh 3.9            newest dependency versions that install on 3.9
#   bash dev/python-venv.sh 3.9 lowest     each of our direct dependencies at its lower bound
#                                          (./.venv-py3.9-lowest): proves the bounds are honest
#
# The interpreter is the newest pyenv X.Y.* under $(pyenv root) (default ~/.pyenv), else
# pythonX.Y on PATH. The venv is reused while its stamp (interpreter, mode, pyproject files,
# this script) matches, else rebuilt. Prints the venv's path as the last line of stdout.
# Exit status 3: no Python X.Y on this machine.
set -euo pipefail
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$0")/.."

version=${1:?usage: dev/python-venv.sh X.Y [lowest]}
mode=${2:-highest}
case "$mode" in highest | lowest) ;; *) echo "python-venv: unknown mode '$mode' (highest or lowest)" >&2; exit 2 ;; esac
venv=.venv-py$version
resolution=highest
if [ "$mode" = lowest ]; then
    venv=$venv-lowest
    resolution=lowest-direct # only our direct dependencies at their floor; what they pull in, newest
fi

# The test tools: dev/requirements.txt less what only the other plugins' suites or the
# development venv need (pinned or bounded below there, so the lowest mode stays sane).
NOT_HERE='^[[:space:]]*(tensorflow-cpu|xgboost|lightgbm|ruff|build|virtualenv|uv)([^a-zA-Z0-9_.-]|$)'
DISTRIBUTIONS=(-e "./core[fast,parquet]" -e ./plugins/scoring_server -e ./plugins/sklearn)

find_python() {
    local root candidate
    root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
    for candidate in $(ls -d "$root/versions/$version".* 2>/dev/null | sort -V -r) "$(command -v "python$version" || true)"; do
        [ -d "$candidate" ] && candidate=$candidate/bin/python$version
        [ -n "$candidate" ] && [ -x "$candidate" ] || continue
        if "$candidate" -c "import sys, venv; sys.exit(sys.version_info[:2] != tuple(map(int, '$version'.split('.'))))" 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

python=$(find_python) || {
    echo "python-venv: no Python $version found (looked in $(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")/versions and for python$version on PATH)" >&2
    exit 3
}

uv=""
if [ -x .venv/bin/uv ]; then uv=.venv/bin/uv; elif command -v uv >/dev/null 2>&1; then uv=$(command -v uv); fi
if [ "$mode" = lowest ] && [ -z "$uv" ]; then
    echo "python-venv: the lowest mode needs uv (bash dev/install.sh puts it in ./.venv)" >&2
    exit 2
fi

stamp=$( {
    echo "$python"
    "$python" -VV
    echo "$mode ${DISTRIBUTIONS[*]}"
    grep -vE "$NOT_HERE" dev/requirements.txt
    cat core/pyproject.toml plugins/scoring_server/pyproject.toml plugins/sklearn/pyproject.toml "$self"
} | sha256sum | cut -d' ' -f1)

if [ -f "$venv/.pyfunc-stamp" ] && [ "$(cat "$venv/.pyfunc-stamp")" = "$stamp" ] && "$venv/bin/python" -c "import pyfunc_core" 2>/dev/null; then
    echo "python-venv: reusing $venv ($("$venv/bin/python" -V 2>&1), $mode)" >&2
else
    echo "python-venv: building $venv from $python ($mode)" >&2
    rm -rf "$venv"
    reqs=$(mktemp)
    trap 'rm -f "$reqs"' EXIT
    grep -vE "$NOT_HERE" dev/requirements.txt >"$reqs"
    if [ -n "$uv" ]; then
        # --seed: pip in the venv, which some tests run to build wheels.
        UV_PYTHON_DOWNLOADS=never "$uv" venv -q --seed --python "$python" "$venv"
        "$uv" pip install -q --python "$venv/bin/python" --resolution "$resolution" "${DISTRIBUTIONS[@]}" -r "$reqs"
    else
        "$python" -m venv "$venv"
        "$venv/bin/python" -m pip install -q "${DISTRIBUTIONS[@]}" -r "$reqs"
    fi
    "$venv/bin/python" -m compileall -q core/src plugins/scoring_server/src plugins/sklearn/src >/dev/null
    echo "$stamp" >"$venv/.pyfunc-stamp"
fi
echo "$venv"
