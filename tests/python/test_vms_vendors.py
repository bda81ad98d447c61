"""Real VMs reinstalled through the other three dialects' official clients
(QEMU driver, tiny image): Zenlayer ZEC `ResetInstance` (seed 000) with a new
password, Kingsoft KEC `ModifyInstanceImage` (seed 004) with another key, and
the legacy API 2.0 `ResetInstances` (seed 003) on a CVM instance with a new
password. Each time the old login is refused, the new one works and what
was written on the old system disk is gone (a data disk keeps its data).
A guest that cannot come up fails its operation with the driver's reason."""
import base64
import json
import pathlib
import tempfile

import pytest
from ksyun.client.kec.v20160304 import client as kec_client
from ksyun.client.sks.v20151101 import client as sks_client
from ksyun.client.vpc.v20160304 import client as vpc_client
from ksyun.common import credential as ks_credential
from ksyun.common.profile.client_profile import ClientProfile as KsClientProfile
from ksyun.common.profile.http_profile import HttpProfile as KsHttpProfile
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312 import cvm_client

from harness import TENCENT_ID, TENCENT_KEY, wait_until
from test_cvm_legacy import legacy
from vms import (BOOT_LIMIT, CVM_IMAGE, KEC_IMAGE, ZEC_IMAGE, Key, Zec, machine, password_login, qemu_server,
                 run_in, ssh, stop_vms)

KEC_AK, KEC_SK = "AKLTSTRATUSDEVELOPMENT0000000", "stratus-development-secret-key-kingsoft"
USER_DATA = "#!/bin/sh\necho \"uid=$(id -u) ran\" > /root/from-user-data\n"


@pytest.fixture(scope="module")
def work():
    path = pathlib.Path(tempfile.mkdtemp(prefix="stratus-vms-vendors-"))
    yield path
    stop_vms(path)


@pytest.fixture(scope="module")
def server(work):
    s = qemu_server(work, [ZEC_IMAGE, KEC_IMAGE, CVM_IMAGE])
    yield s
    s.stop()


def until(check, what):
    return wait_until(check, timeout=BOOT_LIMIT, interval=0.5, what=what)


def test_zec_reset_instance_with_a_new_password(server):
    zec = Zec(server)
    key = Key("zec")
    iid = zec.create(zec.import_key("zec-vm", key))
    until(lambda: zec.status(iid) == "RUNNING", f"{iid} to run")
    run_in(machine(server, iid)["ssh"], key, "echo old-disk > /root/marker; sync")
    zec.call("StopInstances", instanceIds=[iid])
    until(lambda: zec.status(iid) == "STOPPED", f"{iid} to stop")
    zec.call("ResetInstance", instanceId=iid, imageId=ZEC_IMAGE, password="N3w(Pass)word")
    assert zec.status(iid) == "REBUILDING"
    until(lambda: zec.status(iid) == "RUNNING", f"{iid} to be rebuilt")   # seed 000: lands RUNNING
    after = machine(server, iid)["ssh"]
    assert ssh(after, key, "true").returncode != 0, "the old key must be refused"
    done = password_login(after, "N3w(Pass)word", "test -e /root/marker && echo kept || echo gone")
    assert done.returncode == 0 and done.stdout.strip() == "gone", done
    assert password_login(after, "wrong-password", "true").returncode != 0


def test_kec_modify_instance_image_with_another_key(server):
    hp = KsHttpProfile(endpoint=server.endpoint, protocol="http", reqMethod="POST")
    kec = kec_client.KecClient(ks_credential.Credential(KEC_AK, KEC_SK), "cn-beijing-6", KsClientProfile(httpProfile=hp))
    sks = sks_client.SksClient(ks_credential.Credential(KEC_AK, KEC_SK), "cn-beijing-6", KsClientProfile(httpProfile=hp))

    def call(client, action, params):
        return json.loads(client.call(action, params))

    def state(iid):
        return call(kec, "DescribeInstances", {"InstanceId": [iid]})["InstancesSet"][0]["InstanceState"]["Name"]

    first, second = Key("kec-1"), Key("kec-2")
    first_id = call(sks, "ImportKey", {"KeyName": "kec-vm-1", "PublicKey": first.public})["Key"]["KeyId"]
    second_id = call(sks, "ImportKey", {"KeyName": "kec-vm-2", "PublicKey": second.public})["Key"]["KeyId"]
    # As a user would: the zone's subnet and the region's group, from the VPC service.
    net = vpc_client.VpcClient(ks_credential.Credential(KEC_AK, KEC_SK), "cn-beijing-6", KsClientProfile(httpProfile=hp))
    in_zone = {"Filter.1.Name": "availability-zone-name", "Filter.1.Value.1": "cn-beijing-6a"}
    subnet = call(net, "DescribeSubnets", in_zone)["SubnetSet"][0]
    group = next(g["SecurityGroupId"] for g in call(net, "DescribeSecurityGroups", {})["SecurityGroupSet"]
                 if g["VpcId"] == subnet["VpcId"])
    subnet = subnet["SubnetId"]
    iid = call(kec, "RunInstances", {"ImageId": KEC_IMAGE, "InstanceType": "N3.2B", "MaxCount": 1, "MinCount": 1,
                                     "SubnetId": subnet, "SecurityGroupId": [group],
                                     "ChargeType": "HourlyInstantSettlement", "KeyId": [first_id]})["InstancesSet"][0]["InstanceId"]
    until(lambda: state(iid) == "active", f"{iid} to be active")
    run_in(machine(server, iid)["ssh"], first, "echo old-disk > /root/marker; sync")
    call(kec, "StopInstances", {"InstanceId": [iid]})
    until(lambda: state(iid) == "stopped", f"{iid} to stop")
    assert call(kec, "ModifyInstanceImage", {"InstanceId": iid, "ImageId": KEC_IMAGE, "KeyId": [second_id]})["Return"]
    until(lambda: state(iid) == "active", f"{iid} to be reinstalled")   # seed 004: lands active
    after = machine(server, iid)["ssh"]
    assert ssh(after, first, "true").returncode != 0, "the old key must be refused"
    assert run_in(after, second, "test -e /root/marker && echo kept || echo gone").strip() == "gone"


def test_legacy_reset_instances_with_a_new_password(server):
    hp = HttpProfile(endpoint=server.endpoint, protocol="http")
    api3 = cvm_client.CvmClient(credential.Credential(TENCENT_ID, TENCENT_KEY), "ap-guangzhou",
                                ClientProfile(httpProfile=hp))
    key = Key("cvm")
    key_id = api3.call_json("ImportKeyPair", {"KeyName": "cvmvm", "ProjectId": 0,
                                              "PublicKey": key.public})["Response"]["KeyId"]
    iid = api3.call_json("RunInstances", {"Placement": {"Zone": "ap-guangzhou-3"}, "ImageId": CVM_IMAGE,
                                          "InstanceType": "S5.MEDIUM4", "InstanceChargeType": "POSTPAID_BY_HOUR",
                                          "LoginSettings": {"KeyIds": [key_id]},
                                          "DataDisks": [{"DiskSize": 10, "DiskType": "CLOUD_PREMIUM"}],
                                          "UserData": base64.b64encode(USER_DATA.encode()).decode()}
                         )["Response"]["InstanceIdSet"][0]

    def settled():
        i = api3.call_json("DescribeInstances", {"InstanceIds": [iid]})["Response"]["InstanceSet"][0]
        assert i["LatestOperationState"] != "FAILED", i
        return i if i["LatestOperationState"] == "SUCCESS" else None

    assert until(settled, f"{iid} to run")["InstanceState"] == "RUNNING"
    # The tenant's user data ran as root, once, before SSH answered.
    assert run_in(machine(server, iid)["ssh"], key, "cat /root/from-user-data").strip() == "uid=0 ran"
    run_in(machine(server, iid)["ssh"], key, "echo old-disk > /root/marker; sync")
    # The data disk (the second virtio disk) keeps what is written on it.
    run_in(machine(server, iid)["ssh"], key, "printf keep-me | dd of=/dev/vdb conv=fsync 2>/dev/null")
    reply = legacy(server)("ResetInstances", {"instanceId": iid, "imageType": 2, "imageId": CVM_IMAGE,
                                              "password": "Abc123!@#xyz"})
    assert reply["code"] == 0, reply
    after_reset = until(settled, f"{iid} to be reset")
    assert after_reset["LatestOperation"] == "ResetInstances" and after_reset["InstanceState"] == "RUNNING"
    after = machine(server, iid)["ssh"]
    assert ssh(after, key, "true").returncode != 0, "the old key must be refused"
    done = password_login(after, "Abc123!@#xyz", "test -e /root/marker && echo kept || echo gone")
    assert done.returncode == 0 and done.stdout.strip() == "gone", done
    data = password_login(after, "Abc123!@#xyz", "dd if=/dev/vdb bs=7 count=1 2>/dev/null")
    assert data.stdout == "keep-me", data


def test_real_work_that_fails_ends_failed_with_the_drivers_reason(work):
    """A guest that cannot come up in time (a 1 s boot limit): the create
    ends FAILED, CVM shows the driver's reason in LatestOperationErrorMsg,
    and no VM is left running."""
    strict = qemu_server(work / "strict", [CVM_IMAGE], boot_timeout=1)
    try:
        hp = HttpProfile(endpoint=strict.endpoint, protocol="http")
        api3 = cvm_client.CvmClient(credential.Credential(TENCENT_ID, TENCENT_KEY), "ap-guangzhou",
                                    ClientProfile(httpProfile=hp))
        iid = api3.call_json("RunInstances", {"Placement": {"Zone": "ap-guangzhou-3"}, "ImageId": CVM_IMAGE,
                                              "InstanceType": "S5.MEDIUM4", "InstanceChargeType": "POSTPAID_BY_HOUR",
                                              "LoginSettings": {"Password": "Passw0rd!Strict"}}
                             )["Response"]["InstanceIdSet"][0]

        def failed():
            i = api3.call_json("DescribeInstances", {"InstanceIds": [iid]})["Response"]["InstanceSet"][0]
            return i if i["LatestOperationState"] == "FAILED" else None
        i = until(failed, f"{iid}'s create to fail")
        assert i["InstanceState"] == "LAUNCH_FAILED", i
        assert "did not answer on SSH" in i["LatestOperationErrorMsg"], i
        status, body = strict.admin(f"/_stratus/instances/{iid}?account=default")
        assert status == 200 and body["pid"] is None, body
        pid_file = work / "strict" / "vms" / iid / "qemu.pid"
        assert not pid_file.exists() or not pathlib.Path(f"/proc/{pid_file.read_text().strip()}").exists()
    finally:
        strict.stop()
