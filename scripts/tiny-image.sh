#!/usr/bin/env bash
# The tiny test image for real-VM tests, built from Debian packages only
# (apt-get download + dpkg-deb -x; nothing is installed on the host beyond
# what scripts/qemu-host.sh installs, nothing is mounted):
#
#   scripts/tiny-image.sh OUT_DIR
#
# OUT_DIR/vmlinuz      Debian's cloud kernel (linux-image-cloud-amd64)
# OUT_DIR/initrd.img   busybox initramfs: virtio disk, mount /dev/vda, switch_root
# OUT_DIR/tiny.qcow2   the root filesystem: ext4 on the whole disk (no partition
#                      table), 64 MiB virtual; busybox, dropbear, resize2fs and a
#                      toy NoCloud cloud-init (scripts/tiny-image/rcS, which
#                      documents the seed it reads and the serial lines it prints)
# OUT_DIR/image.env    KEY=value lines: the kernel command line, the build key...
# OUT_DIR/stamp        the build key; the build is complete when it is there
#
# Boot it with
#   -kernel OUT_DIR/vmlinuz -initrd OUT_DIR/initrd.img
#   -append "console=ttyS0 root=/dev/vda rw quiet"
#   -drive file=<qcow2 overlay over tiny.qcow2>,if=virtio,format=qcow2
# and a NoCloud seed as the second virtio disk (scripts/tiny-image-smoke.sh).
# Use -m 128: below 72 MiB this kernel hangs without a word.
#
# Cached and idempotent: the .debs are kept in
# ${STRATUS_CACHE:-$HOME/.cache/stratus}/debs, and the key is the sha256 of
# this script, the guest files in scripts/tiny-image/ and the resolved package
# files; when OUT_DIR's stamp has that key, nothing is done. Apt is not even
# asked while its package lists are unchanged since the last build. A build
# happens in a temporary directory inside OUT_DIR, and the stamp is written
# last. Do not rebuild under running VMs: their overlays name tiny.qcow2 as
# backing file, and a rebuild replaces it.
#
# Exits 77 (the conventional "skipped") with the reason on stderr when the
# host tools cannot be installed or the packages cannot be downloaded.
set -euo pipefail

if [[ $# != 1 ]]; then
    echo "usage: $0 OUT_DIR" >&2
    exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
self=$root/scripts/tiny-image.sh
guest=$root/scripts/tiny-image
status=0
"$root/scripts/qemu-host.sh" || status=$?
[[ $status == 0 ]] || exit "$status"
export PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
export LC_ALL=C

append="console=ttyS0 root=/dev/vda rw quiet"
disk_mib=64
cache=${STRATUS_CACHE:-$HOME/.cache/stratus}/debs
mkdir -p "$1" "$cache"
out=$(cd "$1" && pwd)
outputs=(vmlinuz initrd.img tiny.qcow2 image.env)

skip() {
    echo "tiny-image: $*" >&2
    exit 77
}
die() {
    echo "tiny-image: $*" >&2
    exit 1
}

# One build per OUT_DIR at a time; a second caller waits and then finds it done.
exec 9>"$out/.lock"
flock 9

# The build's inputs on this side of apt: this script and the guest files, by
# name and content (not by path: the checkout may move).
sources() {
    local f
    for f in "$self" "$guest"/*; do
        printf '%s %s\n' "${f##*/}" "$(sha256sum <"$f" | cut -d' ' -f1)"
    done
}
# Apt's view: while these are unchanged, the resolved packages are too.
apt_state() {
    stat -c '%n %s %Y' /var/lib/apt/lists/*Packages* /etc/apt/sources.list \
        /etc/apt/sources.list.d/* /etc/apt/preferences /etc/apt/preferences.d/* 2>/dev/null || true
}
done_with() { # key_name key_value
    [[ -f $out/stamp ]] && grep -qx "$1=$2" "$out/stamp" || return 1
    local f
    for f in "${outputs[@]}"; do [[ -s $out/$f ]] || return 1; done
}

src=$(sources)
quick=$( (echo "$src" && apt_state) | sha256sum | cut -d' ' -f1)
done_with quick "$quick" && exit 0

# ---- resolve the packages ----------------------------------------------------
t0=$(date +%s%N)
resolve_kernel() {
    apt-cache depends linux-image-cloud-amd64 2>/dev/null \
        | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}
kpkg=$(resolve_kernel)
if [[ -z $kpkg && $(id -u) == 0 ]]; then
    apt-get -q -o DPkg::Lock::Timeout=600 update >&2 || true
    kpkg=$(resolve_kernel)
fi
[[ -n $kpkg ]] || skip "apt cannot resolve linux-image-cloud-amd64 (no package lists? run apt-get update)"
# The guest's userland: busybox, dropbear, resize2fs, and every library they
# load (checked below: a library from outside these packages fails the build).
pkgs=("$kpkg" busybox-static dropbear-bin libtomcrypt1 libtommath1 e2fsprogs libext2fs2
    libcom-err2 libblkid1 libuuid1 libc6 zlib1g libcrypt1 libgmp10)
# 'URL' FILE SIZE SHA256:HEX, one line a package
uris=$(apt-get download --print-uris "${pkgs[@]}" 2>&1) || skip "apt cannot resolve ${pkgs[*]}: $uris"
files=$(echo "$uris" | awk '/^\047/ { sub(/^SHA256:/, "", $4); print $2, $4 }' | sort)
[[ $(echo "$files" | wc -l) == "${#pkgs[@]}" ]] || die "expected ${#pkgs[@]} packages, apt gave: $uris"
key=$( (echo "$src" && echo "$files") | sha256sum | cut -d' ' -f1)
if done_with key "$key"; then
    printf 'key=%s\nquick=%s\n' "$key" "$quick" >"$out/stamp.new"
    mv -f "$out/stamp.new" "$out/stamp"
    exit 0
fi

# ---- fetch (cached) ----------------------------------------------------------
sha_ok() { [[ -f $1 ]] && [[ $(sha256sum <"$1" | cut -d' ' -f1) == "$2" ]]; }
want=()
while read -r file sha; do
    sha_ok "$cache/$file" "$sha" || want+=("${file%%_*}")
done <<<"$files"
if [[ ${#want[@]} -gt 0 ]]; then
    echo "tiny-image: downloading ${want[*]}" >&2
    dl=$(mktemp -d "$cache/.dl.XXXXXX")
    sandbox=()
    [[ $(id -u) == 0 ]] && sandbox=(-o APT::Sandbox::User=root)
    (cd "$dl" && apt-get -q "${sandbox[@]}" download "${want[@]}" >&2) \
        || { rm -rf "$dl"; skip "apt-get download ${want[*]} failed"; }
    while read -r file sha; do
        [[ -f $dl/$file ]] || continue
        sha_ok "$dl/$file" "$sha" || { rm -rf "$dl"; die "$file: sha256 differs from apt's"; }
        mv -f "$dl/$file" "$cache/$file"
    done <<<"$files"
    rm -rf "$dl"
fi
deb() { # package name -> cached .deb
    local file
    file=$(echo "$files" | awk -v p="$1" 'index($1, p "_") == 1 { print $1; exit }')
    echo "$cache/$file"
}

# ---- build -------------------------------------------------------------------
rm -rf "$out"/.build.* # left by a build that was killed (we hold the lock)
b=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$b"' EXIT
k=$b/kernel x=$b/sysroot ir=$b/initramfs r=$b/rootfs
mkdir -p "$k" "$x" "$ir" "$r" "$b/out"
dpkg-deb -x "$(deb "$kpkg")" "$k"
for p in "${pkgs[@]:1}"; do dpkg-deb -x "$(deb "$p")" "$x"; done
kver=$(ls "$k/lib/modules")
[[ -f $k/boot/vmlinuz-$kver ]] || die "no kernel in $kpkg"
cp "$k/boot/vmlinuz-$kver" "$b/out/vmlinuz"
bb=$x/bin/busybox
kmods=$k/lib/modules/$kver
"$bb" depmod -b "$k" "$kver"

# Copy kernel modules and what they depend on into a tree; built-in ones are
# skipped.
copy_mods() { # dest module...
    local dest=$1 m re p f
    shift
    for m in "$@"; do
        re=${m//[-_]/[-_]}
        if grep -qE "(^|/)$re\.ko$" "$kmods/modules.builtin"; then continue; fi
        p=$(awk -F: -v re="(^|/)$re[.]ko\$" '$1 ~ re { print; exit }' "$kmods/modules.dep")
        [[ -n $p ]] || die "kernel module $m not found in $kpkg"
        for f in ${p/:/ }; do
            f=${f#/lib/modules/$kver/}
            install -D -m 644 "$kmods/$f" "$dest/lib/modules/$kver/$f"
        done
    done
    cp "$kmods/modules.builtin" "$kmods/modules.order" "$dest/lib/modules/$kver/"
    "$bb" depmod -b "$dest" "$kver"
}

# initramfs
mkdir -p "$ir"/{bin,dev,proc,sys,newroot}
cp "$bb" "$ir/bin/busybox"
install -m 755 "$guest/init" "$ir/init"
copy_mods "$ir" virtio_pci virtio_blk
(cd "$ir" && find . | sort | cpio -o -H newc -R 0:0 --quiet | gzip -9n) >"$b/out/initrd.img"

# root filesystem tree
mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,run,tmp,root,mnt/seed,lib64} \
    "$r"/etc/{init.d,acpi/PWRF,udhcpc,dropbear} "$r"/var/{lib/cloud,log} "$r/lib/x86_64-linux-gnu"
chmod 1777 "$r/tmp"
chmod 700 "$r/root"
cp "$bb" "$r/bin/busybox"
for app in $("$bb" --list-full); do
    [[ -e $r/$app || -L $r/$app ]] || ln -s /bin/busybox "$r/$app"
done
copy_mods "$r" virtio_net virtio-rng button evdev isofs vfat nls_cp437 nls_ascii nls_utf8
install -m 755 "$x/usr/sbin/dropbear" "$r/usr/sbin/dropbear"
install -m 755 "$x/usr/bin/dropbearkey" "$r/usr/bin/dropbearkey"
install -m 755 "$x/sbin/resize2fs" "$r/sbin/resize2fs"
# Their libraries, resolved by the packages' own loader against the packages'
# own libraries only.
ldso=$x/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
for bin in "$r/usr/sbin/dropbear" "$r/usr/bin/dropbearkey" "$r/sbin/resize2fs"; do
    "$ldso" --library-path "$x/lib/x86_64-linux-gnu:$x/usr/lib/x86_64-linux-gnu" --list "$bin" \
        || die "cannot resolve the libraries of ${bin##*/}"
done | awk '$2 == "=>" { print $1, $3 }' | sort -u | while read -r lib path; do
    case $lib in ld-linux-*) continue ;; esac
    case $path in
        "$x"/*) install -D -m 644 "$(readlink -f "$path")" "$r${path#"$x"}" ;;
        *) die "${lib} comes from outside the listed packages ($path): add its package" ;;
    esac
done
install -m 755 "$(readlink -f "$ldso")" "$r/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$r/lib64/ld-linux-x86-64.so.2"

echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
echo 'root:x:0:' >"$r/etc/group"
echo 'root:*:19000:0:99999:7:::' >"$r/etc/shadow"
chmod 600 "$r/etc/shadow"
printf '/bin/sh\n/bin/ash\n' >"$r/etc/shells"
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n' >"$r/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n' >"$r/etc/hosts"
echo ttyS0 >"$r/etc/securetty"
echo tinyimg >"$r/etc/hostname"
printf 'NAME="tinyimg"\nID=tinyimg\nVERSION_ID=1\nTINYIMG_KEY=%s\nTINYIMG_KERNEL=%s\n' "$key" "$kver" >"$r/etc/os-release"
ln -s /proc/mounts "$r/etc/mtab"
ln -s /run "$r/var/run"
install -m 644 "$guest/inittab" "$r/etc/inittab"
install -m 755 "$guest/rcS" "$r/etc/init.d/rcS"
install -m 755 "$guest/rcK" "$r/etc/init.d/rcK"
install -m 755 "$guest/power-button" "$r/etc/acpi/PWRF/00000080"
install -m 755 "$guest/udhcpc.script" "$r/etc/udhcpc/default.script"
# The image is already as big as its disk: no grow on a same-size overlay.
echo $((disk_mib * 1024 * 1024)) >"$r/var/lib/grown-bytes"

# ext4 image without mounting (mkfs.ext4 -d). 4 KiB blocks and 256-byte inodes
# whatever the size (mke2fs would pick 1 KiB blocks, 128-byte inodes for a
# "small" 64 MiB filesystem). No -E resize=: reserving more descriptor blocks
# than the default makes the online grow need more journal credits than the
# small journal has ("JBD2: resize2fs wants too many credits").
mkfs.ext4 -q -F -L tinyroot -b 4096 -I 256 -i 16384 -E root_owner=0:0 \
    -d "$r" "$b/root.raw" "${disk_mib}M" >/dev/null
if [[ $(id -u) != 0 ]]; then
    # mkfs.ext4 -d copies owners: make everything root's, as if built by root.
    (cd "$r" && find . -mindepth 1 | sed 's|^\.||; s|.*|sif & uid 0\nsif & gid 0|') >"$b/owners.debugfs"
    debugfs -w -f "$b/owners.debugfs" "$b/root.raw" >/dev/null 2>&1 || die "debugfs could not set owners"
fi
qemu-img convert -f raw -O qcow2 "$b/root.raw" "$b/out/tiny.qcow2"

cat >"$b/out/image.env" <<EOF
# Written by scripts/tiny-image.sh; KEY=value, values with spaces in double quotes.
TINYIMG_KEY=$key
TINYIMG_KERNEL=vmlinuz
TINYIMG_INITRD=initrd.img
TINYIMG_DISK=tiny.qcow2
TINYIMG_DISK_BYTES=$((disk_mib * 1024 * 1024))
TINYIMG_APPEND="$append"
TINYIMG_KERNEL_VERSION=$kver
TINYIMG_MEM_MIB=128
TINYIMG_READY_MARKER=TINYIMG-READY
TINYIMG_PACKAGES="$(echo "$files" | awk '{ print $1 }' | tr '\n' ' ' | sed 's/ $//')"
EOF

# Into place: the stamp goes first and comes back last, so a build that
# stops half way is never taken for a finished one.
rm -f "$out/stamp"
for f in "${outputs[@]}"; do mv -f "$b/out/$f" "$out/$f"; done
printf 'key=%s\nquick=%s\n' "$key" "$quick" >"$out/stamp.new"
mv -f "$out/stamp.new" "$out/stamp"
echo "tiny-image: built $out ($kver, key ${key:0:12}) in $((($(date +%s%N) - t0) / 1000000)) ms" >&2
