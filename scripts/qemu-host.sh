#!/usr/bin/env bash
# The host side of the real-VM tests: QEMU (Debian 12's own qemu-system-x86,
# TCG is enough) and the tools that build the tiny test image and its seeds
# (scripts/tiny-image.sh) and talk to a booted VM (ssh, QMP from python3).
#
#   scripts/qemu-host.sh     install whatever is missing, as root, with apt-get
#
# Idempotent and quick: a package is installed only when its command is
# missing, and `apt-get update` runs only when something must be installed, so
# on a ready machine this does nothing (and prints nothing on stdout).
# Exits 77 (the conventional "skipped") with the reason on stderr when it
# cannot install what is missing (not root, no apt-get, apt-get failed).
set -euo pipefail

# The sbin directories hold mkfs.ext4; they are not on every user's PATH.
export PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

# command -> the Debian 12 package that provides it
needs=(
    qemu-system-x86_64:qemu-system-x86
    qemu-img:qemu-utils
    genisoimage:genisoimage
    cpio:cpio
    gzip:gzip
    mkfs.ext4:e2fsprogs
    dpkg-deb:dpkg
    ssh:openssh-client
    ssh-keygen:openssh-client
    openssl:openssl
    python3:python3
    flock:util-linux
)

missing_packages() {
    local need cmd pkg out=()
    for need in "${needs[@]}"; do
        cmd=${need%%:*} pkg=${need#*:}
        if ! command -v "$cmd" >/dev/null 2>&1; then
            [[ " ${out[*]} " == *" $pkg "* ]] || out+=("$pkg")
        fi
    done
    echo "${out[*]}"
}

missing=$(missing_packages)
[[ -z $missing ]] && exit 0

skip() {
    echo "qemu-host: $*" >&2
    exit 77
}
[[ $(id -u) == 0 ]] || skip "missing $missing, and installing needs root (run: sudo $0)"
command -v apt-get >/dev/null 2>&1 || skip "missing $missing, and there is no apt-get (Debian 12 expected)"

apt=(apt-get -q -o DPkg::Lock::Timeout=600)
export DEBIAN_FRONTEND=noninteractive
# apt's progress goes to stderr: stdout stays empty.
"${apt[@]}" update >&2 || skip "apt-get update failed"
installed=""
# Two rounds: installing bookworm's qemu-system-x86 7.2 removes a newer
# qemu-utils (e.g. one from backports), and the second round puts back
# bookworm's qemu-utils 7.2 that matches it.
for round in 1 2; do
    echo "qemu-host: installing $missing" >&2
    # shellcheck disable=SC2086 # a list of package names
    "${apt[@]}" install -y --no-install-recommends $missing >&2 \
        || skip "apt-get install $missing failed"
    installed="$installed $missing"
    missing=$(missing_packages)
    [[ -z $missing ]] && break
done
[[ -z $missing ]] || skip "still missing after installing:$installed: $missing"
echo "qemu-host: installed$installed" >&2
