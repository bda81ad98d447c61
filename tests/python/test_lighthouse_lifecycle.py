"""The whole Lighthouse lifecycle through the typed SDK models, every
transitional state observed: CreateInstances (PENDING → RUNNING) →
StopInstances (STOPPING → STOPPED) → ResetInstance with a new blueprint and
password (transitional, OPERATING with its RequestId → SUCCESS, still
STOPPED) → StartInstances (STARTING → RUNNING) → RebootInstances of several
at once (all REBOOTING → RUNNING) → IsolateInstances (SHUTDOWN) →
TerminateInstances (gone from DescribeInstances).
Runs on a server of its own at --speed 100 (stop 100-200 ms, reboot
200-400 ms) so each transitional state is seen without racing it.
"""
import pytest
from tencentcloud.lighthouse.v20200324 import models

from conftest import CENTOS, ISO8601, PASSWORD, TENCENTOS, Lighthouse, Server, wait_until


@pytest.fixture(scope="module")
def lc():
    s = Server(speed=100)
    yield Lighthouse(s)
    s.stop()


def states(c, ids):
    found = c.describe(InstanceIds=ids)["InstanceSet"]
    assert len(found) == len(ids)
    return {i["InstanceId"]: i for i in found}


def test_full_lifecycle(lc):
    sdk = lc.sdk
    req = models.CreateInstancesRequest()
    req.from_json_string(
        '{"BundleId": "bundle_gen_01", "BlueprintId": "%s", "InstanceChargePrepaid": {"Period": 1},'
        ' "InstanceCount": 3, "InstanceName": "lifecycle",'
        ' "LoginConfiguration": {"AutoGeneratePassword": "NO", "Password": "%s"}}' % (CENTOS, PASSWORD))
    created = sdk.CreateInstances(req)
    ids = created.InstanceIdSet
    assert len(ids) == 3
    first = states(lc, ids)
    for i in first.values():
        assert i["InstanceState"] == "PENDING", i
        assert (i["LatestOperation"], i["LatestOperationState"]) == ("CreateInstances", "OPERATING")
        assert i["LatestOperationRequestId"] == created.RequestId
        assert ISO8601.match(i["CreatedTime"]) and ISO8601.match(i["ExpiredTime"]) and i["ExpiredTime"] > i["CreatedTime"]
    for iid in ids:
        assert lc.settled(iid)["InstanceState"] == "RUNNING"
    one = ids[0]

    # Stop.
    stop = models.StopInstancesRequest()
    stop.InstanceIds = [one]
    stop_id = sdk.StopInstances(stop).RequestId
    i = lc.instance(one)
    assert (i["InstanceState"], i["LatestOperation"], i["LatestOperationState"]) == ("STOPPING", "StopInstances", "OPERATING")
    assert i["LatestOperationRequestId"] == stop_id
    i = lc.settled(one)
    assert (i["InstanceState"], i["LatestOperationState"]) == ("STOPPED", "SUCCESS")

    # Reinstall (seed 001) with a new blueprint and password.
    reset = models.ResetInstanceRequest()
    reset.InstanceId, reset.BlueprintId = one, TENCENTOS
    reset.LoginConfiguration = models.LoginConfiguration()
    reset.LoginConfiguration.AutoGeneratePassword, reset.LoginConfiguration.Password = "NO", "Reset!Passw0rd"
    reset_id = sdk.ResetInstance(reset).RequestId
    i = lc.instance(one)
    assert i["InstanceState"] not in ("RUNNING", "STOPPED"), i["InstanceState"]
    assert (i["LatestOperation"], i["LatestOperationState"], i["LatestOperationRequestId"]) == ("ResetInstance", "OPERATING", reset_id)
    i = lc.settled(one)
    assert (i["InstanceState"], i["LatestOperationState"], i["BlueprintId"]) == ("STOPPED", "SUCCESS", TENCENTOS)
    assert "TencentOS" in i["OsName"]

    # Start.
    start = models.StartInstancesRequest()
    start.InstanceIds = [one]
    sdk.StartInstances(start)
    assert lc.instance(one)["InstanceState"] == "STARTING"
    assert lc.settled(one)["InstanceState"] == "RUNNING"

    # Reboot all three at once.
    reboot = models.RebootInstancesRequest()
    reboot.InstanceIds = ids
    reboot_id = sdk.RebootInstances(reboot).RequestId
    during = states(lc, ids)
    assert {i["InstanceState"] for i in during.values()} == {"REBOOTING"}
    assert {i["LatestOperationRequestId"] for i in during.values()} == {reboot_id}
    for iid in ids:
        i = lc.settled(iid)
        assert (i["InstanceState"], i["LatestOperation"], i["LatestOperationState"]) == ("RUNNING", "RebootInstances", "SUCCESS")

    # Isolate, then terminate.
    isolate = models.IsolateInstancesRequest()
    isolate.InstanceIds = ids[:2]
    sdk.IsolateInstances(isolate)
    for iid in ids[:2]:
        i = wait_until(lambda: (lambda x: x if x["InstanceState"] == "SHUTDOWN" and x["LatestOperationState"] == "SUCCESS" else None)(lc.instance(iid)),
                       what=f"{iid} to be SHUTDOWN")
        assert i["IsolatedTime"]
    assert lc.error("RebootInstances", {"InstanceIds": [ids[0]]}) == "UnsupportedOperation.InvalidInstanceState"
    terminate = models.TerminateInstancesRequest()
    terminate.InstanceIds = ids[:2]
    sdk.TerminateInstances(terminate)
    wait_until(lambda: lc.describe(InstanceIds=ids)["TotalCount"] == 1, what="the terminated instances to disappear")
    assert [i["InstanceId"] for i in lc.describe(InstanceIds=ids)["InstanceSet"]] == [ids[2]]
    # A terminated id is unknown from then on.
    assert lc.error("StartInstances", {"InstanceIds": [ids[0]]}) == "ResourceNotFound.InstanceIdNotFound"
