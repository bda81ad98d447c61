"""Real VMs through the official Lighthouse SDK (QEMU driver, tiny image).

One instance carries the whole life the seeds describe: created with a key
pair and reached over SSH; rebooted soft and hard (the guest's boot count
grows, its files stay); stopped and reset with another key pair (the old key
is refused, the new one works, the file is gone, the disk has its size); its
QEMU process killed (the instance shows STOPPED with the reason); Stratus
killed with the VM running (the VM is adopted, not rebooted); and a reset
interrupted by killing Stratus (it completes exactly once after the restart).
"""
import os
import pathlib
import signal
import tempfile

import pytest

from conftest import Lighthouse
from harness import wait_until
from vms import BOOT_LIMIT, LIGHTHOUSE_IMAGE, Key, console, machine, qemu_server, run_in, ssh, stop_vms

BUNDLE = "bundle_starter_01"   # 1 vCPU, 25 GB system disk


@pytest.fixture(scope="module")
def work():
    path = pathlib.Path(tempfile.mkdtemp(prefix="stratus-vms-lh-"))
    yield path
    stop_vms(path)


@pytest.fixture(scope="module")
def server(work):
    s = qemu_server(work, [LIGHTHOUSE_IMAGE])
    yield s
    s.stop()


def state(lh, iid):
    i = lh.instance(iid)
    return i["InstanceState"], i["LatestOperationState"]


def settle(lh, iid, expected, timeout=BOOT_LIMIT):
    """The instance once it is `expected` with no operation running (a
    failed operation fails the test at once, with the driver's reason)."""
    def done():
        i = lh.instance(iid)
        assert i["LatestOperationState"] != "FAILED", i
        return i if i["LatestOperationState"] != "OPERATING" and i["InstanceState"] == expected else None
    return wait_until(done, timeout=timeout, interval=0.5, what=f"{iid} to be {expected}")


def boots(server, iid, key):
    return int(run_in(machine(server, iid)["ssh"], key, "cat /var/lib/boot-count").strip())


def import_key(lh, name, key):
    return lh.call("ImportKeyPair", {"KeyName": name, "PublicKey": key.public})["KeyId"]


def test_a_real_machine_lives_the_whole_lighthouse_life(server, work):
    lh = Lighthouse(server)
    first, second = Key("first"), Key("second")
    first_id, second_id = import_key(lh, "first", first), import_key(lh, "second", second)

    iid = lh.create(blueprint=LIGHTHOUSE_IMAGE, bundle=BUNDLE, password=None,
                    LoginConfiguration={"KeyIds": [first_id]})[0]
    assert state(lh, iid) == ("PENDING", "OPERATING")
    settle(lh, iid, "RUNNING")
    vm = machine(server, iid)
    assert vm["ssh"]["host"] == "127.0.0.1" and vm["pid"] > 0 and vm["boots"] == 1
    assert os.path.exists(vm["serial_log"])
    assert "TINYIMG-READY" in console(server, iid)
    assert run_in(vm["ssh"], first, "hostname; echo written > /root/marker; sync").strip()
    assert boots(server, iid, first) == 1
    # /metrics counts the VM and its resident memory on this host.
    from test_metrics import scrape, value
    samples, _ = scrape(server)
    assert value(samples, "stratus_vms_running") >= 1
    assert value(samples, "stratus_vms_resident_bytes") > 1024 * 1024

    # Reboots, soft then hard: a new boot each time, the file kept.
    for stop_type in ("SOFT", "HARD"):
        before = boots(server, iid, first)
        lh.call("RebootInstances", {"InstanceIds": [iid], "StopType": stop_type})
        assert state(lh, iid) == ("REBOOTING", "OPERATING")
        settle(lh, iid, "RUNNING")
        assert boots(server, iid, first) == before + 1, stop_type
        assert run_in(machine(server, iid)["ssh"], first, "cat /root/marker").strip() == "written"

    # Stop, then reset with the second key: a new disk, the new login only.
    lh.call("StopInstances", {"InstanceIds": [iid]})
    settle(lh, iid, "STOPPED")
    assert machine(server, iid)["pid"] is None
    lh.call("ResetInstance", {"InstanceId": iid, "BlueprintId": LIGHTHOUSE_IMAGE,
                              "LoginConfiguration": {"KeyIds": [second_id]}})
    assert state(lh, iid)[0] == "RESETTING"
    reset = settle(lh, iid, "STOPPED")       # Lighthouse's reset keeps the instance's state
    assert reset["LatestOperation"] == "ResetInstance" and reset["LatestOperationState"] == "SUCCESS"
    lh.call("StartInstances", {"InstanceIds": [iid]})
    settle(lh, iid, "RUNNING")
    endpoint = machine(server, iid)["ssh"]
    refused = ssh(endpoint, first, "true")
    assert refused.returncode != 0 and "denied" in refused.stderr.lower(), refused
    assert run_in(endpoint, second, "test -e /root/marker && echo kept || echo gone").strip() == "gone"
    assert run_in(endpoint, second, "cat /var/lib/boot-count").strip() == "1"
    size_kb = int(run_in(endpoint, second, "df -k / | awk 'NR==2{print $2}'"))
    assert 23 * 1024 * 1024 < size_kb <= 25 * 1024 * 1024, size_kb   # a 25 GB disk, grown in the guest
    run_in(endpoint, second, "echo after-reset > /root/kept; sync")

    # Killing the VM's process: the instance is observed stopped, with the reason.
    os.kill(machine(server, iid)["pid"], signal.SIGKILL)
    stopped = settle(lh, iid, "STOPPED", timeout=30)
    assert stopped["LatestOperationState"] == "SUCCESS"
    vm = machine(server, iid)
    assert vm["pid"] is None and "ended" in vm["stopped_reason"], vm
    lh.call("StartInstances", {"InstanceIds": [iid]})
    settle(lh, iid, "RUNNING")
    assert run_in(machine(server, iid)["ssh"], second, "cat /root/kept").strip() == "after-reset"


def test_a_restart_adopts_running_machines_and_finishes_an_interrupted_reset_once(server, work):
    lh = Lighthouse(server)
    key, other = Key("adopt"), Key("other")
    key_id, other_id = import_key(lh, "adopt", key), import_key(lh, "other", other)
    iid = lh.create(blueprint=LIGHTHOUSE_IMAGE, bundle=BUNDLE, password=None,
                    LoginConfiguration={"KeyIds": [key_id]})[0]
    settle(lh, iid, "RUNNING")
    vm = machine(server, iid)
    uptime = float(run_in(vm["ssh"], key, "cut -d' ' -f1 /proc/uptime"))

    # SIGKILL of Stratus: the VM keeps running and is adopted, not rebooted.
    server.stop(signal.SIGKILL)
    restarted = qemu_server(work, [LIGHTHOUSE_IMAGE])
    try:
        lh = Lighthouse(restarted)
        assert state(lh, iid) == ("RUNNING", "SUCCESS")
        again = machine(restarted, iid)
        assert again["pid"] == vm["pid"]
        assert float(run_in(again["ssh"], key, "cut -d' ' -f1 /proc/uptime")) > uptime
        assert run_in(again["ssh"], key, "cat /var/lib/boot-count").strip() == "1"

        # A reset interrupted by SIGKILL, once its new disk is in place,
        # completes exactly once after the restart: the disk is not wiped
        # again, the guest boots it once.
        lh.call("ResetInstance", {"InstanceId": iid, "LoginConfiguration": {"KeyIds": [other_id]}})
        op = wait_until(lambda: next((o for o in restarted.admin("/_stratus/operations?account=default")[1]
                                      ["operations"] if o["action"] == "ResetInstance" and o["instance_id"] == iid), None),
                        what="the reset's operation")
        state_file = work / "vms" / iid / "state.json"
        wait_until(lambda: op["id"] in state_file.read_text(), timeout=60, interval=0.02,
                   what="the new system disk")
        restarted.stop(signal.SIGKILL)
    finally:
        restarted.stop()
    final = qemu_server(work, [LIGHTHOUSE_IMAGE])
    try:
        lh = Lighthouse(final)
        settle(lh, iid, "RUNNING")
        endpoint = machine(final, iid)["ssh"]
        assert run_in(endpoint, other, "cat /var/lib/boot-count").strip() == "1"
        assert ssh(endpoint, key, "true").returncode != 0
        ready = [line for line in console(final, iid).splitlines() if f"TINYIMG-READY instance={op['id']}" in line]
        assert len(ready) == 1, ready
        status, ops = final.admin("/_stratus/operations?account=default")
        resets = [o for o in ops["operations"] if o["instance_id"] == iid and o["action"] == "ResetInstance"]
        assert [o["state"] for o in resets] == ["Success"], resets
        # Lighthouse destroys from the recycle bin: isolate, then terminate.
        lh.call("IsolateInstances", {"InstanceIds": [iid]})
        settle(lh, iid, "SHUTDOWN", timeout=90)
        lh.call("TerminateInstances", {"InstanceIds": [iid]})
        wait_until(lambda: lh.instance(iid) is None, timeout=60, interval=0.5, what="terminated")
        assert not (work / "vms" / iid).exists()
    finally:
        final.stop()


def test_an_image_without_a_file_and_a_full_host_are_refused_in_the_vendors_words(work):
    # Its own server (the module's was killed above), one that may keep no machine.
    full = qemu_server(work / "full", [LIGHTHOUSE_IMAGE], max_vms=0)
    try:
        lh = Lighthouse(full)
        create = {"BundleId": BUNDLE, "InstanceChargePrepaid": {"Period": 1}}
        centos = "lhbp-c76k3m2a"   # in the catalog, but no file backs it here
        assert lh.error("CreateInstances", {**create, "BlueprintId": centos}) == \
            "ResourceUnavailable.BlueprintUnavailable"
        assert lh.error("CreateInstances", {**create, "BlueprintId": LIGHTHOUSE_IMAGE}) == \
            "ResourcesSoldOut.ZonesHasNoBundleConfigs"
        assert lh.describe()["TotalCount"] == 0, "nothing recorded"
    finally:
        full.stop()
