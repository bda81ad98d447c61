"""The real-VM benchmark behind scripts/bench-vms.sh (see there)."""
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time

from harness import free_port
from vms import ZEC_IMAGE, Key, Zec, machine, qemu_server, ssh, stop_vms, tiny_image

ROUNDS = int(os.environ.get("ROUNDS", "3"))


def until(check, limit=600):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise SystemExit("timed out")


def banner(port):
    import socket
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.settimeout(1.5)
            return s.recv(4) == b"SSH-"
    except OSError:
        return False


def bare_boot(image, work):
    """Seconds from starting QEMU to the guest's SSH banner, without Stratus."""
    disk, seed = work / "bare.qcow2", work / "bare-seed.iso"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", str(image / "tiny.qcow2"),
                    str(disk), "20G"], check=True)
    files = work / "bare-seed"
    files.mkdir(exist_ok=True)
    (files / "meta-data").write_text(f"instance-id: bare-{time.time_ns()}\nlocal-hostname: bare\n")
    (files / "user-data").write_text("#cloud-config\n")
    subprocess.run(["genisoimage", "-quiet", "-output", str(seed), "-volid", "cidata", "-joliet", "-rock",
                    str(files / "user-data"), str(files / "meta-data")], check=True)
    port = free_port()
    started = time.monotonic()
    qemu = subprocess.Popen(
        ["qemu-system-x86_64", "-accel", "tcg", "-M", "q35", "-smp", "1", "-m", "128", "-nodefaults",
         "-display", "none", "-vga", "none", "-kernel", str(image / "vmlinuz"), "-initrd", str(image / "initrd.img"),
         "-append", "console=ttyS0 root=/dev/vda rw quiet",
         "-drive", f"file={disk},if=virtio,format=qcow2", "-drive", f"file={seed},if=virtio,format=raw,readonly=on",
         "-nic", f"user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:{port}-:22", "-device", "virtio-rng-pci",
         "-serial", "null"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        until(lambda: banner(port))
        return time.monotonic() - started
    finally:
        qemu.kill()
        qemu.wait()
        disk.unlink()


def main():
    image = tiny_image()
    work = pathlib.Path(tempfile.mkdtemp(prefix="stratus-bench-vms-"))
    server = qemu_server(work, [ZEC_IMAGE])
    zec = Zec(server)
    status = zec.status

    def usable(iid, key):
        """Waits for RUNNING, then for the key to log in; returns when it does."""
        until(lambda: status(iid) == "RUNNING")
        until(lambda: ssh(machine(server, iid)["ssh"], key, "true", timeout=30).returncode == 0)

    figures = {}
    try:
        figures["bare QEMU boot to SSH (reference)"] = [bare_boot(image, work) for _ in range(ROUNDS)]
        for size in (20, 2048):
            for n in range(ROUNDS):
                first, second = Key(), Key()
                k1 = zec.import_key(f"b{size}-{n}-1", first)
                k2 = zec.import_key(f"b{size}-{n}-2", second)
                t = time.monotonic()
                iid = zec.create(k1, disk_gb=size)
                usable(iid, first)
                figures.setdefault(f"create, {size} GiB", []).append(time.monotonic() - t)
                t = time.monotonic()
                zec.call("RebootInstances", instanceIds=[iid])
                until(lambda: status(iid) != "RUNNING" or None, limit=30)
                usable(iid, first)
                figures.setdefault(f"reboot, {size} GiB", []).append(time.monotonic() - t)
                zec.call("StopInstances", instanceIds=[iid])
                until(lambda: status(iid) == "STOPPED")
                t = time.monotonic()
                zec.call("ResetInstance", instanceId=iid, imageId=ZEC_IMAGE, keyId=k2)
                usable(iid, second)
                figures.setdefault(f"reinstall, {size} GiB", []).append(time.monotonic() - t)
                zec.call("StopInstances", instanceIds=[iid])
                until(lambda: status(iid) == "STOPPED")
        disk_steps = {}
        for line in server.log_text().splitlines():
            m = re.search(r"made a new system disk.* bytes=(\d+) ms=([\d.]+)", line)
            if m:
                disk_steps.setdefault(int(m.group(1)) >> 30, []).append(float(m.group(2)) / 1000)
        for gib, values in sorted(disk_steps.items()):
            figures[f"disk step alone (new overlay), {gib} GiB"] = values
    finally:
        server.stop()
        stop_vms(work)
    reference = statistics.median(figures["bare QEMU boot to SSH (reference)"])
    print(f"real VMs: {os.cpu_count()} cores, TCG, tiny image, 128 MiB guests, {ROUNDS} rounds; "
          f"{time.strftime('%Y-%m-%d')}")
    print(f"{'what':<44} {'median s':>9} {'min s':>7} {'max s':>7} {'x bare boot':>11}")
    for what, values in figures.items():
        med = statistics.median(values)
        print(f"{what:<44} {med:>9.3f} {min(values):>7.3f} {max(values):>7.3f} {med / reference:>11.2f}")


if __name__ == "__main__":
    sys.exit(main())
