"""Lighthouse request and state rules through the official Python SDK (the
`default` account of a server without --config):
- CreateInstances: required parameters, DryRun (error DryRunOperation and
  nothing created), ClientToken idempotency (same ids, no new instances),
  InstanceName > 60, bad/long/`/`-prefixed passwords, malformed / unknown /
  OFFLINE blueprints, unknown key pair, Windows blueprint on a Linux-only
  bundle, Password + KeyIds together;
- ResetInstance (seed 001) on a RUNNING instance: transitional state, the
  LatestOperation* triple with the returned RequestId, SUCCESS afterwards,
  the new blueprint, still RUNNING; a STOPPED one stays STOPPED; platform
  changes both ways, OFFLINE blueprint, BlueprintConfigNotMatch, the Windows
  password rule, keys on Windows;
- instance-id lists for Start/Stop/Reboot: malformed, unknown, duplicated,
  more than 100 (InvalidParameterValue.LimitExceeded); Duplicated on
  DescribeInstances; a batch with one unknown id changes nothing;
- state rules: start RUNNING, stop STOPPED, reboot STOPPED, terminate
  RUNNING; while PENDING (OperationDenied.InstanceCreating) and while a
  reboot / reset runs (UnsupportedOperation.LatestOperationUnfinished), on
  slower servers so the refused calls cannot race the operation;
- the ResetInstance limit: 11+ requests within a second → RequestLimitExceeded,
  applied before validation (only invalid ids are sent);
- Linux password boundaries (8..30, three classes, no spaces), YES + Password,
  regions kept apart (ap-shanghai vs ap-guangzhou), an unknown region.
"""
import concurrent.futures
import time

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.lighthouse.v20200324 import models

from conftest import (Lighthouse, Server, CENTOS, DEBIAN, OFFLINE, OPENCLOUDOS, PASSWORD, UBUNTU22, UBUNTU24, WIN2019,
                      WIN2022, WORDPRESS, fresh_public_key)

BASE = {"BundleId": "bundle_gen_01", "BlueprintId": CENTOS, "InstanceChargePrepaid": {"Period": 1}}


def total(c):
    return c.describe(Limit=1)["TotalCount"]


@pytest.mark.parametrize("missing", ["BundleId", "BlueprintId", "InstanceChargePrepaid"])
def test_create_requires_bundle_blueprint_and_period(dev, missing):
    params = {k: v for k, v in BASE.items() if k != missing}
    assert dev.error("CreateInstances", params) == "MissingParameter"


def test_create_dry_run_creates_nothing(dev):
    before = total(dev)
    assert dev.error("CreateInstances", dict(BASE, DryRun=True)) == "DryRunOperation"
    # A DryRun that would fail reports the real error, not DryRunOperation.
    assert dev.error("CreateInstances", dict(BASE, DryRun=True, BlueprintId=OFFLINE)) != "DryRunOperation"
    assert total(dev) == before


def test_create_client_token_is_idempotent(dev):
    token = f"stratus-rules-{time.time_ns()}"
    first = dev.call("CreateInstances", dict(BASE, ClientToken=token, InstanceCount=2))["InstanceIdSet"]
    after_first = total(dev)
    again = dev.call("CreateInstances", dict(BASE, ClientToken=token, InstanceCount=2))["InstanceIdSet"]
    assert again == first
    assert total(dev) == after_first, "a repeated ClientToken must not create instances"
    other = dev.call("CreateInstances", dict(BASE, ClientToken=token + "-b"))["InstanceIdSet"]
    assert set(other).isdisjoint(first)


def test_create_then_pending_then_running(dev):
    iid = dev.create(bundle="bundle_gen_02", blueprint=UBUNTU24, InstanceName="rules-shape",
                     Zones=["ap-guangzhou-4"])[0]
    first = dev.instance(iid)
    assert first["InstanceState"] == "PENDING"
    assert (first["LatestOperation"], first["LatestOperationState"]) == ("CreateInstances", "OPERATING")
    done = dev.settled(iid)
    assert (done["InstanceState"], done["LatestOperationState"]) == ("RUNNING", "SUCCESS")
    assert done["BundleId"] == "bundle_gen_02" and done["BlueprintId"] == UBUNTU24
    assert (done["CPU"], done["Memory"], done["SystemDisk"]["DiskSize"]) == (2, 4, 60)
    assert done["Zone"] == "ap-guangzhou-4" and done["InstanceName"] == "rules-shape"
    assert done["PlatformType"] == "LINUX_UNIX" and "Ubuntu" in done["OsName"]
    assert done["InstanceChargeType"] == "PREPAID" and done["LoginSettings"]["KeyIds"] == []


@pytest.mark.parametrize("params, code", [
    ({"InstanceName": "n" * 61}, "InvalidParameterValue.InstanceNameTooLong"),
    ({"LoginConfiguration": {"AutoGeneratePassword": "NO", "Password": "abc"}}, "InvalidParameterValue.InvalidPassword"),
    ({"LoginConfiguration": {"AutoGeneratePassword": "NO", "Password": "Aa1!" * 8}}, "InvalidParameterValue.InvalidPassword"),
    ({"LoginConfiguration": {"AutoGeneratePassword": "NO", "Password": "/Passw0rd!x"}}, "InvalidParameterValue.InvalidPassword"),
    ({"LoginConfiguration": {"AutoGeneratePassword": "NO", "Password": "alllowercase"}}, "InvalidParameterValue.InvalidPassword"),
    ({"BlueprintId": "lhbp-1"}, "InvalidParameterValue.BlueprintIdMalformed"),
    ({"BlueprintId": "lhbp-zzzzzzzz"}, "ResourceNotFound.BlueprintIdNotFound"),
    ({"BundleId": "bundle_starter_01", "BlueprintId": WIN2022}, "InvalidParameterValue.BundleAndBlueprintNotMatch"),
    ({"LoginConfiguration": {"KeyIds": ["lhkp-zzzzzzzz"]}}, "ResourceNotFound.KeyPairNotFound"),
    ({"InstanceCount": 31}, "InvalidParameterValue.OutOfRange"),
])
def test_create_rejects(dev, params, code):
    assert dev.error("CreateInstances", dict(BASE, **params)) == code


def test_create_with_password_and_key_together_is_rejected(dev):
    key = dev.call("CreateKeyPair", {"KeyName": f"combo{time.time_ns() % 10**8}"})["KeyPair"]["KeyId"]
    login = {"Password": PASSWORD, "KeyIds": [key]}
    code = dev.error("CreateInstances", dict(BASE, LoginConfiguration=login))
    assert code == "InvalidParameterValue.InvalidParameterCombination"


def test_reset_running_instance_through_the_sdk_model(dev):
    """Seed 001 main path, with typed models, on a RUNNING instance."""
    iid = dev.running()[0]
    req = models.ResetInstanceRequest()
    req.InstanceId, req.BlueprintId = iid, DEBIAN
    login = models.LoginConfiguration()
    login.AutoGeneratePassword, login.Password = "NO", "Another!Passw0rd"
    req.LoginConfiguration = login
    request_id = dev.sdk.ResetInstance(req).RequestId
    assert request_id
    during = dev.instance(iid)
    assert during["InstanceState"] not in ("RUNNING", "STOPPED"), during["InstanceState"]
    assert (during["LatestOperation"], during["LatestOperationState"]) == ("ResetInstance", "OPERATING")
    assert during["LatestOperationRequestId"] == request_id
    after = dev.settled(iid)
    assert after["LatestOperationState"] == "SUCCESS" and after["LatestOperation"] == "ResetInstance"
    assert after["LatestOperationRequestId"] == request_id
    assert after["BlueprintId"] == DEBIAN and "Debian" in after["OsName"]
    assert after["InstanceState"] == "RUNNING", "a reinstall keeps a running instance running"


def test_reset_blueprint_rules(dev):
    linux = dev.running()[0]
    stopped = dev.stopped()
    windows = dev.running(blueprint=WIN2022, bundle="bundle_gen_02", password="Windows!Passw0rd2024")[0]
    small = dev.running(bundle="bundle_starter_01")[0]
    # Linux -> Windows and Windows -> Linux are both platform changes.
    assert dev.error("ResetInstance", {"InstanceId": linux, "BlueprintId": WIN2019}) == "InvalidParameterValue.NotAllowToChangePlatformType"
    assert dev.error("ResetInstance", {"InstanceId": windows, "BlueprintId": UBUNTU22}) == "InvalidParameterValue.NotAllowToChangePlatformType"
    assert dev.error("ResetInstance", {"InstanceId": stopped, "BlueprintId": OFFLINE}) == "ResourceUnavailable.BlueprintUnavailable"
    # BlueprintConfigNotMatch: a Windows blueprint on bundle_starter_01 would
    # hit the platform check first (the instance is Linux), and no Windows
    # instance can live on a bundle too small for Windows, so the case is
    # constructed with the WordPress APP_OS (Linux) blueprint, whose
    # requirements exceed bundle_starter_01 (1 CPU, 1 GB, 25 GB).
    assert dev.error("ResetInstance", {"InstanceId": small, "BlueprintId": WORDPRESS}) == "InvalidParameterValue.BlueprintConfigNotMatch"
    # Key pairs are for Linux only.
    key = dev.call("ImportKeyPair", {"KeyName": f"win{time.time_ns() % 10**8}",
                                     "PublicKey": fresh_public_key()})["KeyId"]
    code = dev.error("ResetInstance", {"InstanceId": windows, "LoginConfiguration": {"KeyIds": [key]}})
    assert code.startswith(("UnsupportedOperation", "InvalidParameter")), code
    # None of the refused calls started anything.
    for iid, state in ((linux, "RUNNING"), (stopped, "STOPPED"), (windows, "RUNNING"), (small, "RUNNING")):
        i = dev.instance(iid)
        assert i["InstanceState"] == state and i["LatestOperation"] != "ResetInstance", i
    # Windows reinstall of Windows works and checks the Windows password rule (12+).
    assert dev.error("ResetInstance", {"InstanceId": windows, "BlueprintId": WIN2019,
                                       "LoginConfiguration": {"AutoGeneratePassword": "NO", "Password": "Short!Pw0rd"}}) \
        == "InvalidParameterValue.InvalidPassword"
    dev.call("ResetInstance", {"InstanceId": windows, "BlueprintId": WIN2019,
                               "LoginConfiguration": {"AutoGeneratePassword": "NO", "Password": "Windows!Passw0rd2019"}})
    done = dev.settled(windows)
    assert done["BlueprintId"] == WIN2019 and done["PlatformType"] == "WINDOWS" and done["InstanceState"] == "RUNNING"


@pytest.mark.parametrize("action", ["StartInstances", "StopInstances", "RebootInstances"])
def test_instance_id_lists(dev, action):
    assert dev.error(action, {"InstanceIds": ["lhins-12"]}) == "InvalidParameterValue.InstanceIdMalformed"
    assert dev.error(action, {"InstanceIds": ["ins-abcdefgh"]}) == "InvalidParameterValue.InstanceIdMalformed"
    assert dev.error(action, {"InstanceIds": ["lhins-zzzzzzzz"]}) == "ResourceNotFound.InstanceIdNotFound"
    assert dev.error(action, {"InstanceIds": ["lhins-aaaaaaaa", "lhins-aaaaaaaa"]}) == "InvalidParameterValue.Duplicated"
    many = [f"lhins-{n:08d}" for n in range(101)]
    assert dev.error(action, {"InstanceIds": many}) == "InvalidParameterValue.LimitExceeded"


def test_duplicated_ids_in_describe(dev):
    iid = dev.running()[0]
    assert dev.error("DescribeInstances", {"InstanceIds": [iid, iid]}) == "InvalidParameterValue.Duplicated"


def test_a_batch_with_one_bad_id_changes_nothing(dev):
    ids = dev.running(count=2)
    assert dev.error("StopInstances", {"InstanceIds": ids + ["lhins-zzzzzzzz"]}) == "ResourceNotFound.InstanceIdNotFound"
    for iid in ids:
        i = dev.instance(iid)
        assert i["InstanceState"] == "RUNNING" and i["LatestOperation"] == "CreateInstances", i


def test_state_rules(dev):
    running = dev.running()[0]
    stopped = dev.stopped()
    assert dev.error("StartInstances", {"InstanceIds": [running]}) == "UnsupportedOperation.InvalidInstanceState"
    assert dev.error("StopInstances", {"InstanceIds": [stopped]}) == "UnsupportedOperation.InvalidInstanceState"
    assert dev.error("RebootInstances", {"InstanceIds": [stopped]}) == "UnsupportedOperation.InvalidInstanceState"
    assert dev.error("TerminateInstances", {"InstanceIds": [running]}) == "UnsupportedOperation.InvalidInstanceState"
    # A reset of a STOPPED instance keeps it STOPPED.
    dev.call("ResetInstance", {"InstanceId": stopped, "BlueprintId": OPENCLOUDOS,
                               "LoginConfiguration": {"AutoGeneratePassword": "NO", "Password": PASSWORD}})
    during = dev.instance(stopped)
    assert during["InstanceState"] not in ("RUNNING", "STOPPED") and during["LatestOperationState"] == "OPERATING"
    after = dev.settled(stopped)
    assert after["InstanceState"] == "STOPPED" and after["LatestOperationState"] == "SUCCESS"


def test_refusals_while_an_operation_runs(slow):
    """On the --speed 5 server: creation lasts 6-12 s, a reinstall 12-24 s."""
    iid = slow.create()[0]
    assert slow.instance(iid)["InstanceState"] == "PENDING"
    assert slow.error("ResetInstance", {"InstanceId": iid}) == "OperationDenied.InstanceCreating"
    code = slow.error("RebootInstances", {"InstanceIds": [iid]})
    assert code in ("OperationDenied.InstanceCreating", "UnsupportedOperation.InvalidInstanceState",
                    "UnsupportedOperation.LatestOperationUnfinished"), code
    code = slow.error("IsolateInstances", {"InstanceIds": [iid]})
    assert code in ("OperationDenied.InstanceCreating", "UnsupportedOperation.InvalidInstanceState",
                    "UnsupportedOperation.LatestOperationUnfinished"), code
    i = slow.instance(iid)
    assert (i["InstanceState"], i["LatestOperation"], i["LatestOperationState"]) == ("PENDING", "CreateInstances", "OPERATING")


def test_refusals_while_another_operation_runs():
    """A server of its own at --speed 40 (reboot 0.5-1 s, reinstall 1.5-3 s),
    so no other test shares its ResetInstance rate budget and the refused
    calls land well inside the running operation."""
    s = Server(speed=40)
    try:
        c = Lighthouse(s)
        a, b = c.running(count=2)
        reboot_id = c.call("RebootInstances", {"InstanceIds": [a]})["RequestId"]
        assert c.error("ResetInstance", {"InstanceId": a}) == "UnsupportedOperation.LatestOperationUnfinished"
        reset_id = c.call("ResetInstance", {"InstanceId": b, "BlueprintId": UBUNTU22,
                                            "LoginConfiguration": {"AutoGeneratePassword": "NO", "Password": PASSWORD}})["RequestId"]
        assert c.error("ResetInstance", {"InstanceId": b}) == "UnsupportedOperation.LatestOperationUnfinished"
        code = c.error("StopInstances", {"InstanceIds": [b]})
        assert code in ("UnsupportedOperation.LatestOperationUnfinished", "OperationDenied.InstanceOperationInProgress",
                        "UnsupportedOperation.InvalidInstanceState"), code
        ia, ib = c.instance(a), c.instance(b)
        assert (ia["LatestOperation"], ia["LatestOperationState"], ia["LatestOperationRequestId"]) == ("RebootInstances", "OPERATING", reboot_id)
        assert (ib["LatestOperation"], ib["LatestOperationState"], ib["LatestOperationRequestId"]) == ("ResetInstance", "OPERATING", reset_id)
        # The refused calls did not replace the running operations.
        assert c.settled(a)["LatestOperationRequestId"] == reboot_id
        done = c.settled(b)
        assert done["LatestOperationRequestId"] == reset_id and done["BlueprintId"] == UBUNTU22
    finally:
        s.stop()


def test_reset_rate_limit_applies_before_validation(carol):
    """Only carol calls here: the limit is per account (10 per second)."""
    bad = ["lhins-zzzzzzzz", "lhins-12", "ins-abcdefgh", "lhins-00000000"]

    def attempt(n):
        try:
            carol.sdk.call_json("ResetInstance", {"InstanceId": bad[n % len(bad)]})
            return "ok"
        except TencentCloudSDKException as e:
            return e.code
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(attempt, range(30)))
    elapsed = time.monotonic() - start
    assert "ok" not in codes
    assert "RequestLimitExceeded" in codes, (codes, elapsed)
    # Requests that got through were validated normally.
    assert set(codes) <= {"RequestLimitExceeded", "ResourceNotFound.InstanceIdNotFound",
                          "InvalidParameterValue.InstanceIdMalformed"}, codes
    # The limit is a rate, not a ban: within a couple of seconds a call passes.
    assert carol.error("ResetInstance", {"InstanceId": "lhins-zzzzzzzz"}) == "ResourceNotFound.InstanceIdNotFound"
    # Other actions are not limited by it.
    assert carol.describe()["TotalCount"] == 0


@pytest.mark.parametrize("password, ok", [
    ("Abcdef1!", True), ("Abcde1!", False),                       # 8 is the minimum
    ("A" * 27 + "b1!", True), ("A" * 28 + "b1!", False),          # 30 is the maximum
    ("Passw0rd", True),                                            # three classes suffice
    ("Pass word1!", False),                                        # no spaces
])
def test_linux_password_boundaries(dev, password, ok):
    params = dict(BASE, DryRun=True, LoginConfiguration={"AutoGeneratePassword": "NO", "Password": password})
    expected = "DryRunOperation" if ok else "InvalidParameterValue.InvalidPassword"
    assert dev.error("CreateInstances", params) == expected


def test_login_configuration_combinations(dev):
    both = {"AutoGeneratePassword": "YES", "Password": PASSWORD}
    assert dev.error("CreateInstances", dict(BASE, DryRun=True, LoginConfiguration=both)) == "InvalidParameterValue.InvalidParameterCombination"
    assert dev.error("CreateInstances", dict(BASE, DryRun=True, InstanceName="n" * 60)) == "DryRunOperation"


def test_regions_are_separate(dev_server, dev):
    shanghai = Lighthouse(dev_server, region="ap-shanghai")
    iid = shanghai.create()[0]
    assert shanghai.instance(iid) is not None
    assert dev.instance(iid) is None, "an ap-shanghai instance is not listed in ap-guangzhou"
    assert dev.error("RebootInstances", {"InstanceIds": [iid]}) == "ResourceNotFound.InstanceIdNotFound"
    assert shanghai.error("CreateInstances", dict(BASE, Zones=["ap-guangzhou-3"])) == "InvalidParameterValue.ZoneInvalid"
    assert Lighthouse(dev_server, region="ap-mars").error("DescribeInstances", {}) == "UnsupportedRegion"
    assert shanghai.settled(iid)["Zone"].startswith("ap-shanghai-")
