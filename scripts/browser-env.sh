#!/usr/bin/env bash
# Installs (once, idempotently) Debian's Chromium and ChromeDriver for the
# console's browser tests. Prints the chromedriver path last; exits 77 with
# the reason where they cannot be installed (no apt, not root).
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    echo /usr/bin/chromedriver
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium cannot be installed here: no apt-get" >&2
    exit 77
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; else
        echo "chromium cannot be installed here: not root and no sudo" >&2
        exit 77
    fi
fi
lock=/tmp/stratus-browser-env.lock
exec 9>"$lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    echo "installing Debian's chromium and chromium-driver" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq >&2 || true
    $sudo apt-get install -y -qq chromium chromium-driver >&2
fi
echo /usr/bin/chromedriver
