#!/usr/bin/env bash
# System services and packages some test suites need: a Docker daemon (pyfunc-docker builds
# and runs real images) and a Java runtime (pyfunc-spark starts a local Spark). Idempotent.
# A missing piece is reported, and the tests that need it skip with the reason.
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v java >/dev/null 2>&1; then
    echo "system-setup: installing a Java runtime for pyspark"
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends default-jre-headless >/dev/null \
            || echo "system-setup: WARNING: could not install Java; Spark tests will skip" >&2
    else
        echo "system-setup: WARNING: not root, cannot install Java; Spark tests will skip" >&2
    fi
fi

bash dev/docker-setup.sh || echo "system-setup: WARNING: no Docker daemon; Docker tests will skip" >&2
