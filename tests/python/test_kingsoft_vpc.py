"""Kingsoft Cloud VPC (2016-03-04, SigV4 service `vpc`) through the official
Python SDK (kingsoftcloud-sdk-python, `ksyun.client.vpc.v20160304` and its
typed request models), as a user of the real KEC meets it:

- before RunInstances a user learns the region's default subnets and
  security group (DescribeVpcs, DescribeSubnets, DescribeSecurityGroups);
  the defaults are shared by every account and none may delete them;
- a VPC, a subnet and a security group of one's own, instances run in them
  (placed in the subnet's zone, shown with their VPC, subnet and group),
  found by id lists, filters and `MaxResults`/`NextToken` pages;
- deleting what is in use is refused with the in-use code (a VPC with
  subnets or groups, a subnet or group with instances); then everything
  goes, in order, and unknown ids get the not-found codes;
- KEC's address rules (private blocks, inside the VPC, no overlap, the
  gateway) refuse with the invalid-value codes;
- another account sees none of it: its VPC is one that never existed;
- KEC and VPC share the version: the SigV4 scope (or the `Service`
  parameter of the legacy signature) says which one a request is for.
"""
import datetime
import hashlib
import hmac
import ipaddress
import json
import urllib.parse

import pytest
import requests
from ksyun.common.exception.ksyun_sdk_exception import KsyunSDKException

from harness import wait_until
from test_kingsoft import (AK, BOB_AK, BOB_SK, REGION, SK, alice_and_bob, call, instance, kec, reach, send, signed,
                           typed, vpc)

CENTOS_NAME = "CentOS-7.9 64位"


@pytest.fixture(scope="module")
def server():
    s = alice_and_bob()
    yield s
    s.stop()


# One typed call: the action's request model, filled as a user fills it,
# through the client's method of that name.
v = typed


def refused(c, action, **params):
    """The Kingsoft code of a refused typed call (the SDK raises
    ServerNetworkError with the body for any status but 200)."""
    with pytest.raises(KsyunSDKException) as e:
        v(c, action, **params)
    assert e.value.code == "ServerNetworkError", e.value
    body = json.loads(e.value.message)
    assert body["RequestId"] and body["Error"]["Type"] == "Sender" and body["Error"]["Message"], body
    return body["Error"]["Code"]


def by(name, *values):
    return {"Filter": [{"Name": name, "Value": list(values)}]}


def ids(items, field):
    return [i[field] for i in items]


def default_network(c):
    """What a user learns before RunInstances: the default VPC, its subnet
    per zone and its security group."""
    vpcs = [x for x in v(c, "DescribeVpcs")["VpcSet"] if x["IsDefault"]]
    assert len(vpcs) == 1, vpcs
    vpc_id = vpcs[0]["VpcId"]
    subnets = {s["AvailabilityZoneName"]: s for s in v(c, "DescribeSubnets", **by("vpc-id", vpc_id))["SubnetSet"]}
    groups = v(c, "DescribeSecurityGroups", **by("vpc-id", vpc_id))["SecurityGroupSet"]
    return vpcs[0], subnets, groups


def centos(k):
    return next(i["ImageId"] for i in call(k, "DescribeImages", {})["ImagesSet"] if i["Name"] == CENTOS_NAME)


def run(k, subnet, group, count=1, **extra):
    params = {"ImageId": centos(k), "InstanceType": "N3.2B", "MaxCount": count, "MinCount": count,
              "SubnetId": subnet, "SecurityGroupId": [group], "ChargeType": "HourlyInstantSettlement",
              "InstancePassword": "Passw0rdTest", **extra}
    return [i["InstanceId"] for i in call(k, "RunInstances", params)["InstancesSet"]]


def terminate(k, iids):
    call(k, "TerminateInstances", {"InstanceId": iids})
    for iid in iids:
        wait_until(lambda: instance(k, iid) is None, what=f"{iid} to be gone")


def subnet_params(vpc_id, cidr, **extra):
    """A Normal subnet with the conventional gateway (the block's first address)."""
    first = cidr.split("/")[0].rsplit(".", 1)
    return {"VpcId": vpc_id, "CidrBlock": cidr, "SubnetType": "Normal",
            "GatewayIp": f"{first[0]}.{int(first[1]) + 1}", **extra}


def test_the_defaults_are_what_a_user_learns_before_run_instances(server):
    c, k = vpc(server), kec(server)
    default, subnets, groups = default_network(c)
    assert default["VpcName"] and default["CidrBlock"] and default["CreateTime"]
    zones = [z["AvailabilityZone"] for z in call(k, "DescribeAvailabilityZones", {})["AvailabilityZoneSet"]]
    assert sorted(subnets) == sorted(zones), "a default subnet in every zone"
    first = subnets[zones[0]]
    assert first["SubnetType"] == "Normal" and first["VpcId"] == default["VpcId"]
    network, _ = first["CidrBlock"].split("/")
    assert first["GatewayIp"] == network.rsplit(".", 1)[0] + ".1"
    assert [g["SecurityGroupType"] for g in groups] == ["default"]
    group = groups[0]["SecurityGroupId"]
    # The same through GET, and through the id lists.
    got = vpc(server, method="GET")
    assert ids(v(got, "DescribeSubnets", SubnetId=[first["SubnetId"]])["SubnetSet"], "SubnetId") == [first["SubnetId"]]
    assert ids(v(got, "DescribeSecurityGroups", SecurityGroupId=[group])["SecurityGroupSet"], "SecurityGroupId") == [group]
    assert ids(v(got, "DescribeVpcs", VpcId=[default["VpcId"]])["VpcSet"], "VpcId") == [default["VpcId"]]

    # RunInstances with what was learned: placed in the subnet's zone.
    free = first["AvailbleIPNumber"]
    iid = run(k, first["SubnetId"], group)[0]
    reach(k, iid, "active")
    item = instance(k, iid)
    nic = item["NetworkInterfaceSet"][0]
    assert item["AvailabilityZone"] == zones[0] and item["SubnetId"] == first["SubnetId"]
    assert (nic["VpcId"], nic["SubnetId"]) == (default["VpcId"], first["SubnetId"])
    assert nic["SecurityGroupSet"] == [{"SecurityGroupId": group}]
    again = v(c, "DescribeSubnets", SubnetId=[first["SubnetId"]])["SubnetSet"][0]
    assert again["AvailbleIPNumber"] == free - 1

    # Shared by every account: never deleted, even when nothing of the
    # caller's uses them.
    terminate(k, [iid])
    assert refused(c, "DeleteSecurityGroup", SecurityGroupId=group) == "SecurityGroupInUse"
    assert refused(c, "DeleteSubnet", SubnetId=subnets[zones[-1]]["SubnetId"]) == "SubnetInUse"
    assert refused(c, "DeleteVpc", VpcId=default["VpcId"]) == "VpcInUse"
    assert default_network(c) == (default, {**subnets}, groups)

    # Each region has its own.
    shanghai, sh_subnets, _ = default_network(vpc(server, region="cn-shanghai-2"))
    assert shanghai["VpcId"] != default["VpcId"]
    assert all(z.startswith("cn-shanghai-2") for z in sh_subnets)


def test_a_network_of_ones_own_from_creation_to_deletion(server):
    c, k = vpc(server), kec(server)
    made = v(c, "CreateVpc", VpcName="app", CidrBlock="172.20.0.0/16")["Vpc"]
    assert (made["VpcName"], made["CidrBlock"], made["IsDefault"]) == ("app", "172.20.0.0/16", False)
    vpc_id = made["VpcId"]
    subnet = v(c, "CreateSubnet", **subnet_params(vpc_id, "172.20.1.0/24", SubnetName="app-b",
                                                   AvailabilityZone="cn-beijing-6b"))["Subnet"]
    assert (subnet["VpcId"], subnet["AvailabilityZoneName"], subnet["SubnetName"]) == (vpc_id, "cn-beijing-6b", "app-b")
    assert (subnet["GatewayIp"], subnet["DhcpIpFrom"], subnet["DhcpIpTo"]) == ("172.20.1.1", "172.20.1.2", "172.20.1.253")
    assert subnet["AvailbleIPNumber"] == 252
    subnet_id = subnet["SubnetId"]
    group = v(c, "CreateSecurityGroup", VpcId=vpc_id, SecurityGroupName="web", Description="web tier")["SecurityGroup"]
    assert (group["VpcId"], group["SecurityGroupName"], group["SecurityGroupType"]) == (vpc_id, "web", "other")
    group_id = group["SecurityGroupId"]

    # Instances in them: in the subnet's zone, shown with their network.
    iids = run(k, subnet_id, group_id, count=2)
    for iid in iids:
        reach(k, iid, "active")
        item = instance(k, iid)
        nic = item["NetworkInterfaceSet"][0]
        assert item["AvailabilityZone"] == "cn-beijing-6b" and item["SubnetId"] == subnet_id
        assert (nic["VpcId"], nic["SubnetId"], nic["SecurityGroupSet"]) == (vpc_id, subnet_id, [{"SecurityGroupId": group_id}])
        # Its address is the subnet's, in the range DHCP hands out.
        address = ipaddress.ip_address(nic["PrivateIpAddress"])
        assert ipaddress.ip_address("172.20.1.2") <= address <= ipaddress.ip_address("172.20.1.253"), address
    for name, value in [("vpc-id", vpc_id), ("subnet-id", subnet_id), ("network-interface.group-id", group_id)]:
        found = call(k, "DescribeInstances", {"Filter": [{"Name": name, "Value": [value]}]})["InstancesSet"]
        assert sorted(ids(found, "InstanceId")) == sorted(iids), name

    # Listings: by id, by filter, combined.
    assert ids(v(c, "DescribeVpcs", VpcId=[vpc_id])["VpcSet"], "VpcName") == ["app"]
    assert ids(v(c, "DescribeSubnets", **by("vpc-id", vpc_id))["SubnetSet"], "SubnetId") == [subnet_id]
    in_b = {"Filter": [{"Name": "vpc-id", "Value": [vpc_id]}, {"Name": "availability-zone-name", "Value": ["cn-beijing-6b"]}]}
    assert ids(v(c, "DescribeSubnets", **in_b)["SubnetSet"], "SubnetId") == [subnet_id]
    in_a = {"Filter": [{"Name": "vpc-id", "Value": [vpc_id]}, {"Name": "availability-zone-name", "Value": ["cn-beijing-6a"]}]}
    assert v(c, "DescribeSubnets", **in_a)["SubnetSet"] == []
    assert ids(v(c, "DescribeSubnets", **by("subnet-id", subnet_id))["SubnetSet"], "AvailbleIPNumber") == [250]
    assert ids(v(c, "DescribeSecurityGroups", **by("vpc-id", vpc_id))["SecurityGroupSet"], "SecurityGroupId") == [group_id]
    assert ids(v(c, "DescribeSecurityGroups", **by("security-group-id", group_id))["SecurityGroupSet"], "SecurityGroupName") == ["web"]
    # Regional: Shanghai shows none of it.
    sh = vpc(server, region="cn-shanghai-2")
    assert v(sh, "DescribeVpcs", VpcId=[vpc_id])["VpcSet"] == []
    assert refused(sh, "CreateSubnet", **subnet_params(vpc_id, "172.20.2.0/24")) == "VpcNotFound"

    # In use: refused, nothing changes.
    assert refused(c, "DeleteVpc", VpcId=vpc_id) == "VpcInUse"
    assert refused(c, "DeleteSubnet", SubnetId=subnet_id) == "SubnetInUse"
    assert refused(c, "DeleteSecurityGroup", SecurityGroupId=group_id) == "SecurityGroupInUse"
    assert ids(v(c, "DescribeSubnets", SubnetId=[subnet_id])["SubnetSet"], "SubnetId") == [subnet_id]

    # Once the instances are gone: the group, the subnet, then the VPC.
    terminate(k, iids)
    assert refused(c, "DeleteVpc", VpcId=vpc_id) == "VpcInUse"
    assert v(c, "DeleteSecurityGroup", SecurityGroupId=group_id)["Return"] is True
    assert refused(c, "DeleteVpc", VpcId=vpc_id) == "VpcInUse"
    assert v(c, "DeleteSubnet", SubnetId=subnet_id)["Return"] is True
    assert v(c, "DeleteVpc", VpcId=vpc_id)["Return"] is True
    assert v(c, "DescribeVpcs", VpcId=[vpc_id])["VpcSet"] == []
    assert v(c, "DescribeSubnets", SubnetId=[subnet_id])["SubnetSet"] == []
    assert v(c, "DescribeSecurityGroups", SecurityGroupId=[group_id])["SecurityGroupSet"] == []
    assert refused(c, "DeleteVpc", VpcId=vpc_id) == "VpcNotFound"
    assert refused(c, "DeleteSubnet", SubnetId=subnet_id) == "SubnetNotFound"
    assert refused(c, "DeleteSecurityGroup", SecurityGroupId=group_id) == "SecurityGroupNotFound"
    assert refused(c, "CreateSecurityGroup", VpcId=vpc_id) == "VpcNotFound"
    _, defaults, groups = default_network(c)
    params = {"ImageId": centos(k), "InstanceType": "N3.2B", "MaxCount": 1, "MinCount": 1, "SubnetId": subnet_id,
              "SecurityGroupId": [groups[0]["SecurityGroupId"]], "ChargeType": "Daily", "InstancePassword": "Passw0rdTest"}
    with pytest.raises(KsyunSDKException) as gone:
        call(k, "RunInstances", params)
    assert json.loads(gone.value.message)["Error"]["Code"] == "InvalidParameterValue"
    assert "cn-beijing-6a" in defaults


def test_listings_page_with_next_token(server):
    c = vpc(server)
    vpc_id = v(c, "CreateVpc", VpcName="pages", CidrBlock="192.168.0.0/16")["Vpc"]["VpcId"]
    made = [v(c, "CreateSubnet", **subnet_params(vpc_id, f"192.168.{n}.0/24", SubnetName=f"p{n}"))["Subnet"]["SubnetId"]
            for n in range(7)]
    first = v(c, "DescribeSubnets", **by("vpc-id", vpc_id), MaxResults=5)
    assert ids(first["SubnetSet"], "SubnetId") == made[:5] and first["NextToken"] == "6"
    rest = v(c, "DescribeSubnets", **by("vpc-id", vpc_id), MaxResults=5, NextToken=first["NextToken"])
    assert ids(rest["SubnetSet"], "SubnetId") == made[5:] and "NextToken" not in rest
    assert ids(v(c, "DescribeSubnets", SubnetId=[made[3], made[1]])["SubnetSet"], "SubnetName") == ["p1", "p3"]
    # Every one of them is in zone A, the default.
    assert {s["AvailabilityZoneName"] for s in rest["SubnetSet"]} == {"cn-beijing-6a"}
    assert refused(c, "DescribeSubnets", MaxResults=4) == "InvalidParameterValue"
    assert refused(c, "DescribeSubnets", NextToken="0") == "InvalidParameterValue"
    assert refused(c, "DescribeSubnets", **by("colour", "blue")) == "InvalidParameterValue"
    assert refused(c, "DescribeSecurityGroups", **by("availability-zone-name", "cn-beijing-6a")) == "InvalidParameterValue"
    for subnet in made:
        v(c, "DeleteSubnet", SubnetId=subnet)
    assert v(c, "DeleteVpc", VpcId=vpc_id)["Return"] is True


def test_address_rules(server):
    c, k = vpc(server), kec(server)
    for bad in ("10.0.0.1/16", "8.8.0.0/16", "10.0.0.0/29", "10.0.0.0/33", "banana"):
        assert refused(c, "CreateVpc", CidrBlock=bad) == "InvalidParameterValue", bad
    assert refused(c, "CreateVpc", VpcName="no-block") == "MissingParameter"
    assert refused(c, "CreateVpc", CidrBlock="10.8.0.0/16", ProvidedIpv6CidrBlock=True) == "InvalidParameterValue"
    vpc_id = v(c, "CreateVpc", CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    assert v(c, "DescribeVpcs", VpcId=[vpc_id])["VpcSet"][0]["VpcName"] == vpc_id, "unnamed: named by its id"
    kept = v(c, "CreateSubnet", **subnet_params(vpc_id, "10.8.1.0/24"))["Subnet"]["SubnetId"]
    cases = [
        (subnet_params(vpc_id, "10.9.0.0/24"), "InvalidParameterValue"),  # outside the VPC
        (subnet_params(vpc_id, "10.8.1.128/25"), "InvalidParameterValue"),  # overlaps
        (subnet_params(vpc_id, "10.8.0.0/15"), "InvalidParameterValue"),  # larger than the VPC
        (subnet_params(vpc_id, "10.8.2.0/30"), "InvalidParameterValue"),  # too small
        (subnet_params(vpc_id, "10.8.2.0/24", GatewayIp="10.8.2.9"), "InvalidParameterValue"),
        (subnet_params(vpc_id, "10.8.2.0/24", Dns1="8.8.8.8"), "InvalidParameterValue"),
        (subnet_params(vpc_id, "10.8.2.0/24", SubnetType="Reserve"), "InvalidParameterValue"),
        (subnet_params(vpc_id, "10.8.2.0/24", AvailabilityZone="cn-shanghai-2a"), "InvalidParameterValue"),
        ({k2: x for k2, x in subnet_params(vpc_id, "10.8.2.0/24").items() if k2 != "GatewayIp"}, "MissingParameter"),
        ({k2: x for k2, x in subnet_params(vpc_id, "10.8.2.0/24").items() if k2 != "SubnetType"}, "MissingParameter"),
        (subnet_params("5e0b2bde-0000-4000-8000-000000000000", "10.8.2.0/24"), "VpcNotFound"),
    ]
    for params, code in cases:
        assert refused(c, "CreateSubnet", **params) == code, params
    assert refused(c, "CreateSecurityGroup", VpcId=vpc_id, SecurityGroupType="global") == "InvalidParameterValue"
    own_group = v(c, "CreateSecurityGroup", VpcId=vpc_id)["SecurityGroup"]["SecurityGroupId"]

    # A subnet of one's own in the default VPC is fine, unless it overlaps a default one.
    default, subnets, groups = default_network(c)
    mine = v(c, "CreateSubnet", **subnet_params(default["VpcId"], "10.0.200.0/24"))["Subnet"]["SubnetId"]
    taken = subnets["cn-beijing-6a"]["CidrBlock"].replace("/20", "/24")
    assert refused(c, "CreateSubnet", **subnet_params(default["VpcId"], taken)) == "InvalidParameterValue"

    # A group must be of the subnet's VPC.
    base = {"ImageId": centos(k), "InstanceType": "N3.2B", "MaxCount": 1, "MinCount": 1, "ChargeType": "Daily",
            "InstancePassword": "Passw0rdTest"}
    for subnet, group in [(kept, groups[0]["SecurityGroupId"]), (mine, own_group)]:
        with pytest.raises(KsyunSDKException) as e:
            call(k, "RunInstances", {**base, "SubnetId": subnet, "SecurityGroupId": [group]})
        assert json.loads(e.value.message)["Error"]["Code"] == "InvalidParameterValue"
    v(c, "DeleteSubnet", SubnetId=mine)
    v(c, "DeleteSubnet", SubnetId=kept)
    v(c, "DeleteSecurityGroup", SecurityGroupId=own_group)
    v(c, "DeleteVpc", VpcId=vpc_id)


def test_another_account_sees_none_of_it(server):
    alice, bob = vpc(server), vpc(server, ak=BOB_AK, sk=BOB_SK)
    vpc_id = v(alice, "CreateVpc", VpcName="alice", CidrBlock="172.30.0.0/16")["Vpc"]["VpcId"]
    subnet = v(alice, "CreateSubnet", **subnet_params(vpc_id, "172.30.1.0/24"))["Subnet"]["SubnetId"]
    group = v(alice, "CreateSecurityGroup", VpcId=vpc_id, SecurityGroupName="alice")["SecurityGroup"]["SecurityGroupId"]
    seen = lambda c: (v(c, "DescribeVpcs")["VpcSet"], v(c, "DescribeSubnets")["SubnetSet"],
                      v(c, "DescribeSecurityGroups")["SecurityGroupSet"])
    before = seen(alice)

    assert v(bob, "DescribeVpcs", VpcId=[vpc_id])["VpcSet"] == []
    assert v(bob, "DescribeSubnets", SubnetId=[subnet])["SubnetSet"] == []
    assert v(bob, "DescribeSubnets", **by("vpc-id", vpc_id))["SubnetSet"] == []
    assert v(bob, "DescribeSecurityGroups", SecurityGroupId=[group])["SecurityGroupSet"] == []
    assert not {vpc_id, subnet, group} & set(json.dumps(seen(bob)).split('"'))
    assert refused(bob, "CreateSubnet", **subnet_params(vpc_id, "172.30.2.0/24")) == "VpcNotFound"
    assert refused(bob, "CreateSecurityGroup", VpcId=vpc_id) == "VpcNotFound"
    assert refused(bob, "DeleteSecurityGroup", SecurityGroupId=group) == "SecurityGroupNotFound"
    assert refused(bob, "DeleteSubnet", SubnetId=subnet) == "SubnetNotFound"
    assert refused(bob, "DeleteVpc", VpcId=vpc_id) == "VpcNotFound"
    bob_kec = kec(server, ak=BOB_AK, sk=BOB_SK)
    with pytest.raises(KsyunSDKException) as e:
        run(bob_kec, subnet, group)
    assert json.loads(e.value.message)["Error"]["Code"] == "InvalidParameterValue"
    # Bob may take the same block and names: his own, apart from hers.
    bobs = v(bob, "CreateVpc", VpcName="alice", CidrBlock="172.30.0.0/16")["Vpc"]["VpcId"]
    assert v(bob, "CreateSubnet", **subnet_params(bobs, "172.30.1.0/24"))["Subnet"]["VpcId"] == bobs
    # The defaults are the same for both.
    def shape(c):
        default, subnets, groups = default_network(c)
        return default["VpcId"], sorted(s["SubnetId"] for s in subnets.values()), ids(groups, "SecurityGroupId")
    assert shape(bob) == shape(alice)
    assert seen(alice) == before


def legacy(server, params, service):
    """A request signed with Kingsoft's legacy `Signature` parameter."""
    ts = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    params = {"Accesskey": AK, "Timestamp": ts, "SignatureVersion": "1.0", "SignatureMethod": "HMAC-SHA256",
              "Region": REGION, "Service": service, "Version": "2016-03-04", **params}
    enc = lambda s: urllib.parse.quote(s, safe="-_.~")
    source = "&".join(f"{enc(k)}={enc(x)}" for k, x in sorted((enc(k), x) for k, x in params.items()))
    params["Signature"] = hmac.new(SK.encode(), source.encode(), hashlib.sha256).hexdigest()
    r = requests.get(f"http://{server.endpoint}/", params=params, timeout=10)
    return r.status_code, r.json()


def test_kec_and_vpc_are_told_apart_by_the_service_not_the_version(server):
    describe_vpcs = {"Action": "DescribeVpcs", "Version": "2016-03-04"}
    status, body = send(signed(server, describe_vpcs, service="vpc"))
    assert status == 200 and body["VpcSet"]
    assert send(signed(server, describe_vpcs, service="kec"))[1]["Error"]["Code"] == "InvalidAction"
    describe_instances = {"Action": "DescribeInstances", "Version": "2016-03-04"}
    assert send(signed(server, describe_instances, service="vpc"))[1]["Error"]["Code"] == "InvalidAction"
    assert send(signed(server, describe_instances, service="kec"))[0] == 200
    assert send(signed(server, describe_vpcs, service="sks"))[1]["Error"]["Code"] == "SignatureDoesNotMatch"
    # The legacy signature names the service in a parameter.
    status, body = legacy(server, {"Action": "DescribeSubnets"}, "vpc")
    assert status == 200 and body["SubnetSet"], body
    assert legacy(server, {"Action": "DescribeSubnets"}, "kec")[1]["Error"]["Code"] == "InvalidAction"
    assert legacy(server, {"Action": "DescribeSubnets"}, "sks")[1]["Error"]["Code"] == "InvalidAction"
