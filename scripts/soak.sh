#!/usr/bin/env bash
# A bounded soak on this machine (loopback only): a fresh release server
# (`serve --ephemeral --speed $SPEED`), $INSTANCES instances per product, and
# `stratus bench --phase soak` (reboots interleaved with polls by id and
# pages of 20) for $DURATION seconds at $CONNECTIONS connections, through
# Lighthouse, then again through ZEC. The server's resident memory is
# sampled every $SAMPLE seconds; the run fails if any valid request failed
# or if memory in the last sample grew more than 10 % over the first sample
# taken after warm-up.
# Environment: DURATION (180), CONNECTIONS (64), INSTANCES (2000), SPEED (1000),
# SAMPLE (10), SKIP_BUILD=1 to reuse target/release/stratus.
set -euo pipefail

cd "$(dirname "$0")/.."

DURATION=${DURATION:-180}
CONNECTIONS=${CONNECTIONS:-64}
INSTANCES=${INSTANCES:-2000}
SPEED=${SPEED:-1000}
SAMPLE=${SAMPLE:-10}
BIN=target/release/stratus

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    cargo build --release -p stratus
fi

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
LOG=$(mktemp -t stratus-soak-serve.XXXXXX)
OUT=$(mktemp -t stratus-soak-bench.XXXXXX)
SAMPLES=$(mktemp -t stratus-soak-rss.XXXXXX)
"$BIN" serve --ephemeral --speed "$SPEED" --listen "127.0.0.1:$PORT" --log-level warn >"$LOG" 2>&1 &
SERVER_PID=$!
SAMPLER_PID=""
cleanup() {
    [[ -n "$SAMPLER_PID" ]] && kill "$SAMPLER_PID" 2>/dev/null || true
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    rm -f "$LOG" "$OUT" "$SAMPLES"
}
trap cleanup EXIT

for _ in $(seq 200); do
    curl -fs "$URL/_stratus/health" >/dev/null 2>&1 && break
    sleep 0.05
done

rss_kb() {
    awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"
}

half=$((DURATION / 2))
for product in lighthouse zec; do
    "$BIN" bench --product "$product" --target "$URL" --instances "$INSTANCES" --phase setup
done
echo "soak: ${DURATION} s in two halves (lighthouse, zec), $CONNECTIONS connections; VmRSS every ${SAMPLE} s:"
(
    start=$(date +%s)
    while sleep "$SAMPLE"; do
        kb=$(rss_kb)
        echo "$kb" >>"$SAMPLES"
        echo "  t=$(( $(date +%s) - start )) s  VmRSS $kb kB"
    done
) &
SAMPLER_PID=$!
for product in lighthouse zec; do
    "$BIN" bench --product "$product" --target "$URL" --connections "$CONNECTIONS" \
        --duration "$half" --instances "$INSTANCES" --phase soak | tee -a "$OUT"
done
kill "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=""
final=$(rss_kb)
echo "final VmRSS: $final kB"

if grep -E 'errors [1-9]' "$OUT" >/dev/null; then
    echo "soak FAILED: valid requests failed" >&2
    exit 1
fi
# The first sample is taken during warm-up; compare the second with the last.
if [[ $(wc -l <"$SAMPLES") -ge 3 ]]; then
    warm=$(sed -n 2p "$SAMPLES")
    last=$(tail -n 1 "$SAMPLES")
    echo "VmRSS after warm-up $warm kB, at the end $last kB"
    if (( last * 10 > warm * 11 )); then
        echo "soak FAILED: memory grew more than 10 % after warm-up" >&2
        exit 1
    fi
fi
if grep -qi panic "$LOG"; then
    echo "soak FAILED: the server panicked" >&2
    exit 1
fi
echo "soak passed: no errors, no panic"
