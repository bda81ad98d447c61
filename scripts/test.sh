#!/usr/bin/env bash
# Every test: the Rust suites, then the official SDKs and CLIs against the
# real binary. Extra arguments go to pytest (e.g. -k cvm).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

cargo build --workspace --bins
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace
else
    cargo test --workspace
fi

target=$(cargo metadata --format-version 1 --no-deps 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])' 2>/dev/null) || target=""
target=${target:-$root/target}
venv=$("$root/scripts/python-env.sh" | tail -n 1)
STRATUS_BIN="$target/debug/stratus" "$venv/bin/python" -m pytest -q "$root/tests/python" "$@"
