"""Tencent CVM (API 2017-03-12) through the official Python SDK and tccli:
run instances, see PENDING then RUNNING, stop, reset (also across OS
families), reboot in a batch, terminate pre-paid to the recycle bin and
destroy, key pairs, and the CVM error codes from realistic requests."""
import json
import os
import subprocess
import sys
import tempfile

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312 import cvm_client, models

from harness import TENCENT_ID, TENCENT_KEY, Server, wait_until

LINUX = "img-l8og963d"
UBUNTU = "img-487zeit5"
WINDOWS = "img-9id7emv7"
SYNCING = "img-2lr9q49h"
ZONE = "ap-guangzhou-3"


@pytest.fixture(scope="module")
def server():
    s = Server(speed=200, config="""
[[accounts]]
name = "alice"
balance = 500.0
[[accounts]]
name = "bob"
tencent = { secret_id = "AKIDBOBCVM00000000000000000000000000", secret_key = "bob-secret" }
""")
    yield s
    s.stop()


def client(server, secret_id=TENCENT_ID, secret_key=TENCENT_KEY, **http):
    hp = HttpProfile(endpoint=server.endpoint, protocol="http", **http)
    return cvm_client.CvmClient(credential.Credential(secret_id, secret_key), "ap-guangzhou", ClientProfile(httpProfile=hp))


@pytest.fixture(scope="module")
def cvm(server):
    return client(server)


def call(c, action, params):
    return c.call_json(action, params)["Response"]


def error_code(c, action, params):
    with pytest.raises(TencentCloudSDKException) as e:
        c.call_json(action, params)
    return e.value.code


def run(c, count=1, image=LINUX, charge="POSTPAID_BY_HOUR", password="Passw0rd!", **extra):
    params = {"Placement": {"Zone": ZONE}, "ImageId": image, "InstanceType": "S5.MEDIUM4",
              "InstanceCount": count, "InstanceChargeType": charge}
    if password:
        params["LoginSettings"] = {"Password": password}
    if charge == "PREPAID":
        params["InstanceChargePrepaid"] = {"Period": 1}
    params.update(extra)
    return call(c, "RunInstances", params)["InstanceIdSet"]


def instance(c, iid):
    found = call(c, "DescribeInstances", {"InstanceIds": [iid]})["InstanceSet"]
    return found[0] if found else None


def settled(c, iid):
    return wait_until(lambda: (lambda i: i if i and i["LatestOperationState"] != "OPERATING" else None)(instance(c, iid)),
                      what=f"{iid} to finish its operation")


def running(c, **kw):
    ids = run(c, **kw)
    for iid in ids:
        assert settled(c, iid)["InstanceState"] == "RUNNING"
    return ids


def test_run_shows_pending_then_running_with_every_field(cvm):
    ids = run(cvm, count=2, InstanceName="web{R:7}", HostName="web-node", DisableApiTermination=False,
              TagSpecification=[{"ResourceType": "instance", "Tags": [{"Key": "env", "Value": "test"}]}])
    first = instance(cvm, ids[0])
    assert first["InstanceState"] == "PENDING"
    assert first["LatestOperation"] == "RunInstances" and first["LatestOperationState"] == "OPERATING"
    done = settled(cvm, ids[0])
    assert done["InstanceState"] == "RUNNING" and done["LatestOperationState"] == "SUCCESS"
    names = sorted(instance(cvm, i)["InstanceName"] for i in ids)
    assert names == ["web7", "web8"]
    assert done["VirtualPrivateCloud"]["VpcId"].startswith("vpc-")
    assert done["Tags"] == [{"Key": "env", "Value": "test"}]
    assert done["InstanceChargeType"] == "POSTPAID_BY_HOUR" and done["ExpiredTime"] is None
    status = call(cvm, "DescribeInstancesStatus", {"InstanceIds": ids})["InstanceStatusSet"]
    assert {s["InstanceId"] for s in status} == set(ids)
    # The SDK model parses every field.
    resp = cvm.DescribeInstances(_describe_request(ids))
    assert resp.InstanceSet[0].Placement.Zone == ZONE and resp.TotalCount == 2


def _describe_request(ids):
    req = models.DescribeInstancesRequest()
    req.InstanceIds = ids
    return req


def test_filters_and_paging(cvm):
    ids = running(cvm, count=3, InstanceName="pagetest")
    by_name = call(cvm, "DescribeInstances", {"Filters": [{"Name": "instance-name", "Values": ["pagetest"]}], "Limit": 2})
    assert by_name["TotalCount"] == 3 and len(by_name["InstanceSet"]) == 2
    page2 = call(cvm, "DescribeInstances", {"Filters": [{"Name": "instance-name", "Values": ["pagetest"]}], "Offset": 2, "Limit": 2})
    assert len(page2["InstanceSet"]) == 1
    uuid = by_name["InstanceSet"][0]["Uuid"]
    by_uuid = call(cvm, "DescribeInstances", {"Filters": [{"Name": "uuid", "Values": [uuid]}]})
    assert [i["InstanceId"] for i in by_uuid["InstanceSet"]] == [by_name["InstanceSet"][0]["InstanceId"]]
    # The UUID is matched as written, like every other filter value.
    assert call(cvm, "DescribeInstances", {"Filters": [{"Name": "uuid", "Values": [uuid.upper()]}]})["TotalCount"] == 0
    assert call(cvm, "DescribeInstances", {"Filters": [{"Name": "zone", "Values": ["ap-guangzhou-6"]}, {"Name": "instance-name", "Values": ["pagetest"]}]})["TotalCount"] == 0
    assert error_code(cvm, "DescribeInstances", {"InstanceIds": ids[:1], "Filters": [{"Name": "zone", "Values": [ZONE]}]}) == "InvalidParameterCombination"
    assert error_code(cvm, "DescribeInstances", {"Filters": [{"Name": "colour", "Values": ["red"]}]}) == "InvalidFilter"
    assert error_code(cvm, "DescribeInstances", {"Filters": [{"Name": "zone", "Values": list("abcdef")}]}) == "InvalidFilterValue.LimitExceeded"
    assert error_code(cvm, "DescribeInstances", {"InstanceIds": ["ins-1122"]}) == "InvalidInstanceId.Malformed"


def test_stop_start_reboot_in_a_batch_with_state_named_codes(cvm):
    ids = running(cvm, count=2)
    call(cvm, "RebootInstances", {"InstanceIds": ids, "StopType": "SOFT"})
    assert {instance(cvm, i)["InstanceState"] for i in ids} == {"REBOOTING"}
    assert error_code(cvm, "StopInstances", {"InstanceIds": ids}) == "UnsupportedOperation.InstanceStateRebooting"
    for i in ids:
        assert settled(cvm, i)["InstanceState"] == "RUNNING"
    assert error_code(cvm, "StartInstances", {"InstanceIds": ids}) == "UnsupportedOperation.InstanceStateRunning"
    assert error_code(cvm, "RebootInstances", {"InstanceIds": ids, "ForceReboot": True, "StopType": "HARD"}) == "InvalidParameterCombination"
    call(cvm, "StopInstances", {"InstanceIds": ids, "StoppedMode": "STOP_CHARGING"})
    assert instance(cvm, ids[0])["InstanceState"] == "STOPPING"
    stopped = settled(cvm, ids[0])
    assert stopped["InstanceState"] == "STOPPED" and stopped["StopChargingMode"] == "STOP_CHARGING"
    settled(cvm, ids[1])
    assert error_code(cvm, "RebootInstances", {"InstanceIds": ids}) == "UnsupportedOperation.InstanceStateStopped"
    call(cvm, "StartInstances", {"InstanceIds": ids})
    started = settled(cvm, ids[0])
    assert started["InstanceState"] == "RUNNING" and started["StopChargingMode"] == "KEEP_CHARGING", "billing resumes"
    prepaid = running(cvm, charge="PREPAID")
    assert error_code(cvm, "StopInstances", {"InstanceIds": prepaid, "StoppedMode": "STOP_CHARGING"}) == \
        "UnsupportedOperation.StoppedModeStopCharging"
    assert instance(cvm, prepaid[0])["InstanceState"] == "RUNNING", "refused whole, nothing stopped"
    assert error_code(cvm, "RebootInstances", {"InstanceIds": ["ins-zzzzzzzz"]}) == "InvalidInstanceId.NotFound"
    assert error_code(cvm, "RebootInstances", {"InstanceIds": [ids[0], ids[0]]}) == "InvalidParameterValue.Duplicate"
    assert error_code(cvm, "RebootInstances", {"InstanceIds": [f"ins-{n:08d}" for n in range(101)]}) == "InvalidParameterValue.LimitExceeded"


def test_reset_instance_rules(server, cvm):
    iid = running(cvm)[0]
    assert error_code(cvm, "ResetInstance", {"InstanceId": iid, "LoginSettings": {"Password": "short"}}) == "InvalidParameterValue.InvalidPassword"
    assert error_code(cvm, "ResetInstance", {"InstanceId": iid, "LoginSettings": {"Password": "Passw0rd!", "KeepImageLogin": "true"}}) == "InvalidParameter.ParameterConflict"
    assert error_code(cvm, "ResetInstance", {"InstanceId": iid, "HostName": "-bad-"}) == "InvalidParameterValue.IllegalHostName"
    assert error_code(cvm, "ResetInstance", {"InstanceId": iid, "UserData": "not base64!"}) == "InvalidParameterValue.InvalidUserDataFormat"
    assert error_code(cvm, "ResetInstance", {"InstanceId": iid, "ImageId": "img-zzzzzzzz"}) == "InvalidImageId.NotFound"
    assert error_code(cvm, "ResetInstance", {"InstanceId": iid, "ImageId": "img-1"}) == "InvalidImageId.Malformed"
    assert error_code(cvm, "ResetInstance", {"InstanceId": iid, "ImageId": SYNCING}) == "InvalidParameterValue.InvalidImageState"
    assert error_code(cvm, "ResetInstance", {"InstanceId": "ins-1122"}) == "InvalidInstanceId.Malformed"
    assert error_code(cvm, "ResetInstance", {"InstanceId": "ins-zzzzzzzz"}) == "InvalidInstanceId.NotFound"
    key = call(cvm, "CreateKeyPair", {"KeyName": "resetkey", "ProjectId": 0})["KeyPair"]["KeyId"]
    assert error_code(cvm, "ResetInstance", {"InstanceId": iid, "ImageId": WINDOWS, "LoginSettings": {"KeyIds": [key]}}) == "UnsupportedOperation.KeyPairUnsupportedWindows"
    assert error_code(cvm, "ResetInstance", {"InstanceId": iid, "LoginSettings": {"KeyIds": [key], "KeepImageLogin": "true"}}) == "InvalidParameter.ParameterConflict"

    before = server.admin(f"/_stratus/instances/{iid}?account=alice")[1]
    rid = call(cvm, "ResetInstance", {"InstanceId": iid, "ImageId": UBUNTU, "SystemDisk": {"DiskSize": 80},
                                      "LoginSettings": {"Password": "NewPassw0rd!"}, "HostName": "api-1",
                                      "UserData": "IyEvYmluL3NoCmVjaG8gaGkK"})["RequestId"]
    during = instance(cvm, iid)
    assert during["LatestOperation"] == "ResetInstance" and during["LatestOperationRequestId"] == rid
    assert error_code(cvm, "RebootInstances", {"InstanceIds": [iid]}) == "OperationDenied.InstanceOperationInProgress"
    after = settled(cvm, iid)
    assert after["LatestOperationState"] == "SUCCESS" and after["ImageId"] == UBUNTU
    assert after["SystemDisk"]["DiskSize"] == 80 and after["HostName"] == "api-1"
    inside = server.admin(f"/_stratus/instances/{iid}?account=alice")[1]
    assert inside["system_disk"]["generation"] == before["system_disk"]["generation"] + 1
    assert server.admin(f"/_stratus/instances/{iid}/login?account=alice", "POST", {"password": "NewPassw0rd!"})[1]["ok"]
    assert not server.admin(f"/_stratus/instances/{iid}/login?account=alice", "POST", {"password": "Passw0rd!"})[1]["ok"]
    assert error_code(cvm, "ResetInstance", {"InstanceId": iid, "SystemDisk": {"DiskSize": 40}}) == "InvalidParameterValue.InvalidParameterValueLimit"
    # The disk keeps its type; the host name follows the new image's OS
    # (20 characters are a Linux name, too many for Windows).
    assert after["SystemDisk"]["DiskType"] == "CLOUD_PREMIUM"
    assert error_code(cvm, "ResetInstance", {"InstanceId": iid, "SystemDisk": {"DiskType": "CLOUD_SSD"}}) == "InvalidParameterValue"
    assert error_code(cvm, "ResetInstance", {"InstanceId": iid, "ImageId": WINDOWS, "HostName": "a-linux-host-name-20"}) == "InvalidParameterValue.IllegalHostName"


def test_reset_across_os_families_changes_the_system_disk_and_mails_a_password(server, cvm):
    iid = running(cvm)[0]
    server.admin(f"/_stratus/instances/{iid}/snapshots?account=alice", "POST", {})
    old_disk = instance(cvm, iid)["SystemDisk"]["DiskId"]
    call(cvm, "ResetInstance", {"InstanceId": iid, "ImageId": WINDOWS})
    after = settled(cvm, iid)
    assert after["OsName"].startswith("Windows") and after["SystemDisk"]["DiskId"] != old_disk
    snaps = server.admin(f"/_stratus/instances/{iid}?account=alice")[1]["snapshots"]
    assert snaps and not any(s["usable_for_rollback"] for s in snaps)
    mail = [m for m in server.messages("alice") if m["instance_id"] == iid]
    assert mail and server.admin(f"/_stratus/instances/{iid}/login?account=alice", "POST", {"password": mail[-1]["password"]})[1]["ok"]
    # On Windows a new password may not contain the user name (Administrator
    # when none is given), though it meets the reset rule otherwise.
    reset = {"InstanceIds": [iid], "ForceStop": True}
    assert error_code(cvm, "ResetInstancesPassword", dict(reset, Password="Administrator#2024")) == "InvalidParameterValue.InvalidPassword"
    assert error_code(cvm, "ResetInstancesPassword", dict(reset, Password="Ops-User#2024x", UserName="ops-user")) == "InvalidParameterValue.InvalidPassword"
    call(cvm, "ResetInstancesPassword", dict(reset, Password="Adm1n-Safe#2024"))
    assert settled(cvm, iid)["LatestOperationState"] == "SUCCESS"


def test_reset_password_needs_force_stop_when_running(cvm):
    iid = running(cvm)[0]
    assert error_code(cvm, "ResetInstancesPassword", {"InstanceIds": [iid], "Password": "Abcdefg1!"}) == "UnsupportedOperation.InstanceStateRunning"
    assert error_code(cvm, "ResetInstancesPassword", {"InstanceIds": [iid], "Password": "abcdefgh1", "ForceStop": True}) == "InvalidParameterValue.InvalidPassword"
    call(cvm, "ResetInstancesPassword", {"InstanceIds": [iid], "Password": "Abcdefg1!", "ForceStop": True})
    assert settled(cvm, iid)["LatestOperation"] == "ResetInstancesPassword"


def test_terminate_prepaid_goes_to_the_recycle_bin_then_is_destroyed(cvm):
    prepaid = running(cvm, charge="PREPAID")
    postpaid = running(cvm)
    assert instance(cvm, prepaid[0])["ExpiredTime"] is not None
    assert instance(cvm, prepaid[0])["RenewFlag"] == "NOTIFY_AND_MANUAL_RENEW"
    assert error_code(cvm, "RunInstances", {"Placement": {"Zone": ZONE}, "ImageId": LINUX, "InstanceType": "S5.MEDIUM4",
                                            "InstanceChargeType": "PREPAID",
                                            "InstanceChargePrepaid": {"Period": 1, "RenewFlag": "RENEW_FOREVER"}}) == "InvalidParameterValue"
    auto = run(cvm, charge="PREPAID", InstanceChargePrepaid={"Period": 1, "RenewFlag": "NOTIFY_AND_AUTO_RENEW"})
    assert instance(cvm, auto[0])["RenewFlag"] == "NOTIFY_AND_AUTO_RENEW"
    assert error_code(cvm, "TerminateInstances", {"InstanceIds": prepaid + postpaid}) == "UnsupportedOperation.InstanceMixedPricingModel"
    call(cvm, "TerminateInstances", {"InstanceIds": prepaid})
    assert settled(cvm, prepaid[0])["InstanceState"] == "SHUTDOWN"
    # One request, one command: the one in the bin is destroyed, the fresh one goes to the bin.
    fresh = running(cvm, charge="PREPAID")
    call(cvm, "TerminateInstances", {"InstanceIds": prepaid + fresh})
    wait_until(lambda: instance(cvm, prepaid[0]) is None, what="the prepaid instance to be destroyed")
    assert settled(cvm, fresh[0])["InstanceState"] == "SHUTDOWN"
    call(cvm, "TerminateInstances", {"InstanceIds": postpaid})
    wait_until(lambda: instance(cvm, postpaid[0]) is None, what="the postpaid instance to be destroyed")
    protected = running(cvm, DisableApiTermination=True)
    assert error_code(cvm, "TerminateInstances", {"InstanceIds": protected}) == "UnsupportedOperation.InstancesProtected"
    protected_prepaid = running(cvm, charge="PREPAID", DisableApiTermination=True)
    assert error_code(cvm, "TerminateInstances", {"InstanceIds": protected_prepaid}) == \
        "UnsupportedOperation.InstancesProtected"


def test_run_instances_rules(cvm):
    assert error_code(cvm, "RunInstances", {"Placement": {"Zone": ZONE}, "ImageId": LINUX, "DryRun": True}) == "DryRunOperation"
    assert error_code(cvm, "RunInstances", {"Placement": {"Zone": "ap-guangzhou-4"}, "ImageId": LINUX}) == "ResourceInsufficient.ZoneSoldOutForSpecifiedInstance"
    assert error_code(cvm, "RunInstances", {"Placement": {"Zone": "ap-shanghai-2"}, "ImageId": LINUX}) == "InvalidZone.MismatchRegion"
    assert error_code(cvm, "RunInstances", {"Placement": {"Zone": ZONE}, "ImageId": LINUX, "InstanceType": "S9.HUGE"}) == "InvalidParameterValue.InstanceTypeNotFound"
    assert error_code(cvm, "RunInstances", {"Placement": {"Zone": ZONE}, "ImageId": LINUX, "InstanceType": "SA3.2XLARGE16"}) == "ResourcesSoldOut.SpecifiedInstanceType"
    assert error_code(cvm, "RunInstances", {"Placement": {"Zone": ZONE}, "ImageId": WINDOWS, "InstanceType": "S5.MEDIUM4", "LoginSettings": {"Password": "Short1!aaaa"}}) == "InvalidParameterValue.InvalidPassword"
    assert error_code(cvm, "RunInstances", {"Placement": {"Zone": ZONE}, "ImageId": LINUX, "HostName": "a..b"}) == "InvalidParameterValue.IllegalHostName"
    # alice's balance (500) does not cover a year of 8 large prepaid machines.
    assert error_code(cvm, "RunInstances", {"Placement": {"Zone": ZONE}, "ImageId": LINUX, "InstanceType": "S5.2XLARGE16", "InstanceCount": 8,
                                            "InstanceChargeType": "PREPAID", "InstanceChargePrepaid": {"Period": 12}}) == "InvalidAccount.InsufficientBalance"
    first = run(cvm, ClientToken="cvm-token-1")
    assert run(cvm, ClientToken="cvm-token-1") == first
    assert error_code(cvm, "RunInstances", {"Placement": {"Zone": ZONE}, "ImageId": LINUX, "Bogus": 1}) == "UnknownParameter"


def test_key_pairs_bind_and_refuse(cvm):
    created = call(cvm, "CreateKeyPair", {"KeyName": "deploy", "ProjectId": 0})["KeyPair"]
    assert created["KeyId"].startswith("skey-") and "PRIVATE KEY" in created["PrivateKey"]
    listed = call(cvm, "DescribeKeyPairs", {"KeyIds": [created["KeyId"]]})["KeyPairSet"][0]
    assert listed["PrivateKey"] is None
    assert error_code(cvm, "CreateKeyPair", {"KeyName": "deploy", "ProjectId": 0}) == "InvalidKeyPairName.Duplicate"
    assert error_code(cvm, "ImportKeyPair", {"KeyName": "bad", "ProjectId": 0, "PublicKey": "ssh-rsa nope"}) == "InvalidPublicKey.Malformed"
    iid = running(cvm)[0]
    assert error_code(cvm, "AssociateInstancesKeyPairs", {"InstanceIds": [iid], "KeyIds": [created["KeyId"]]}) == "UnsupportedOperation.InstanceStateRunning"
    call(cvm, "AssociateInstancesKeyPairs", {"InstanceIds": [iid], "KeyIds": [created["KeyId"]], "ForceStop": True})
    assert settled(cvm, iid)["LoginSettings"]["KeyIds"] == [created["KeyId"]]
    assert call(cvm, "DescribeKeyPairs", {"KeyIds": [created["KeyId"]]})["KeyPairSet"][0]["AssociatedInstanceIds"] == [iid]
    win = running(cvm, image=WINDOWS, password="Passw0rd!Windows")[0]
    assert error_code(cvm, "AssociateInstancesKeyPairs", {"InstanceIds": [win], "KeyIds": [created["KeyId"]], "ForceStop": True}) == "UnsupportedOperation.KeyPairUnsupportedWindows"
    assert error_code(cvm, "DeleteKeyPairs", {"KeyIds": ["skey-zzzzzzzz"]}) == "InvalidKeyPairId.NotFound"


def test_images_regions_and_types(cvm):
    imgs = call(cvm, "DescribeImages", {"Filters": [{"Name": "image-type", "Values": ["PRIVATE_IMAGE"]}]})
    assert [i["ImageId"] for i in imgs["ImageSet"]] == ["img-pr1vat3a"]
    assert error_code(cvm, "DescribeImages", {"ImageIds": [LINUX], "Filters": [{"Name": "platform", "Values": ["CentOS"]}]}) == "InvalidParameter.InvalidParameterCoexistImageIdsFilters"
    page = call(cvm, "DescribeImages", {"Limit": 3})
    assert page["TotalCount"] >= 10 and len(page["ImageSet"]) == 3
    assert any(i["ImageState"] == "SYNCING" for i in call(cvm, "DescribeImages", {"Limit": 100})["ImageSet"])
    types = call(cvm, "DescribeInstanceTypeConfigs", {"Filters": [{"Name": "instance-family", "Values": ["SA2"]}]})["InstanceTypeConfigSet"]
    assert types and all(t["InstanceFamily"] == "SA2" for t in types)
    assert ZONE in [z["Zone"] for z in call(cvm, "DescribeZones", {})["ZoneSet"]]


def test_another_account_sees_nothing(server, cvm):
    iid = running(cvm)[0]
    bob = client(server, "AKIDBOBCVM00000000000000000000000000", "bob-secret")
    assert call(bob, "DescribeInstances", {"InstanceIds": [iid]})["TotalCount"] == 0
    assert error_code(bob, "RebootInstances", {"InstanceIds": [iid]}) == "InvalidInstanceId.NotFound"
    assert error_code(bob, "ResetInstance", {"InstanceId": iid}) == "InvalidInstanceId.NotFound"
    assert "img-pr1vat3a" not in [i["ImageId"] for i in call(bob, "DescribeImages", {"Limit": 100})["ImageSet"]]


def test_get_and_legacy_signatures_and_a_failed_operation(server, cvm):
    iid = running(cvm)[0]
    for profile in (dict(reqMethod="GET"),):
        c = client(server, **profile)
        assert call(c, "DescribeInstances", {"InstanceIds": [iid], "Limit": 1})["TotalCount"] == 1
    for method in ("HmacSHA1", "HmacSHA256"):
        hp = HttpProfile(endpoint=server.endpoint, protocol="http")
        c = cvm_client.CvmClient(credential.Credential(TENCENT_ID, TENCENT_KEY), "ap-guangzhou", ClientProfile(httpProfile=hp, signMethod=method))
        assert call(c, "DescribeInstancesStatus", {"InstanceIds": [iid]})["TotalCount"] == 1
    server.admin("/_stratus/faults", "PUT", [{"product": "cvm", "action": "ResetInstance", "message": "disk controller error", "remaining": 1}])
    call(cvm, "ResetInstance", {"InstanceId": iid})
    failed = settled(cvm, iid)
    assert failed["LatestOperationState"] == "FAILED" and failed["LatestOperationErrorMsg"] == "disk controller error"
    assert failed["InstanceState"] == "RUNNING"
    server.admin("/_stratus/faults", "DELETE")


def test_tccli_drives_cvm(server):
    home = tempfile.mkdtemp(prefix="tccli-home-")
    tccli = os.path.join(os.path.dirname(sys.executable), "tccli")
    base = [tccli, "cvm"]
    common = ["--endpoint", f"http://{server.endpoint}", "--region", "ap-guangzhou", "--secretId", TENCENT_ID, "--secretKey", TENCENT_KEY]
    env = dict(os.environ, HOME=home)
    out = subprocess.run(base + ["RunInstances"] + common + ["--Placement", json.dumps({"Zone": ZONE}), "--ImageId", LINUX,
                                                             "--LoginSettings", json.dumps({"Password": "Passw0rd!"})],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    iid = json.loads(out.stdout)["InstanceIdSet"][0]
    bad = subprocess.run(base + ["StartInstances"] + common + ["--InstanceIds", json.dumps(["ins-zzzzzzzz"])],
                         capture_output=True, text=True, env=env)
    assert bad.returncode != 0 and "InvalidInstanceId.NotFound" in bad.stderr
    listed = subprocess.run(base + ["DescribeInstances"] + common + ["--InstanceIds", json.dumps([iid])], capture_output=True, text=True, env=env)
    assert json.loads(listed.stdout)["InstanceSet"][0]["InstanceId"] == iid
