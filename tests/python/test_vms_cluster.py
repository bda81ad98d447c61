"""Two nodes on one PostgreSQL database, each hosting real VMs (QEMU
driver): a new instance goes to the least loaded node, only the node that
hosts a machine runs its operations (whichever node accepted the request),
and when a node is gone its machines are shown stopped with the reason and
are never booted a second time elsewhere."""
import os
import pathlib
import signal
import tempfile

import pytest

from conftest import Lighthouse
from harness import Server, create_database, wait_until
from test_cluster import postgres  # noqa: F401  (the fixture)
from vms import BOOT_LIMIT, LIGHTHOUSE_IMAGE, Key, images_config, machine, run_in, stop_vms, tiny_image

NODE_TIMEOUT = 3


@pytest.fixture
def work():
    path = pathlib.Path(tempfile.mkdtemp(prefix="stratus-vms-cluster-"))
    yield path
    stop_vms(path)


def node(work, url, name):
    return Server(speed=1, store=url, config=images_config(tiny_image(), [LIGHTHOUSE_IMAGE]),
                  extra=["--driver", "qemu", "--vm-dir", str(work / name), "--node", name,
                         "--node-timeout", str(NODE_TIMEOUT)])


def settle(lh, iid, expected):
    def done():
        i = lh.instance(iid)
        assert i["LatestOperationState"] != "FAILED", i
        return i if i["LatestOperationState"] != "OPERATING" and i["InstanceState"] == expected else None
    return wait_until(done, timeout=BOOT_LIMIT, interval=0.5, what=f"{iid} to be {expected}")


def test_machines_live_on_one_node_and_a_gone_node_is_never_taken_over(postgres, work):  # noqa: F811
    url = create_database(postgres)
    a, b = node(work, url, "node-a"), node(work, url, "node-b")
    try:
        lh_a, lh_b = Lighthouse(a), Lighthouse(b)
        key = Key("cluster")
        key_id = lh_a.call("ImportKeyPair", {"KeyName": "cluster", "PublicKey": key.public})["KeyId"]
        login = {"KeyIds": [key_id]}
        # Both created through node A: the first stays there, the second goes
        # to B, the less loaded node.
        first = lh_a.create(blueprint=LIGHTHOUSE_IMAGE, bundle="bundle_starter_01", password=None,
                            LoginConfiguration=login)[0]
        second = lh_a.create(blueprint=LIGHTHOUSE_IMAGE, bundle="bundle_starter_01", password=None,
                             LoginConfiguration=login)[0]
        settle(lh_a, first, "RUNNING")
        settle(lh_b, second, "RUNNING")
        assert machine(a, first)["node"] == "node-a" and (work / "node-a" / first).is_dir()
        assert machine(a, second)["node"] == "node-b" and (work / "node-b" / second).is_dir()
        assert not (work / "node-a" / second).exists() and not (work / "node-b" / first).exists()
        for iid in (first, second):
            assert run_in(machine(b, iid)["ssh"], key, "cat /var/lib/boot-count").strip() == "1"

        # A reboot of B's machine asked of node A is carried out by node B.
        lh_a.call("RebootInstances", {"InstanceIds": [second]})
        settle(lh_a, second, "RUNNING")
        assert run_in(machine(a, second)["ssh"], key, "cat /var/lib/boot-count").strip() == "2"

        # Node B is gone (its server killed): its machine is shown stopped,
        # with the reason, by node A; starting it again fails with that
        # reason instead of booting it a second time on node A.
        b.stop(signal.SIGKILL)
        stopped = settle(lh_a, second, "STOPPED")
        reason = machine(a, second)["stopped_reason"]
        assert "node-b" in reason and "stopped answering" in reason, reason
        assert stopped["InstanceState"] == "STOPPED"
        lh_a.call("StartInstances", {"InstanceIds": [second]})

        def failed():
            i = lh_a.instance(second)
            return i if i["LatestOperationState"] == "FAILED" else None
        assert wait_until(failed, timeout=30, interval=0.5, what="the start to fail")["InstanceState"] == "STOPPED"
        assert not (work / "node-a" / second).exists(), "never booted a second time elsewhere"
        # Node A's own machine is untouched.
        assert lh_a.instance(first)["InstanceState"] == "RUNNING"
        assert run_in(machine(a, first)["ssh"], key, "cat /var/lib/boot-count").strip() == "1"

        # Node B comes back: its machine never stopped (only its server did),
        # so it is adopted and observed running again, not booted anew.
        b = node(work, url, "node-b")
        wait_until(lambda: lh_a.instance(second)["InstanceState"] == "RUNNING",
                   timeout=30, interval=0.5, what="node B's machine to be observed running")
        assert run_in(machine(a, second)["ssh"], key, "cat /var/lib/boot-count").strip() == "2"
    finally:
        a.stop()
        b.stop()
