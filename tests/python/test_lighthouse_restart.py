"""Durability across a restart on the same --data directory, for SIGTERM and
for SIGKILL: instances, their state, bound key pairs, created and imported
key pairs and mailed passwords survive; a reboot and a stop that were in
flight when the process died complete after the restart (RUNNING / STOPPED,
LatestOperationState SUCCESS, the original LatestOperationRequestId), and the
restarted server takes new operations.
"""
import signal
import tempfile

import pytest

from conftest import Lighthouse, Server, fresh_public_key

SPEED = 20  # reboot 1-2 s, stop 0.5-1 s: long enough to kill mid-flight on a loaded machine


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_in_flight_operations_complete_after_a_restart(sig):
    data = tempfile.mkdtemp(prefix="stratus-restart-")
    first = Server(speed=SPEED, data=data)
    try:
        c = Lighthouse(first)
        rebooting, stopping = c.running(count=2)
        mailed = c.create(password=None)[0]
        created = c.call("CreateKeyPair", {"KeyName": "survivor"})["KeyPair"]
        imported = c.call("ImportKeyPair", {"KeyName": "imported", "PublicKey": fresh_public_key()})["KeyId"]
        c.call("AssociateInstancesKeyPairs", {"KeyIds": [imported], "InstanceIds": [stopping]})
        assert c.settled(stopping)["LoginSettings"]["KeyIds"] == [imported]
        password = [m for m in c.messages("default") if m["instance_id"] == mailed][0]["password"]
        reboot_id = c.call("RebootInstances", {"InstanceIds": [rebooting]})["RequestId"]
        stop_id = c.call("StopInstances", {"InstanceIds": [stopping]})["RequestId"]
        assert c.instance(rebooting)["InstanceState"] == "REBOOTING"
        assert c.instance(stopping)["InstanceState"] == "STOPPING"
    finally:
        first.stop(sig)
    assert first.proc.returncode is not None

    second = Server(speed=SPEED, data=data)
    try:
        c = Lighthouse(second)
        r = c.settled(rebooting)
        assert (r["InstanceState"], r["LatestOperation"], r["LatestOperationState"]) == ("RUNNING", "RebootInstances", "SUCCESS")
        assert r["LatestOperationRequestId"] == reboot_id
        s = c.settled(stopping)
        assert (s["InstanceState"], s["LatestOperation"], s["LatestOperationState"]) == ("STOPPED", "StopInstances", "SUCCESS")
        assert s["LatestOperationRequestId"] == stop_id
        assert s["LoginSettings"]["KeyIds"] == [imported]
        assert c.settled(mailed)["InstanceState"] == "RUNNING"
        assert c.describe()["TotalCount"] == 3
        keys = {k["KeyId"]: k for k in c.call("DescribeKeyPairs", {"Limit": 100})["KeyPairSet"]}
        assert set(keys) == {created["KeyId"], imported}
        assert keys[created["KeyId"]]["PublicKey"] == created["PublicKey"]
        assert keys[created["KeyId"]].get("PrivateKey") is None, "the private key is never stored"
        assert [m["password"] for m in c.messages("default") if m["instance_id"] == mailed] == [password]
        # It takes new work.
        c.call("StartInstances", {"InstanceIds": [stopping]})
        assert c.instance(stopping)["InstanceState"] == "STARTING"
        assert c.settled(stopping)["InstanceState"] == "RUNNING"
    finally:
        second.stop()


def test_ephemeral_writes_nothing():
    """--ephemeral keeps everything in memory: no ./.stratus appears in the
    server's working directory and a new server starts empty."""
    import os
    marker = os.path.join(os.getcwd(), ".stratus")
    existed = os.path.exists(marker)
    first = Server(speed=200)
    try:
        c = Lighthouse(first)
        c.running()
        c.call("CreateKeyPair", {"KeyName": "gone"})
    finally:
        first.stop()
    assert os.path.exists(marker) == existed
    second = Server(speed=200)
    try:
        assert Lighthouse(second).describe()["TotalCount"] == 0
        assert Lighthouse(second).call("DescribeKeyPairs", {})["TotalCount"] == 0
    finally:
        second.stop()
