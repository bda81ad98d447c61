#!/usr/bin/env bash
# Proof that the tiny image (scripts/tiny-image.sh) does what the real-VM
# tests need, on this machine, under TCG:
#
#   scripts/tiny-image-smoke.sh OUT_DIR     (QUICK=1: the first boot only;
#                                            KEEP=1: keep the logs on success)
#
# Builds the image if needed, then boots one VM four times on one 2 GiB qcow2
# overlay, each time with a NoCloud seed (written here the way the control
# plane writes it: meta-data + #cloud-config user-data, MIME multipart when
# there is tenant user data):
#   1. seed A (key 1, password 1, a #!/bin/sh user-data): ssh with the key and
#      with the password, boot-count 1, / grown to ~2 GiB, user-data ran;
#   2. seed A again: boot-count 2, nothing re-applied, no second grow;
#   3. seed B, a new instance-id (key 2, password 2): key 1 and password 1 are
#      refused, key 2 and password 2 work;
#   4. seed C (password 3, no keys): authorized_keys is empty, key 2 refused.
# After each boot, QMP system_powerdown must make qemu exit within 30 s.
# Exits non-zero on the first failure (77 when the host cannot run it), and
# leaves its directory (serial logs, seeds) for a look on failure.
set -euo pipefail

if [[ $# != 1 ]]; then
    echo "usage: $0 OUT_DIR" >&2
    exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
"$root/scripts/tiny-image.sh" "$1" || status=$?
[[ $status == 0 ]] || exit "$status"
img=$(cd "$1" && pwd)
append=$(sed -n 's/^TINYIMG_APPEND="\(.*\)"$/\1/p' "$img/image.env")

work=$(mktemp -d "${TMPDIR:-/tmp}/tiny-smoke.XXXXXX")
qpid=
keep=1
cleanup() {
    if [[ -n $qpid ]]; then
        kill "$qpid" 2>/dev/null || true
        for _ in $(seq 50); do alive "$qpid" || break; sleep 0.1; done
        kill -9 "$qpid" 2>/dev/null || true
        wait "$qpid" 2>/dev/null || true
    fi
    if [[ $keep == 1 ]]; then echo "# left for a look: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

now_ms() { echo $(($(date +%s%N) / 1000000)); }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }
alive() { # a zombie counts as gone
    local st
    st=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
    [[ -n $st && $st != Z ]]
}
serial=
fail() {
    echo "FAIL: $*"
    if [[ -n $serial && -f $serial ]]; then
        echo "# last lines of $serial:"
        tail -n 30 "$serial" | sed 's/^/#   /'
    fi
    exit 1
}
ok() { echo "ok - $*"; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ssh_base=(-p "$port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
    -o ConnectTimeout=2 -o LogLevel=ERROR root@127.0.0.1)
ssh_key() { # key cmd
    timeout 30 ssh -i "$1" -o IdentitiesOnly=yes -o BatchMode=yes -o PasswordAuthentication=no \
        "${ssh_base[@]}" "$2" </dev/null
}
printf '#!/bin/sh\ncat "%s/password"\n' "$work" >"$work/askpass"
chmod 700 "$work/askpass"
ssh_password() { # password cmd
    printf '%s\n' "$1" >"$work/password"
    SSH_ASKPASS=$work/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=none \
        timeout 30 ssh -o PubkeyAuthentication=no -o PreferredAuthentications=password \
        -o NumberOfPasswordPrompts=1 "${ssh_base[@]}" "$2" </dev/null
}

# A NoCloud seed as the control plane writes it (see scripts/tiny-image/rcS).
make_seed() { # out instance-id hostname password-hash keys-file [user-data-file]
    local d=$work/seed-$2 boundary
    mkdir -p "$d"
    {
        echo "instance-id: $2"
        echo "local-hostname: $3"
        if [[ -s $5 ]]; then
            echo "public-keys:"
            sed 's/^/  - /' "$5"
        fi
    } >"$d/meta-data"
    {
        echo "#cloud-config"
        echo "disable_root: false"
        echo "ssh_pwauth: true"
        echo "users:"
        echo "  - name: root"
        if [[ -n $4 ]]; then
            echo "    hashed_passwd: '$4'"
            echo "    lock_passwd: false"
        fi
        if [[ -s $5 ]]; then
            echo "    ssh_authorized_keys:"
            sed 's/^/      - /' "$5"
        fi
    } >"$d/cloud-config"
    if [[ -z ${6:-} ]]; then
        cp "$d/cloud-config" "$d/user-data"
    else
        boundary="==BOUNDARY-$2=="
        {
            echo "Content-Type: multipart/mixed; boundary=\"$boundary\""
            echo "MIME-Version: 1.0"
            echo
            echo "--$boundary"
            echo 'Content-Type: text/cloud-config; charset="utf-8"'
            echo
            cat "$d/cloud-config"
            echo
            echo "--$boundary"
            echo 'Content-Type: text/x-shellscript; charset="utf-8"'
            echo
            cat "$6"
            echo
            echo "--$boundary--"
        } >"$d/user-data"
    fi
    genisoimage -quiet -output "$1" -volid cidata -joliet -rock "$d/user-data" "$d/meta-data"
}

t_start=
boot() { # n seed.iso
    serial=$work/serial-$1.log
    rm -f "$work/qmp.sock"
    local cmd=(qemu-system-x86_64 -name "tiny-smoke-$1" -accel tcg -M q35 -smp 1 -m 128 -nodefaults
        -display none -vga none
        -kernel "$img/vmlinuz" -initrd "$img/initrd.img" -append "$append"
        -drive "file=$work/overlay.qcow2,if=virtio,format=qcow2"
        -drive "file=$2,if=virtio,format=raw,readonly=on"
        -nic "user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:$port-:22"
        -device virtio-rng-pci
        -serial "file:$serial"
        -qmp "unix:$work/qmp.sock,server=on,wait=off")
    if [[ $1 == 1 ]]; then
        local w line="#"
        for w in "${cmd[@]}"; do [[ $w == *" "* ]] && line+=" \"$w\"" || line+=" $w"; done
        echo "$line"
    fi
    t_start=$(now_ms)
    "${cmd[@]}" </dev/null >"$work/qemu-$1.log" 2>&1 &
    qpid=$!
}
wait_ready() { # -> READY line; qemu start -> marker, then -> first ssh answer
    local deadline=$(($(now_ms) + 180000)) t_ready t_ssh
    until grep -aq '^TINYIMG-READY' "$serial" 2>/dev/null; do
        alive "$qpid" || fail "qemu exited before READY: $(cat "$work/qemu-$n.log")"
        [[ $(now_ms) -lt $deadline ]] || fail "no TINYIMG-READY on the serial console in 180 s"
        sleep 0.1
    done
    t_ready=$(now_ms)
    until ssh_key "$1" true 2>/dev/null; do
        [[ $(now_ms) -lt $deadline ]] || fail "READY, but ssh with $1 does not answer"
        sleep 0.5
    done
    t_ssh=$(now_ms)
    ready_line=$(grep -a '^TINYIMG-READY' "$serial" | tr -d '\r')
    ok "boot $n: READY $(secs $((t_ready - t_start))) s, ssh $(secs $((t_ssh - t_start))) s after qemu start: $ready_line"
}
powerdown() {
    local t0 deadline
    t0=$(now_ms)
    python3 - "$work/qmp.sock" <<'EOF' || fail "QMP system_powerdown failed"
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
f = s.makefile("rwb", buffering=0)
def reply():
    while True:
        line = f.readline()
        if not line:
            raise EOFError("QMP socket closed")
        msg = json.loads(line)
        if "event" not in msg:
            return msg
assert "QMP" in json.loads(f.readline())
for cmd in ("qmp_capabilities", "system_powerdown"):
    f.write((json.dumps({"execute": cmd}) + "\n").encode())
    r = reply()
    if "return" not in r:
        sys.exit(f"{cmd}: {r}")
EOF
    deadline=$((t0 + 30000))
    while alive "$qpid"; do
        [[ $(now_ms) -lt $deadline ]] || fail "qemu still running 30 s after system_powerdown"
        sleep 0.1
    done
    local rc=0
    wait "$qpid" || rc=$?
    qpid=
    [[ $rc == 0 ]] || fail "qemu exited with $rc after system_powerdown"
    ok "boot $n: system_powerdown -> qemu exited in $(secs $(($(now_ms) - t0))) s"
}
field() { echo "$ready_line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
expect_eq() { # what got want
    [[ $2 == "$3" ]] || fail "$1: got '$2', want '$3'"
    ok "$1 = $3"
}

echo "# image $img ($(sed -n 's/^TINYIMG_KERNEL_VERSION=//p' "$img/image.env")), work $work, port $port"
ssh-keygen -q -t ed25519 -N '' -C smoke-key1 -f "$work/key1"
ssh-keygen -q -t ed25519 -N '' -C smoke-key2 -f "$work/key2"
pw1=Smoke-pw-1 pw2=Smoke-pw-2 pw3=Smoke-pw-3
printf '#!/bin/sh\necho "user-data ran as $(id -u) on $(hostname)" > /root/userdata-ran\n' >"$work/user-data.sh"
make_seed "$work/seed-a.iso" "iid-a-$$" smoke-a "$(openssl passwd -6 "$pw1")" "$work/key1.pub" "$work/user-data.sh"
make_seed "$work/seed-b.iso" "iid-b-$$" smoke-b "$(openssl passwd -6 "$pw2")" "$work/key2.pub"
: >"$work/no-keys"
make_seed "$work/seed-c.iso" "iid-c-$$" smoke-c "$(openssl passwd -6 "$pw3")" "$work/no-keys"
qemu-img create -q -f qcow2 -b "$img/tiny.qcow2" -F qcow2 "$work/overlay.qcow2" 2G

# 1. first boot
n=1
boot 1 "$work/seed-a.iso"
wait_ready "$work/key1"
expect_eq "instance" "$(field instance)" "iid-a-$$"
expect_eq "boot" "$(field boot)" 1
out=$(ssh_key "$work/key1" 'cat /var/lib/boot-count; df -k /; cat /root/userdata-ran') \
    || fail "ssh with key 1"
echo "$out" | sed 's/^/#   /'
expect_eq "boot-count" "$(echo "$out" | sed -n 1p)" 1
size_kb=$(echo "$out" | awk '$NF == "/" { print $2 }')
[[ $size_kb -gt $((1900 * 1024)) ]] || fail "/ is $size_kb KiB, not grown to ~2 GiB"
ok "/ grown to $size_kb KiB"
expect_eq "user-data output" "$(echo "$out" | tail -n 1)" "user-data ran as 0 on smoke-a"
expect_eq "hostname" "$(ssh_key "$work/key1" hostname)" smoke-a
expect_eq "password login (password 1)" "$(ssh_password "$pw1" 'echo pw-ok')" pw-ok
ssh_password wrong-password true 2>/dev/null && fail "a wrong password was accepted"
ok "a wrong password is refused"
grep -aq '^TINYIMG-RESIZE ok' "$serial" || fail "no RESIZE line on the serial console"
powerdown
if [[ ${QUICK:-} == 1 ]]; then
    keep=${KEEP:-0}
    echo "# passed (quick)"
    exit 0
fi

# 2. reboot, same seed: nothing re-applied
n=2
boot 2 "$work/seed-a.iso"
wait_ready "$work/key1"
expect_eq "boot" "$(field boot)" 2
expect_eq "boot-count" "$(ssh_key "$work/key1" 'cat /var/lib/boot-count')" 2
grep -aq "^TINYIMG-SEED instance=iid-a-$$ already applied" "$serial" || fail "seed applied again"
ok "same instance-id: seed not applied again"
! grep -aq '^TINYIMG-RESIZE' "$serial" || fail "resize2fs ran again on the same disk size"
ok "no second grow"
grep -aq '^TINYIMG-USERDATA' "$serial" && fail "user-data ran again"
ok "user-data not run again"
powerdown

# 3. new instance-id (a reinstall's seed on the same disk): new credentials only
n=3
boot 3 "$work/seed-b.iso"
wait_ready "$work/key2"
expect_eq "instance" "$(field instance)" "iid-b-$$"
expect_eq "boot" "$(field boot)" 3
ssh_key "$work/key1" true 2>/dev/null && fail "key 1 still works after the new instance"
ok "key 1 refused"
ssh_password "$pw1" true 2>/dev/null && fail "password 1 still works after the new instance"
ok "password 1 refused"
expect_eq "password login (password 2)" "$(ssh_password "$pw2" 'echo pw-ok')" pw-ok
expect_eq "authorized_keys" "$(ssh_key "$work/key2" 'cat /root/.ssh/authorized_keys')" "$(cat "$work/key2.pub")"
expect_eq "hostname" "$(ssh_key "$work/key2" hostname)" smoke-b
powerdown

# 4. a seed with a password and no keys: authorized_keys becomes empty
n=4
boot 4 "$work/seed-c.iso"
deadline=$(($(now_ms) + 180000))
until grep -aq '^TINYIMG-READY' "$serial" 2>/dev/null; do
    alive "$qpid" || fail "qemu exited before READY"
    [[ $(now_ms) -lt $deadline ]] || fail "no TINYIMG-READY in 180 s"
    sleep 0.1
done
ready_line=$(grep -a '^TINYIMG-READY' "$serial" | tr -d '\r')
ok "boot 4: READY $(secs $(($(now_ms) - t_start))) s: $ready_line"
expect_eq "keys" "$(field keys)" 0
expect_eq "password login (password 3)" \
    "$(ssh_password "$pw3" 'echo pw-ok; wc -c < /root/.ssh/authorized_keys; cat /var/lib/boot-count' | tr '\n' ' ')" "pw-ok 0 4 "
ssh_key "$work/key2" true 2>/dev/null && fail "key 2 still works with a seed without keys"
ok "key 2 refused"
powerdown

keep=${KEEP:-0}
echo "# passed"
