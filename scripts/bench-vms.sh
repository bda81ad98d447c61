#!/usr/bin/env bash
# Benchmarks real VMs (QEMU driver, TCG, the tiny test image) on this
# machine and prints figures; it asserts nothing about time:
#   - the reference: a bare QEMU boot of the same image to its SSH banner,
#     with no Stratus in the way (the peer every figure is divided by);
#   - through the official ZEC SDK, at 20 GiB and at 2 TiB system disks:
#     create, reboot and reinstall, each from the API call to the moment
#     the new credentials log in over SSH;
#   - the disk step of a reinstall alone, as the driver logged it.
# Environment: ROUNDS (3), SKIP_BUILD=1 to reuse target/release/stratus.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    cargo build --release -p stratus
fi
venv=$("$root/scripts/python-env.sh" | tail -n 1)
STRATUS_BIN="$root/target/release/stratus" PYTHONPATH="$root/tests/python" \
    exec "$venv/bin/python" "$root/scripts/bench_vms.py" "$@"
