"""The Tencent legacy API 2.0 (`/v2/index.php`) through the official legacy
client `qcloudapi-sdk-python`, as a second door onto the CVM instances made
through API 3.0: ResetInstances exactly as seed 003 (both signature methods,
GET and POST), DescribeInstances/DescribeImages, Start/Stop/RestartInstances
with per-instance results, and the seed's module error codes."""
import http.client
import json

import pytest
from QcloudApi.modules.cvm import Cvm
from QcloudApi.modules.image import Image
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312 import cvm_client

from harness import TENCENT_ID, TENCENT_KEY, Server, wait_until

LINUX = "img-l8og963d"
UBUNTU = "img-487zeit5"
WINDOWS = "img-9id7emv7"
PRIVATE = "img-pr1vat3a"
ZONE = "ap-guangzhou-3"


class LocalConnection(http.client.HTTPConnection):
    """Plain HTTP in place of the client's hard-wired HTTPS connection."""
    request_length = 0  # the client's ApiRequest reads it


@pytest.fixture(scope="module")
def server():
    s = Server(speed=200, config="""
[[accounts]]
name = "alice"
balance = 200.0
""")
    yield s
    s.stop()


def legacy(server, module=Cvm, method="GET", signature="HmacSHA1", secret_key=TENCENT_KEY):
    """The legacy client, pointed at Stratus by its two runtime attributes."""
    config = {"secretId": TENCENT_ID, "secretKey": secret_key, "Region": "gz", "method": method,
              "SignatureMethod": signature}
    svc = module(config)
    svc.requestHost = server.endpoint
    svc.apiRequest.conn = LocalConnection("127.0.0.1", server.port)

    def call(action, params):
        return json.loads(svc.call(action, params))
    return call


@pytest.fixture(scope="module")
def api3(server):
    hp = HttpProfile(endpoint=server.endpoint, protocol="http")
    return cvm_client.CvmClient(credential.Credential(TENCENT_ID, TENCENT_KEY), "ap-guangzhou", ClientProfile(httpProfile=hp))


def run(api3, image=LINUX, charge="POSTPAID_BY_HOUR"):
    params = {"Placement": {"Zone": ZONE}, "ImageId": image, "InstanceType": "S5.MEDIUM4",
              "LoginSettings": {"Password": "Passw0rd!Legacy"}, "InstanceChargeType": charge}
    if charge == "PREPAID":
        params["InstanceChargePrepaid"] = {"Period": 1}
    iid = api3.call_json("RunInstances", params)["Response"]["InstanceIdSet"][0]
    settled(api3, iid)
    return iid


def instance(api3, iid):
    found = api3.call_json("DescribeInstances", {"InstanceIds": [iid]})["Response"]["InstanceSet"]
    return found[0] if found else None


def settled(api3, iid):
    return wait_until(lambda: (lambda i: i if i and i["LatestOperationState"] != "OPERATING" else None)(instance(api3, iid)),
                      what=f"{iid} to settle")


@pytest.mark.parametrize("method,signature", [("GET", "HmacSHA1"), ("POST", "HmacSHA256")])
def test_reset_instances_through_v2_is_seen_through_both_doors(server, api3, method, signature):
    iid = run(api3)
    call = legacy(server, method=method, signature=signature)
    reply = call("ResetInstances", {"instanceId": iid, "imageType": 2, "imageId": UBUNTU,
                                    "password": "Abc123!@#xyz", "needSecurityAgent": 1, "needMonitorAgent": 0})
    assert reply["code"] == 0 and reply["codeDesc"] == "Success" and isinstance(reply["requestId"], int)
    during = instance(api3, iid)
    assert during["LatestOperation"] == "ResetInstances" and during["LatestOperationState"] == "OPERATING"
    v2 = call("DescribeInstances", {"instanceIds": [iid]})
    assert v2["totalCount"] == 1 and v2["instanceSet"][0]["status"] == 14, "14: reinstalling"
    after = settled(api3, iid)
    assert after["ImageId"] == UBUNTU and after["LatestOperationState"] == "SUCCESS"
    v2 = call("DescribeInstances", {"instanceIds": [iid]})["instanceSet"][0]
    assert v2["unInstanceId"] == iid and v2["unImgId"] == UBUNTU and v2["status"] == 2 and v2["Region"] == "gz"
    assert server.admin(f"/_stratus/instances/{iid}/login?account=alice", "POST", {"password": "Abc123!@#xyz"})[1]["ok"]


def test_no_image_keeps_the_current_one_and_no_password_is_mailed(server, api3):
    iid = run(api3)
    call = legacy(server)
    assert call("ResetInstances", {"instanceId": iid})["code"] == 0
    after = settled(api3, iid)
    assert after["ImageId"] == LINUX
    assert [m for m in server.messages("alice") if m["instance_id"] == iid], "a random password is sent by message"


def test_linux_to_windows_gives_a_new_system_disk_and_ends_snapshot_rollback(server, api3):
    iid = run(api3)
    server.admin(f"/_stratus/instances/{iid}/snapshots?account=alice", "POST", {})
    old_disk = instance(api3, iid)["SystemDisk"]["DiskId"]
    call = legacy(server)
    assert call("ResetInstances", {"instanceId": iid, "imageType": 2, "imageId": WINDOWS, "password": "Abcdef123!@#"})["code"] == 0
    after = settled(api3, iid)
    assert after["SystemDisk"]["DiskId"] != old_disk
    snapshots = server.admin(f"/_stratus/instances/{iid}?account=alice")[1]["snapshots"]
    assert snapshots and all(not s["usable_for_rollback"] for s in snapshots)


def test_seed_003_error_codes(server, api3):
    call = legacy(server)
    iid = run(api3)
    # Passwords: Linux 8-16 of two classes; Windows 12-16 of three.
    for bad in ("short1!", "onlyletters", "x" * 17 + "1"):
        assert call("ResetInstances", {"instanceId": iid, "password": bad})["code"] == 4000, bad
    assert call("ResetInstances", {"instanceId": iid, "imageType": 2, "imageId": WINDOWS, "password": "abcdefgh1234"})["code"] == 4000
    assert call("ResetInstances", {"instanceId": iid, "imageType": 1, "imageId": UBUNTU})["code"] == 4000, "imageType must match the image"
    assert call("ResetInstances", {"instanceId": iid, "imageType": 2})["code"] == 4000, "imageType needs imageId"
    assert call("ResetInstances", {"instanceId": "ins-zzzzzzzz"})["code"] == 5000
    # A busy instance: OperationConstraints.InvaildInstanceStatus.
    api3.call_json("RebootInstances", {"InstanceIds": [iid]})
    busy = call("ResetInstances", {"instanceId": iid})
    assert busy["code"] == 5100 and busy["codeDesc"] == "OperationConstraints.InvaildInstanceStatus", busy
    settled(api3, iid)
    # An image that cannot go on this machine: OperationFail.AllResourceOpFailed.
    failed = call("ResetInstances", {"instanceId": iid, "imageType": 2, "imageId": "img-2lr9q49h"})
    assert failed["codeDesc"] == "OperationFail.AllResourceOpFailed", failed
    # A larger prepaid system disk than the balance pays for.
    prepaid = run(api3, charge="PREPAID")
    poor = call("ResetInstances", {"instanceId": prepaid, "rootSize": 1000})
    assert poor["code"] == 5300 and poor["codeDesc"] == "OperationConstraints.AccountBalanceNotEnough", poor
    assert call("ResetInstances", {"instanceId": prepaid, "rootSize": 60})["code"] == 0
    assert settled(api3, prepaid)["SystemDisk"]["DiskSize"] == 60
    assert call("ResetThings", {})["code"] == 6100
    # The cloud is busy (a fault rule): OperationFail.SystemBusy, nothing started.
    server.admin("/_stratus/faults", "PUT", [{"product": "cvm", "action": "ResetInstances", "remaining": 1,
                                               "message": "busy with resource purchase"}])
    busy = call("ResetInstances", {"instanceId": iid})
    assert busy["codeDesc"] == "OperationFail.SystemBusy" and busy["code"] != 0, busy
    assert instance(api3, iid)["LatestOperationState"] != "OPERATING"
    assert call("ResetInstances", {"instanceId": iid})["code"] == 0, "the rule was used up"


def test_describe_images_on_the_image_host(server):
    images = legacy(server, module=Image)
    public = images("DescribeImages", {"imageType": 2, "limit": 100})
    assert public["code"] == 0 and LINUX in [i["unImgId"] for i in public["imageSet"]]
    private = images("DescribeImages", {"imageType": 1})
    assert [i["unImgId"] for i in private["imageSet"]] == [PRIVATE]
    assert images("DescribeImages", {})["code"] == 4000, "imageType is required"


def test_batch_power_actions_report_each_instance(server, api3):
    call = legacy(server, method="POST")
    a, b = run(api3), run(api3)
    stop = call("StopInstances", {"instanceIds": [a]})
    assert stop["code"] == 0 and stop["detail"][a]["code"] == 0
    settled(api3, a)
    mixed = call("StartInstances", {"instanceIds": [a, b]})
    assert mixed["code"] == 5400 and mixed["detail"][a]["code"] == 0 and mixed["detail"][b]["code"] != 0, mixed
    settled(api3, a)
    restart = call("RestartInstances", {"instanceIds": [a, b]})
    assert restart["code"] == 0
    assert {instance(api3, i)["InstanceState"] for i in (a, b)} == {"REBOOTING"}
    none = call("RestartInstances", {"instanceIds": ["ins-zzzzzzzz", "ins-yyyyyyyy"]})
    assert none["code"] == 5100 and none["codeDesc"] == "OperationFail.AllResourceOpFailed"


def test_authentication(server):
    wrong = legacy(server, secret_key="not-the-secret")
    assert wrong("DescribeInstances", {})["code"] == 4100
    ok = legacy(server)
    assert ok("DescribeInstances", {"limit": 1})["code"] == 0


def test_unknown_secret_id_expired_timestamp_and_replayed_nonce(server, monkeypatch):
    import random
    import time as clock
    unknown = Cvm({"secretId": "AKIDNOBODY00000000000000000000000000", "secretKey": "x", "Region": "gz", "method": "GET"})
    unknown.requestHost = server.endpoint
    unknown.apiRequest.conn = LocalConnection("127.0.0.1", server.port)
    assert json.loads(unknown.call("DescribeInstances", {}))["code"] == 4104
    call = legacy(server)
    real_time = clock.time
    monkeypatch.setattr(clock, "time", lambda: real_time() - 3600)
    assert call("DescribeInstances", {})["code"] == 4500, "a timestamp an hour old"
    monkeypatch.setattr(clock, "time", real_time)
    monkeypatch.setattr(random, "randint", lambda a, b: 424242)
    assert call("DescribeInstances", {})["code"] == 0
    assert call("DescribeInstances", {})["code"] == 4500, "the same nonce twice"
