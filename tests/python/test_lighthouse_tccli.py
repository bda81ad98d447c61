"""Lighthouse through the official CLI (tccli 3.1.189.1, always TC3 POST,
`--endpoint http://...` so Host carries the scheme): create (JSON on
stdout), describe with --InstanceIds and with --Filters, reset (seed 001)
with a blueprint and a password and watch it finish, stop; errors go to
stderr as `[TencentCloudSDKException] code:<Code> ...` with exit status 255
(unknown id, malformed id, wrong secret key, DryRun).
"""
import json

from conftest import CENTOS, PASSWORD, TENCENT_ID, UBUNTU24, wait_until


def test_tccli_create_describe_reset_stop(dev_server, dev, tccli):
    out = tccli(dev_server, "CreateInstances", "--BundleId", "bundle_gen_01", "--BlueprintId", CENTOS,
                "--InstanceChargePrepaid", '{"Period": 1}', "--InstanceName", "from-tccli",
                "--LoginConfiguration", json.dumps({"AutoGeneratePassword": "NO", "Password": PASSWORD})).json()
    assert out["RequestId"] and len(out["InstanceIdSet"]) == 1
    iid = out["InstanceIdSet"][0]

    def described():
        r = tccli(dev_server, "DescribeInstances", "--InstanceIds", json.dumps([iid])).json()
        assert r["TotalCount"] == 1
        return r["InstanceSet"][0]
    wait_until(lambda: described()["InstanceState"] == "RUNNING", what="tccli to see RUNNING")
    by_name = tccli(dev_server, "DescribeInstances", "--Filters",
                    json.dumps([{"Name": "instance-name", "Values": ["from-tccli"]}])).json()
    assert [i["InstanceId"] for i in by_name["InstanceSet"]] == [iid]

    reset = tccli(dev_server, "ResetInstance", "--InstanceId", iid, "--BlueprintId", UBUNTU24,
                  "--LoginConfiguration", json.dumps({"AutoGeneratePassword": "NO", "Password": "Tccli!Passw0rd"})).json()
    assert set(reset) == {"RequestId"}
    during = described()
    assert during["LatestOperation"] == "ResetInstance" and during["LatestOperationRequestId"] == reset["RequestId"]
    done = wait_until(lambda: (lambda i: i if i["LatestOperationState"] == "SUCCESS" else None)(described()),
                      what="the reset to finish")
    assert done["BlueprintId"] == UBUNTU24 and done["InstanceState"] == "RUNNING"

    tccli(dev_server, "StopInstances", "--InstanceIds", json.dumps([iid])).json()
    assert dev.settled(iid)["InstanceState"] == "STOPPED"


def test_tccli_errors(dev_server, tccli):
    cases = [
        (("ResetInstance", "--InstanceId", "lhins-zzzzzzzz"), {}, "ResourceNotFound.InstanceIdNotFound"),
        (("ResetInstance", "--InstanceId", "lhins-12"), {}, "InvalidParameterValue.InstanceIdMalformed"),
        (("DescribeInstances",), {"secret_key": "definitely-wrong"}, "AuthFailure.SignatureFailure"),
        (("DescribeInstances",), {"secret_id": "AKIDNOBODY00000000000000000000000000"}, "AuthFailure.SecretIdNotFound"),
        (("CreateInstances", "--BundleId", "bundle_gen_01", "--BlueprintId", CENTOS,
          "--InstanceChargePrepaid", '{"Period": 1}', "--DryRun", "True"), {}, "DryRunOperation"),
    ]
    for args, creds, code in cases:
        r = tccli(dev_server, *args, **creds)
        assert r.returncode == 255, (args, r.returncode, r.stdout, r.stderr)
        assert r.error_code() == code, (args, r.stderr)
        assert "requestId:" in r.stderr


def test_tccli_and_sdk_see_the_same_instance(dev_server, dev, tccli):
    iid = dev.running()[0]
    r = tccli(dev_server, "DescribeInstances", "--InstanceIds", json.dumps([iid]), secret_id=TENCENT_ID).json()
    assert r["InstanceSet"][0] == dev.instance(iid)
