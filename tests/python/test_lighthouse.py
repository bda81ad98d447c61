"""Tencent Cloud Lighthouse (API 2020-03-24), seed 001 (ResetInstance) in full,
through the official Python SDK and tccli: the lifecycle, every seed error
code a request can trigger, authentication failures, tenant isolation, rate
limits, key pairs, generated passwords, and a restart with nothing lost."""
import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import tempfile

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.lighthouse.v20200324 import lighthouse_client, models

from harness import TENCENT_ID, TENCENT_KEY, Server, tc3_request, wait_until

CENTOS = "lhbp-c76k3m2a"
UBUNTU = "lhbp-u22h6n4c"
DEBIAN = "lhbp-d12t5w3e"
OFFLINE = "lhbp-c82q0f1j"
WINDOWS = "lhbp-w22s9d4k"
WORDPRESS = "lhbp-wp6g5h8n"
BOB_ID, BOB_KEY = "AKIDBOBLIGHTHOUSE0000000000000000000", "bob-secret"
CONFIG = f"""
[[accounts]]
name = "alice"
[[accounts]]
name = "bob"
tencent = {{ secret_id = "{BOB_ID}", secret_key = "{BOB_KEY}" }}
"""


@pytest.fixture(scope="module")
def server():
    s = Server(speed=200, config=CONFIG)
    yield s
    s.stop()


def client(server, secret_id=TENCENT_ID, secret_key=TENCENT_KEY, sign_method=None, **http):
    hp = HttpProfile(endpoint=server.endpoint, protocol="http", **http)
    profile = ClientProfile(httpProfile=hp, signMethod=sign_method) if sign_method else ClientProfile(httpProfile=hp)
    return lighthouse_client.LighthouseClient(credential.Credential(secret_id, secret_key), "ap-guangzhou", profile)


@pytest.fixture(scope="module")
def lh(server):
    return client(server)


def call(c, action, params):
    return c.call_json(action, params)["Response"]


def error_code(c, action, params):
    """The error code of a call that must fail. ResetInstance is limited to
    10 per second per account, so a throttled call is retried, as the SDK's
    StandardRetryer would."""
    def attempt():
        with pytest.raises(TencentCloudSDKException) as e:
            c.call_json(action, params)
        return e.value.code if e.value.code != "RequestLimitExceeded" else None
    return wait_until(attempt, interval=0.1, what=f"{action} to be let through the rate limit")


def create(c, blueprint=CENTOS, bundle="bundle_gen_01", count=1, login=True, **extra):
    params = {"BundleId": bundle, "BlueprintId": blueprint, "InstanceChargePrepaid": {"Period": 1}, "InstanceCount": count}
    if login:
        params["LoginConfiguration"] = {"AutoGeneratePassword": "NO", "Password": "Passw0rd!Example"}
    params.update(extra)
    return call(c, "CreateInstances", params)["InstanceIdSet"]


def instance(c, iid):
    found = call(c, "DescribeInstances", {"InstanceIds": [iid]})["InstanceSet"]
    return found[0] if found else None


def settled(c, iid):
    def done():
        i = instance(c, iid)
        return i if i and i["LatestOperationState"] != "OPERATING" else None
    return wait_until(done, what=f"{iid} to finish its operation")


def running(c, **kw):
    ids = create(c, **kw)
    for iid in ids:
        assert settled(c, iid)["InstanceState"] == "RUNNING"
    return ids


def stopped(c, **kw):
    iid = running(c, **kw)[0]
    call(c, "StopInstances", {"InstanceIds": [iid]})
    assert settled(c, iid)["InstanceState"] == "STOPPED"
    return iid


def test_lifecycle_create_stop_reset_reboot_isolate_terminate(server, lh):
    iid = create(lh)[0]
    first = instance(lh, iid)
    assert first["InstanceState"] == "PENDING" and first["LatestOperation"] == "CreateInstances"
    assert first["LatestOperationState"] == "OPERATING"
    assert settled(lh, iid)["InstanceState"] == "RUNNING"

    call(lh, "StopInstances", {"InstanceIds": [iid], "StopType": "SOFT_FIRST"})
    assert instance(lh, iid)["InstanceState"] == "STOPPING"
    assert settled(lh, iid)["InstanceState"] == "STOPPED"

    req = models.ResetInstanceRequest()
    req.InstanceId, req.BlueprintId = iid, UBUNTU
    login = models.LoginConfiguration()
    login.AutoGeneratePassword, login.Password = "NO", "NewPassw0rd!Example"
    req.LoginConfiguration = login
    before = server.admin(f"/_stratus/instances/{iid}?account=alice")[1]
    request_id = lh.ResetInstance(req).RequestId
    during = instance(lh, iid)
    assert during["InstanceState"] == "RESETTING"
    assert during["LatestOperation"] == "ResetInstance" and during["LatestOperationState"] == "OPERATING"
    assert during["LatestOperationRequestId"] == request_id and during["LatestOperationStartedTime"]
    after = settled(lh, iid)
    assert after["LatestOperationState"] == "SUCCESS" and after["BlueprintId"] == UBUNTU
    assert after["InstanceState"] == "STOPPED", "a reinstall keeps a stopped instance stopped"
    assert after["OsName"].startswith("Ubuntu")
    inside = server.admin(f"/_stratus/instances/{iid}?account=alice")[1]
    assert inside["system_disk"]["generation"] == before["system_disk"]["generation"] + 1, "the system disk was formatted"
    login_check = lambda pw: server.admin(f"/_stratus/instances/{iid}/login?account=alice", "POST", {"password": pw})[1]["ok"]
    assert login_check("NewPassw0rd!Example") and not login_check("Passw0rd!Example")

    call(lh, "StartInstances", {"InstanceIds": [iid]})
    assert instance(lh, iid)["InstanceState"] == "STARTING"
    assert settled(lh, iid)["InstanceState"] == "RUNNING"
    call(lh, "IsolateInstances", {"InstanceIds": [iid]})
    isolated = settled(lh, iid)
    assert isolated["InstanceState"] == "SHUTDOWN" and isolated["IsolatedTime"]
    call(lh, "TerminateInstances", {"InstanceIds": [iid]})
    wait_until(lambda: instance(lh, iid) is None, what="the instance to disappear")


def test_reset_keeps_the_current_blueprint_when_none_is_given_and_mails_a_password(server, lh):
    iid = running(lh, blueprint=DEBIAN)[0]
    call(lh, "ResetInstance", {"InstanceId": iid})
    after = settled(lh, iid)
    assert after["BlueprintId"] == DEBIAN and after["InstanceState"] == "RUNNING"
    mail = [m for m in server.messages("alice") if m["instance_id"] == iid]
    assert mail, "no password and no key: a random password is mailed"
    assert server.admin(f"/_stratus/instances/{iid}/login?account=alice", "POST", {"password": mail[-1]["password"]})[1]["ok"]


def test_batch_reboot_shows_rebooting(lh):
    ids = running(lh, count=3)
    call(lh, "RebootInstances", {"InstanceIds": ids})
    assert {instance(lh, i)["InstanceState"] for i in ids} == {"REBOOTING"}
    for i in ids:
        done = settled(lh, i)
        assert done["InstanceState"] == "RUNNING" and done["LatestOperation"] == "RebootInstances"


def test_seed_001_error_codes(lh):
    iid = running(lh)[0]
    small = running(lh, bundle="bundle_starter_01")[0]
    cases = [
        ({"InstanceId": "lhins-12"}, "InvalidParameterValue.InstanceIdMalformed"),
        ({"InstanceId": "ins-abcdefgh"}, "InvalidParameterValue.InstanceIdMalformed"),
        ({"InstanceId": "lhins-zzzzzzzz"}, "ResourceNotFound.InstanceIdNotFound"),
        ({"InstanceId": iid, "BlueprintId": "lhbp-1"}, "InvalidParameterValue.BlueprintIdMalformed"),
        ({"InstanceId": iid, "BlueprintId": "lhbp-zzzzzzzz"}, "ResourceNotFound.BlueprintIdNotFound"),
        ({"InstanceId": iid, "BlueprintId": OFFLINE}, "ResourceUnavailable.BlueprintUnavailable"),
        ({"InstanceId": iid, "BlueprintId": WINDOWS}, "InvalidParameterValue.NotAllowToChangePlatformType"),
        ({"InstanceId": small, "BlueprintId": WORDPRESS}, "InvalidParameterValue.BlueprintConfigNotMatch"),
        ({"InstanceId": iid, "LoginConfiguration": {"AutoGeneratePassword": "NO", "Password": "abc"}}, "InvalidParameterValue.InvalidPassword"),
        ({"InstanceId": iid, "LoginConfiguration": {"AutoGeneratePassword": "NO", "Password": "Aa1!" * 8}}, "InvalidParameterValue.InvalidPassword"),
        ({"InstanceId": iid, "LoginConfiguration": {"KeyIds": ["lhkp-zzzzzzzz"]}}, "ResourceNotFound.KeyPairNotFound"),
        ({"InstanceId": iid, "LoginConfiguration": {"KeyIds": ["lhkp-aaaaaaaa", "lhkp-aaaaaaaa"]}}, "InvalidParameterValue.Duplicated"),
        ({"InstanceId": iid, "LoginConfiguration": {"KeyIds": [f"lhkp-aaaaaaa{n}" for n in range(6)]}}, "InvalidParameterValue.LimitExceeded"),
        ({"InstanceId": "lhins-" + "a" * 80}, "InvalidParameterValue.TooLong"),
        # Containers need a DOCKER blueprint: the instance's own, read by the engine.
        ({"InstanceId": iid, "Containers": [{"ContainerImage": "nginx"}]},
         "UnsupportedOperation.BlueprintTypeNotSupportOperation"),
    ]
    for params, code in cases:
        assert error_code(lh, "ResetInstance", params) == code, params
    key = call(lh, "CreateKeyPair", {"KeyName": "seedkey"})["KeyPair"]["KeyId"]
    both = {"InstanceId": iid, "LoginConfiguration": {"Password": "Passw0rd!Example", "KeyIds": [key]}}
    assert error_code(lh, "ResetInstance", both) == "InvalidParameterValue.InvalidParameterCombination"
    # State rules: creating, unfinished, wrong state.
    fresh = create(lh)[0]
    assert error_code(lh, "ResetInstance", {"InstanceId": fresh}) == "OperationDenied.InstanceCreating"
    call(lh, "RebootInstances", {"InstanceIds": [iid]})
    assert error_code(lh, "ResetInstance", {"InstanceId": iid}) == "UnsupportedOperation.LatestOperationUnfinished"
    settled(lh, iid)
    call(lh, "IsolateInstances", {"InstanceIds": [iid]})
    settled(lh, iid)
    assert error_code(lh, "ResetInstance", {"InstanceId": iid}) == "UnsupportedOperation.InvalidInstanceState"
    assert error_code(lh, "StartInstances", {"InstanceIds": [small]}) == "UnsupportedOperation.InvalidInstanceState"


def test_concurrent_writes_accept_exactly_one(lh):
    iid = running(lh)[0]
    attempts = [("RebootInstances", {"InstanceIds": [iid]}), ("ResetInstance", {"InstanceId": iid}),
                ("StopInstances", {"InstanceIds": [iid]}), ("RebootInstances", {"InstanceIds": [iid]})]

    def attempt(a):
        try:
            lh.call_json(*a)
            return "ok"
        except TencentCloudSDKException as e:
            return e.code
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(attempt, attempts))
    assert outcomes.count("ok") == 1, outcomes
    assert set(outcomes) - {"ok"} <= {"UnsupportedOperation.LatestOperationUnfinished", "OperationDenied.InstanceOperationInProgress"}, outcomes


def test_reset_is_limited_to_ten_per_second(server):
    c = client(server, BOB_ID, BOB_KEY)

    def attempt(_):
        try:
            c.call_json("ResetInstance", {"InstanceId": "lhins-zzzzzzzz"})
        except TencentCloudSDKException as e:
            return e.code
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(attempt, range(40)))
    assert "RequestLimitExceeded" in codes
    # Other actions are not limited by it.
    assert call(c, "DescribeInstances", {})["TotalCount"] == 0


def test_create_rules(lh):
    base = {"BundleId": "bundle_gen_01", "BlueprintId": CENTOS, "InstanceChargePrepaid": {"Period": 1}}
    assert error_code(lh, "CreateInstances", dict(base, DryRun=True)) == "DryRunOperation"
    assert error_code(lh, "CreateInstances", dict(base, InstanceName="n" * 61)) == "InvalidParameterValue.InstanceNameTooLong"
    assert error_code(lh, "CreateInstances", dict(base, BundleId="bundle_nope")) == "InvalidParameter.BundleIdNotFound"
    assert error_code(lh, "CreateInstances", dict(base, BundleId="bundle_starter_01", BlueprintId=WINDOWS)) == "InvalidParameterValue.BundleAndBlueprintNotMatch"
    assert error_code(lh, "CreateInstances", dict(base, Zones=["ap-shanghai-2"])) == "InvalidParameterValue.ZoneInvalid"
    assert error_code(lh, "CreateInstances", dict(base, ClientToken="t" * 65)) == "InvalidParameterValue.ClientTokenTooLong"
    assert error_code(lh, "CreateInstances", dict(base, InstanceChargePrepaid={"Period": 13})) == "InvalidParameterValue.OutOfRange"
    assert error_code(lh, "CreateInstances", {"BundleId": "bundle_gen_01"}) == "MissingParameter"
    assert error_code(lh, "CreateInstances", dict(base, Colour="red")) == "UnknownParameter"
    first = call(lh, "CreateInstances", dict(base, ClientToken="lh-token"))["InstanceIdSet"]
    assert call(lh, "CreateInstances", dict(base, ClientToken="lh-token"))["InstanceIdSet"] == first


def test_describe_filters_paging_and_conflicts(lh):
    ids = running(lh, count=3, InstanceName="filtered", Zones=["ap-guangzhou-6"],
                  Tags=[{"Key": "team", "Value": "db"}])
    name = {"Name": "instance-name", "Values": ["filtered"]}
    page = call(lh, "DescribeInstances", {"Filters": [name], "Limit": 2})
    assert page["TotalCount"] == 3 and len(page["InstanceSet"]) == 2
    assert call(lh, "DescribeInstances", {"Filters": [name, {"Name": "zone", "Values": ["ap-guangzhou-6"]}]})["TotalCount"] == 3
    assert call(lh, "DescribeInstances", {"Filters": [name, {"Name": "instance-state", "Values": ["STOPPED"]}]})["TotalCount"] == 0
    assert call(lh, "DescribeInstances", {"Filters": [{"Name": "tag:team", "Values": ["db"]}]})["TotalCount"] == 3
    assert call(lh, "DescribeInstances", {"Filters": [{"Name": "bundle-id", "Values": ["bundle_gen_01"]}, name]})["TotalCount"] == 3
    assert error_code(lh, "DescribeInstances", {"InstanceIds": ids[:1], "Filters": [name]}) == "InvalidParameter.ParameterConflict"
    assert error_code(lh, "DescribeInstances", {"Filters": [{"Name": "colour", "Values": ["x"]}]}) == "InvalidParameter.InvalidFilterNotSupportedName"
    assert error_code(lh, "DescribeInstances", {"Limit": 101}) == "InvalidParameterValue.OutOfRange"
    assert error_code(lh, "DescribeInstances", {"Offset": -1}) == "InvalidParameterValue.Negative"
    assert error_code(lh, "DescribeInstances", {"Order": "DESC"}) == "MissingParameter.OrderFieldRequired"
    denied = call(lh, "DescribeInstancesDeniedActions", {"InstanceIds": ids[:1]})["InstanceDeniedActionSet"][0]
    assert {d["Action"] for d in denied["DeniedActions"]} >= {"StartInstances", "TerminateInstances"}


def test_a_filtered_paginator_reads_each_page_where_its_offset_says(lh):
    # Reboots between pages change states in place; a launch between pages
    # moves every later instance down one place, as offsets count.
    tag = {"Key": "walk", "Value": "paged"}
    ids = running(lh, count=7, Tags=[tag])
    walk = {"Filters": [{"Name": "tag:walk", "Values": ["paged"]}]}
    whole = [i["InstanceId"] for i in call(lh, "DescribeInstances", dict(walk, Limit=100))["InstanceSet"]]
    assert sorted(whole) == sorted(ids)
    seen = []
    for offset in range(0, 7, 2):
        page = call(lh, "DescribeInstances", dict(walk, Offset=offset, Limit=2))
        assert page["TotalCount"] == 7
        seen += [i["InstanceId"] for i in page["InstanceSet"]]
        call(lh, "RebootInstances", {"InstanceIds": [whole[offset]]})
    assert seen == whole
    assert [i["InstanceId"] for i in call(lh, "DescribeInstances", dict(walk, Offset=0, Limit=2))["InstanceSet"]] == whole[:2]
    newer = running(lh, Tags=[tag])
    second = call(lh, "DescribeInstances", dict(walk, Offset=2, Limit=2))
    assert second["TotalCount"] == 8
    assert [i["InstanceId"] for i in second["InstanceSet"]] == whole[1:3]
    assert call(lh, "DescribeInstances", dict(walk, Offset=0, Limit=1))["InstanceSet"][0]["InstanceId"] == newer[0]


def test_key_pairs(lh):
    created = call(lh, "CreateKeyPair", {"KeyName": "ops_key"})["KeyPair"]
    assert created["KeyId"].startswith("lhkp-") and "PRIVATE KEY" in created["PrivateKey"]
    listed = call(lh, "DescribeKeyPairs", {"KeyIds": [created["KeyId"]]})["KeyPairSet"][0]
    assert listed["PrivateKey"] is None and listed["PublicKey"] == created["PublicKey"]
    pub = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb0pSm8yK0dMp7Q4bVxJ8m1pGgS1yHh2Tq7mT6vQk9L test@example"
    imported = call(lh, "ImportKeyPair", {"KeyName": "imported", "PublicKey": pub})["KeyId"]
    assert error_code(lh, "ImportKeyPair", {"KeyName": "garbage", "PublicKey": "ssh-rsa not-a-key"}) == "InvalidParameterValue.KeyPairPublicKeyMalformed"
    assert error_code(lh, "CreateKeyPair", {"KeyName": "bad-name!"}) == "InvalidParameterValue.InvalidKeyPairNameIncludeIllegalChar"
    assert error_code(lh, "CreateKeyPair", {"KeyName": "ops_key"}) == "InvalidParameterValue.DuplicateParameterValue"
    iid = running(lh)[0]
    call(lh, "AssociateInstancesKeyPairs", {"KeyIds": [imported], "InstanceIds": [iid]})
    assert settled(lh, iid)["LoginSettings"]["KeyIds"] == [imported]
    assert error_code(lh, "DeleteKeyPairs", {"KeyIds": [imported]}) == "ResourceInUse.KeyPairInUse"
    call(lh, "DisassociateInstancesKeyPairs", {"KeyIds": [imported], "InstanceIds": [iid]})
    assert settled(lh, iid)["LoginSettings"]["KeyIds"] == []
    call(lh, "DeleteKeyPairs", {"KeyIds": [imported]})
    assert error_code(lh, "DeleteKeyPairs", {"KeyIds": [imported]}) == "ResourceNotFound.KeyIdNotFound"
    # A reset with a key binds it.
    call(lh, "ResetInstance", {"InstanceId": iid, "LoginConfiguration": {"KeyIds": [created["KeyId"]]}})
    assert settled(lh, iid)["LoginSettings"]["KeyIds"] == [created["KeyId"]]


def test_catalog_actions(lh):
    blueprints = call(lh, "DescribeBlueprints", {"Limit": 100})["BlueprintSet"]
    linux = [b for b in blueprints if b["PlatformType"] == "LINUX_UNIX" and b["BlueprintType"] == "PURE_OS"]
    assert len(linux) >= 6 and len([b for b in blueprints if b["PlatformType"] == "WINDOWS"]) >= 2
    assert any(b["BlueprintType"] == "APP_OS" for b in blueprints)
    assert [b["BlueprintState"] for b in blueprints if b["BlueprintId"] == OFFLINE] == ["OFFLINE"]
    bundles = call(lh, "DescribeBundles", {"Filters": [{"Name": "support-platform-type", "Values": ["WINDOWS"]}]})["BundleSet"]
    assert bundles and all(b["SupportWindowsPlatform"] for b in bundles)
    assert call(lh, "DescribeZones", {})["TotalCount"] == 3
    assert any(r["Region"] == "ap-singapore" for r in call(lh, "DescribeRegions", {})["RegionSet"])
    iid = running(lh, bundle="bundle_starter_01")[0]
    resets = {b["BlueprintInfo"]["BlueprintId"]: b for b in call(lh, "DescribeResetInstanceBlueprints", {"InstanceId": iid, "Limit": 100})["ResetInstanceBlueprintSet"]}
    assert resets[UBUNTU]["IsResettable"] and not resets[WINDOWS]["IsResettable"] and not resets[OFFLINE]["IsResettable"]


def test_other_signatures_and_transports(server):
    for kw in (dict(reqMethod="GET"), dict(sign_method="HmacSHA1"), dict(sign_method="HmacSHA256"),
               dict(sign_method="HmacSHA256", reqMethod="GET")):
        c = client(server, **kw)
        assert call(c, "DescribeInstances", {"Limit": 1, "Filters": [{"Name": "instance-state", "Values": ["RUNNING"]}]})["TotalCount"] >= 0


def test_authentication_failures(server):
    assert error_code(client(server, TENCENT_ID, "wrong-secret"), "DescribeInstances", {}) == "AuthFailure.SignatureFailure"
    assert error_code(client(server, "AKIDUNKNOWN00000000000000000000000000", "x"), "DescribeInstances", {}) == "AuthFailure.SecretIdNotFound"
    expired = tc3_request(server.endpoint, "lighthouse", "2020-03-24", "DescribeInstances", "{}", timestamp=1_500_000_000)
    assert expired["Error"]["Code"] == "AuthFailure.SignatureExpire"
    ok = tc3_request(server.endpoint, "lighthouse", "2020-03-24", "DescribeInstances", "{}")
    assert "Error" not in ok and ok["RequestId"]

    def change_body(headers, body):
        return headers, b'{"Limit": 2}'
    assert tc3_request(server.endpoint, "lighthouse", "2020-03-24", "DescribeInstances", '{"Limit": 1}', tamper=change_body)["Error"]["Code"] == "AuthFailure.SignatureFailure"

    def garble(headers, body):
        headers["Authorization"] = "TC3-HMAC-SHA256 nonsense"
        return headers, body
    assert tc3_request(server.endpoint, "lighthouse", "2020-03-24", "DescribeInstances", "{}", tamper=garble)["Error"]["Code"] == "AuthFailure.InvalidAuthorization"
    assert tc3_request(server.endpoint, "lighthouse", "2020-03-24", "DescribeThings", "{}")["Error"]["Code"] == "InvalidAction"
    assert tc3_request(server.endpoint, "lighthouse", "2099-01-01", "DescribeInstances", "{}")["Error"]["Code"] == "NoSuchVersion"
    assert tc3_request(server.endpoint, "lighthouse", "2020-03-24", "DescribeInstances", "{not json")["Error"]["Code"] == "InvalidParameter"


def test_another_account_cannot_see_or_touch(server, lh):
    iid = running(lh)[0]
    key = call(lh, "CreateKeyPair", {"KeyName": "alice_only"})["KeyPair"]["KeyId"]
    bob = client(server, BOB_ID, BOB_KEY)
    assert call(bob, "DescribeInstances", {})["TotalCount"] == 0
    assert call(bob, "DescribeInstances", {"InstanceIds": [iid]})["TotalCount"] == 0
    for action, params in [("ResetInstance", {"InstanceId": iid}), ("RebootInstances", {"InstanceIds": [iid]}),
                           ("StopInstances", {"InstanceIds": [iid]}), ("DescribeInstancesDeniedActions", {"InstanceIds": [iid]})]:
        assert error_code(bob, action, params) == "ResourceNotFound.InstanceIdNotFound", action
    assert call(bob, "DescribeKeyPairs", {"KeyIds": [key]})["TotalCount"] == 0
    assert error_code(bob, "DeleteKeyPairs", {"KeyIds": [key]}) == "ResourceNotFound.KeyIdNotFound"
    assert server.messages("bob") == []


def test_tccli(server):
    home = tempfile.mkdtemp(prefix="tccli-home-")
    tccli = os.path.join(os.path.dirname(sys.executable), "tccli")
    common = ["--endpoint", f"http://{server.endpoint}", "--region", "ap-guangzhou", "--secretId", TENCENT_ID, "--secretKey", TENCENT_KEY]
    env = dict(os.environ, HOME=home)

    def tc(action, *args):
        return subprocess.run([tccli, "lighthouse", action, *common, *args], capture_output=True, text=True, env=env)
    out = tc("CreateInstances", "--BundleId", "bundle_gen_01", "--BlueprintId", CENTOS, "--InstanceChargePrepaid", '{"Period": 1}')
    assert out.returncode == 0, out.stderr
    iid = json.loads(out.stdout)["InstanceIdSet"][0]
    wait_until(lambda: json.loads(tc("DescribeInstances", "--InstanceIds", json.dumps([iid])).stdout)["InstanceSet"][0]["InstanceState"] == "RUNNING",
               what="tccli to see RUNNING")
    reset = tc("ResetInstance", "--InstanceId", iid, "--BlueprintId", UBUNTU)
    assert reset.returncode == 0, reset.stderr
    bad = tc("ResetInstance", "--InstanceId", "lhins-zzzzzzzz")
    assert bad.returncode != 0 and "ResourceNotFound.InstanceIdNotFound" in bad.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_restart_on_the_same_data_loses_nothing(sig):
    data = tempfile.mkdtemp(prefix="stratus-data-")
    first = Server(speed=20, data=data)
    try:
        c = client(first)
        ids = create(c, count=2)
        key = call(c, "CreateKeyPair", {"KeyName": "survivor"})["KeyPair"]["KeyId"]
        # Create takes 1.5-3 s at speed 20: kill while it is in flight.
        assert {instance(c, i)["InstanceState"] for i in ids} == {"PENDING"}
    finally:
        first.stop(sig)
    second = Server(speed=20, data=data)
    try:
        c = client(second)
        for iid in ids:
            done = settled(c, iid)
            assert done["InstanceState"] == "RUNNING" and done["LatestOperationState"] == "SUCCESS"
        assert call(c, "DescribeKeyPairs", {"KeyIds": [key]})["TotalCount"] == 1
        call(c, "RebootInstances", {"InstanceIds": ids[:1]})
        assert instance(c, ids[0])["InstanceState"] == "REBOOTING"
    finally:
        second.stop(signal.SIGKILL)
    third = Server(speed=20, data=data)
    try:
        c = client(third)
        assert settled(c, ids[0])["InstanceState"] == "RUNNING"
    finally:
        third.stop()
