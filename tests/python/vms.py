"""Real VMs for the QEMU driver suites (test_vms_*.py).

- `tiny_image()` builds (once, cached outside the clone) the test image
  with scripts/tiny-image.sh, which installs QEMU and the image tools first;
  where they cannot be installed the suite is skipped with the reason.
- `qemu_server(...)` starts `stratus serve --driver qemu` with that image
  behind one vendor image id of every product.
- `Key`: an SSH key pair made with ssh-keygen, and `ssh(...)` running a
  command in a guest through the forwarded port (BatchMode: a refused key
  fails instead of asking for a password).

Guests are small (128 MiB, 1 vCPU, TCG), and tests poll for outcomes with
generous limits: this machine has two slow cores and no KVM.
"""
import json
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

from harness import ROOT, Server, wait_until

CACHE = pathlib.Path(os.environ.get("STRATUS_CACHE") or pathlib.Path.home() / ".cache" / "stratus")
IMAGE_DIR = CACHE / "tiny-image"

# The vendor image ids the tiny image backs (one per product).
LIGHTHOUSE_IMAGE = "lhbp-d12t5w3e"      # Lighthouse Debian 12 blueprint
CVM_IMAGE = "img-eb30mz89"              # CVM / legacy API 2.0 public image
ZEC_IMAGE = "debian12_20240715"         # Zenlayer ZEC image
KEC_IMAGE = "IMG-b4768cb8-c9e4-56a9-9fad-37120aca8c0d"  # Kingsoft KEC Debian 12
BOOT_LIMIT = 240                        # seconds: a boot under TCG on a busy 2-core host (as vm-config.sh)


def tiny_image():
    """The tiny image's directory (built once); skips where QEMU cannot be installed."""
    done = subprocess.run([str(ROOT / "scripts" / "tiny-image.sh"), str(IMAGE_DIR)],
                          capture_output=True, text=True)
    if done.returncode == 77:
        pytest.skip("real VMs need qemu-system-x86 and the image tools, which cannot be installed here: "
                    + done.stderr.strip()[-300:])
    assert done.returncode == 0, f"scripts/tiny-image.sh failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return IMAGE_DIR


def images_config(image_dir, ids, max_vms=6, boot_timeout=BOOT_LIMIT):
    """The configuration scripts/vm-config.sh prints for the image, with `ids`."""
    env = dict(os.environ, IDS=" ".join(ids), MAX_VMS=str(max_vms), BOOT_TIMEOUT=str(boot_timeout))
    done = subprocess.run([str(ROOT / "scripts" / "vm-config.sh"), str(image_dir)],
                          env=env, capture_output=True, text=True, check=True)
    return done.stdout


def qemu_server(work, ids, extra=(), config_extra="", max_vms=6, boot_timeout=BOOT_LIMIT):
    """A server with the QEMU driver, its data and VMs under `work`."""
    image = tiny_image()
    return Server(speed=1, data=work / "data",
                  config=images_config(image, ids, max_vms, boot_timeout) + config_extra,
                  extra=["--driver", "qemu", "--vm-dir", str(work / "vms"), *extra])


class Key:
    """An ed25519 key pair in a temporary directory."""

    def __init__(self, name="stratus"):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="stratus-key-"))
        self.path = self.dir / "id_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(self.path)],
                       check=True)
        self.public = (self.dir / "id_ed25519.pub").read_text().strip()


def ssh(endpoint, key, command, timeout=60):
    """Runs `command` as root in the guest at `endpoint` ({host, port}) with `key`."""
    return subprocess.run(
        ["ssh", "-i", str(key.path), "-p", str(endpoint["port"]), "-o", "BatchMode=yes",
         "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes",
         "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR", f"root@{endpoint['host']}", command],
        capture_output=True, text=True, timeout=timeout)


def run_in(endpoint, key, command):
    """The output of a command that must succeed in the guest."""
    done = ssh(endpoint, key, command)
    assert done.returncode == 0, f"ssh {command!r} failed ({done.returncode}): {done.stderr}"
    return done.stdout


def machine(server, iid, account="default"):
    """What the admin API shows of an instance's machine: `ssh`, `pid` and
    `serial_log`, with `node`, `disk`, `boots` and `stopped_reason`."""
    status, body = server.admin(f"/_stratus/instances/{iid}?account={account}")
    assert status == 200, body
    assert body["machine"] is not None, body
    return {"ssh": body["ssh"], "pid": body["pid"], "serial_log": body["serial_log"], **body["machine"]}


def console(server, iid, account="default"):
    status, body = server.admin(f"/_stratus/instances/{iid}/console?account={account}")
    assert status == 200, body
    return body["console"]


def stop_vms(work):
    """Kills every VM left running under `work`, whatever its VM directories
    are called (VMs outlive their server)."""
    subprocess.run(["pkill", "-9", "-f", str(work)], capture_output=True)
    shutil.rmtree(work, ignore_errors=True)


def password_login(endpoint, password, command, timeout=60):
    """Runs `command` in the guest logging in as root with `password` only
    (OpenSSH reads it from an askpass program, as no terminal asks)."""
    work = pathlib.Path(tempfile.mkdtemp(prefix="stratus-askpass-"))
    (work / "password").write_text(password + "\n")
    askpass = work / "askpass"
    askpass.write_text(f"#!/bin/sh\ncat '{work / 'password'}'\n")
    askpass.chmod(0o700)
    env = dict(os.environ, SSH_ASKPASS=str(askpass), SSH_ASKPASS_REQUIRE="force", DISPLAY="none")
    return subprocess.run(
        ["ssh", "-p", str(endpoint["port"]), "-o", "PubkeyAuthentication=no",
         "-o", "PreferredAuthentications=password,keyboard-interactive", "-o", "NumberOfPasswordPrompts=1",
         "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10",
         "-o", "LogLevel=ERROR", f"root@{endpoint['host']}", command],
        capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL)


class Zec:
    """The official ZEC SDK (2025-09-01; key pairs on ccs) for one server,
    with the development credentials."""

    def __init__(self, server):
        from zenlayercloud.ccs.v20250901 import ccs_client, models as ccs_models
        from zenlayercloud.common.config import Config
        from zenlayercloud.common.credential import Credential
        from zenlayercloud.zec.v20250901 import models as zec_models, zec_client
        credential = Credential("STRATUSDEVELOPMENTZENLAYER", "stratus-development-secret-key-zenlayer")
        config = Config(scheme="http", domain=server.endpoint)
        self.zec, self.zec_models = zec_client.ZecClient(credential, config), zec_models
        self.ccs, self.ccs_models = ccs_client.CcsClient(credential, config), ccs_models
        catalog = json.loads((ROOT / "catalog" / "zenlayer" / "zec.catalog.json").read_text())
        self.subnet = next(s["id"] for s in catalog["zec"]["subnets"] if s["region"] == "asia-east-1")

    @staticmethod
    def _call(client, models, action, params):
        request = getattr(models, f"{action}Request")()
        for k, v in params.items():
            setattr(request, k, v)
        return getattr(client, action)(request)

    def call(self, action, **params):
        return self._call(self.zec, self.zec_models, action, params)

    def import_key(self, name, key):
        return self._call(self.ccs, self.ccs_models, "ImportKeyPair", dict(keyName=name, publicKey=key.public)).keyId

    def status(self, iid):
        return self.call("DescribeInstancesStatus", instanceIds=[iid]).dataSet[0].instanceStatus

    def create(self, key_id, disk_gb=None):
        extra = {"systemDisk": {"diskSize": disk_gb}} if disk_gb else {}
        return self.call("CreateZecInstances", zoneId="asia-east-1a", imageId=ZEC_IMAGE, instanceType="z2a.cpu.2",
                         subnetId=self.subnet, instanceCount=1, keyId=key_id, **extra).instanceIdSet[0]
