#!/usr/bin/env bash
# Prints a Stratus configuration (TOML) that puts the tiny test image built
# by scripts/tiny-image.sh behind the Debian 12 image id of every product,
# with QEMU settings for a small host without KVM:
#   scripts/vm-config.sh IMAGE_DIR > vms.toml
#   stratus serve --driver qemu --config vms.toml
# IDS="id1 id2" replaces the image ids; MAX_VMS (6) and MEMORY_MB (128)
# size the host; BOOT_TIMEOUT (240 s) bounds a boot.
set -euo pipefail
if [[ $# -ne 1 ]]; then
    echo "usage: $0 IMAGE_DIR" >&2
    exit 2
fi
dir=$(cd "$1" && pwd)
for f in tiny.qcow2 vmlinuz initrd.img; do
    [[ -f $dir/$f ]] || { echo "$dir/$f is missing: run scripts/tiny-image.sh $1 first" >&2; exit 1; }
done
# Lighthouse, CVM (and the legacy API 2.0), ZEC and KEC: their Debian 12 images.
ids=${IDS:-"lhbp-d12t5w3e img-eb30mz89 debian12_20240715 IMG-b4768cb8-c9e4-56a9-9fad-37120aca8c0d"}
quoted=$(printf '"%s", ' $ids)
cat <<TOML
[[images]]
file = "$dir/tiny.qcow2"
kernel = "$dir/vmlinuz"
initrd = "$dir/initrd.img"
append = "console=ttyS0 root=/dev/vda rw quiet"
ids = [${quoted%, }]

[qemu]
accelerator = "tcg"
memory_mb = ${MEMORY_MB:-128}
max_cpus = 1
max_vms = ${MAX_VMS:-6}
boot_timeout = ${BOOT_TIMEOUT:-240}
powerdown_timeout = 30
TOML
