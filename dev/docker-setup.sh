#!/usr/bin/env bash
# Make a Docker daemon available for the pyfunc-docker tests (idempotent).
#
# Installs Debian's docker.io (daemon + CLI) and debootstrap (the tests build their base
# image with it, since no registry is reachable), then starts dockerd in the background
# when `docker info` cannot reach one. Needs root (or passwordless sudo).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
        echo "docker-setup: not root and no sudo; cannot install or start Docker" >&2
        exit 1
    fi
fi

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ "${#missing[@]}" -gt 0 ]; then
    echo "docker-setup: installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if docker info >/dev/null 2>&1; then
    echo "docker-setup: a Docker daemon is already running"
    exit 0
fi

log=/tmp/pyfunc-dockerd.log
echo "docker-setup: starting dockerd (log: $log)"
# setsid: the daemon outlives this script and is not killed with the caller's process group.
$SUDO setsid dockerd >"$log" 2>&1 < /dev/null &
for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
        echo "docker-setup: dockerd is up"
        exit 0
    fi
    sleep 1
done
echo "docker-setup: dockerd did not answer within 60s; last log lines:" >&2
tail -n 20 "$log" >&2 || true
exit 1
