#!/usr/bin/env bash
# Creates (once) the virtualenv with the official vendor clients the tests
# drive, outside the clone and keyed by the pinned requirements, so a warm
# machine reuses it and a fresh one builds it. Prints the venv path last.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
requirements="$root/tests/python/requirements.txt"
key=$(sha256sum "$requirements" | cut -c1-12)
venv="${XDG_CACHE_HOME:-$HOME/.cache}/stratus/venv-$key"
mkdir -p "$(dirname "$venv")"
# Two test runs starting at once must not build the same venv together.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$venv.lock"
    flock 9
fi
if [ ! -f "$venv/.complete" ]; then
    echo "creating the test virtualenv in $venv" >&2
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
    touch "$venv/.complete"
fi
echo "$venv"
