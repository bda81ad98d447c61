#!/usr/bin/env bash
# Every test: the Rust suites, then the official SDKs and CLIs against the
# real binary, once on SQLite and once more on PostgreSQL (a throwaway
# server from the installed binaries, scripts/postgres.sh; skipped with the
# reason where PostgreSQL is not installed). Extra arguments go to pytest
# (e.g. -k cvm).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

nextest() {
    if cargo nextest --version >/dev/null 2>&1; then
        cargo nextest run "$@"
    else
        cargo test "$@"
    fi
}

cargo build --workspace --bins
nextest --workspace

target=$(cargo metadata --format-version 1 --no-deps 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])' 2>/dev/null) || target=""
target=${target:-$root/target}
venv=$("$root/scripts/python-env.sh" | tail -n 1)
export STRATUS_BIN="$target/debug/stratus"

# Both passes run even if the first fails; the script fails if either did.
failed=0
echo "== integration suite on SQLite"
# The cluster tests need PostgreSQL: they run in the pass below.
"$venv/bin/python" -m pytest -q "$root/tests/python" --ignore "$root/tests/python/test_cluster.py" "$@" || failed=1

echo "== integration suite on PostgreSQL"
# A server of this run's own, whatever else runs on the machine.
export STRATUS_PG_DIR="${TMPDIR:-/tmp}/stratus-pg-test-$$"
status=0
url=$("$root/scripts/postgres.sh" start) || status=$?
if [[ $status == 77 ]]; then
    echo "PostgreSQL pass skipped (see the reason above); SQLite was tested"
    exit "$failed"
elif [[ $status != 0 ]]; then
    exit "$status"
fi
trap '"$root/scripts/postgres.sh" stop' EXIT
export STRATUS_TEST_STORE=$url
nextest -p stratus-store --test postgres_store || failed=1
# The real-VM suites (test_vms_*.py) ran in the SQLite pass: the QEMU driver
# does not depend on the store, and VMs under TCG are this suite's slowest part.
"$venv/bin/python" -m pytest -q "$root/tests/python" --ignore-glob '*/test_vms_*' "$@" || failed=1
exit "$failed"
