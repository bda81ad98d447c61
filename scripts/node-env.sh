#!/usr/bin/env bash
# Installs (once) the Node packages the tests drive (tests/node/package.json),
# outside the clone and keyed by that file, so a warm machine reuses them.
# Prints the directory holding node_modules last; exits 77 (with the reason)
# where node or npm is not installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
manifest="$root/tests/node/package.json"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "node and npm are not installed" >&2
    exit 77
fi
key=$(sha256sum "$manifest" | cut -c1-12)
dir="${XDG_CACHE_HOME:-$HOME/.cache}/stratus/node-$key"
mkdir -p "$(dirname "$dir")"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$dir.lock"
    flock 9
fi
if [ ! -f "$dir/.complete" ]; then
    echo "installing the test Node packages in $dir" >&2
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$manifest" "$dir/package.json"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error >&2)
    touch "$dir/.complete"
fi
echo "$dir"
