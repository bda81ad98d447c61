#!/usr/bin/env python3
"""Extracts the request schemas Stratus serves from tccli's machine-readable
API models (tccli/services/<svc>/<version>/api.json) into compact JSON under
catalog/tencent/. The dialect uses them to rebuild typed parameters from
flattened GET/form requests and to answer UnknownParameter, MissingParameter
and InvalidParameter exactly where Tencent would.

Usage: tools/gen_tencent_schema.py <site-packages dir of a venv with tccli>
"""
import json
import pathlib
import sys

SERVED = {
    ("lighthouse", "v20200324", "2020-03-24"): [
        "DescribeRegions", "DescribeZones", "DescribeBundles", "DescribeBlueprints",
        "DescribeResetInstanceBlueprints", "CreateInstances", "DescribeInstances",
        "DescribeInstancesDeniedActions", "StartInstances", "StopInstances", "RebootInstances",
        "ResetInstance", "ResetInstancesPassword", "IsolateInstances", "TerminateInstances",
        "CreateKeyPair", "ImportKeyPair", "DescribeKeyPairs", "DeleteKeyPairs",
        "AssociateInstancesKeyPairs", "DisassociateInstancesKeyPairs",
    ],
    ("cvm", "v20170312", "2017-03-12"): [
        "DescribeRegions", "DescribeZones", "DescribeInstanceTypeConfigs", "DescribeImages",
        "RunInstances", "DescribeInstances", "DescribeInstancesStatus", "StartInstances",
        "StopInstances", "RebootInstances", "ResetInstance", "ResetInstancesPassword",
        "TerminateInstances", "CreateKeyPair", "ImportKeyPair", "DescribeKeyPairs",
        "DeleteKeyPairs", "AssociateInstancesKeyPairs", "DisassociateInstancesKeyPairs",
    ],
}

SCALARS = {"string", "int64", "uint64", "bool", "float", "double", "datetime", "datetime_iso", "date", "binary", "int32", "uint32"}


def kind(t, member):
    if t == "int":
        return "uint" if member.startswith("uint") else "int"
    return t  # string, bool, float, list, object


def main(site):
    for (svc, folder, version), actions in SERVED.items():
        api = json.loads((pathlib.Path(site) / "tccli/services" / svc / folder / "api.json").read_text())
        objects, todo = {}, []
        out_actions = {}
        for a in actions:
            inp = api["actions"][a]["input"]
            out_actions[a] = inp
            todo.append(inp)
        while todo:
            name = todo.pop()
            if name in objects:
                continue
            members = []
            for m in api["objects"][name].get("members", []):
                # Deprecated ("disabled") members are still accepted by the cloud.
                entry = {"name": m["name"], "type": kind(m["type"], m["member"]), "required": bool(m.get("required"))}
                if m["type"] in ("list", "object"):
                    if m["member"] in SCALARS:
                        entry["item"] = kind("int" if m["member"].endswith("int64") else m["member"], m["member"])
                        if entry["item"] in ("double",):
                            entry["item"] = "float"
                    else:
                        entry["item"] = m["member"]
                        todo.append(m["member"])
                members.append(entry)
            objects[name] = members
        out = {"service": svc, "version": version, "actions": out_actions, "objects": dict(sorted(objects.items()))}
        path = pathlib.Path(__file__).resolve().parent.parent / "catalog/tencent" / f"{svc}-{version}.schema.json"
        path.write_text(json.dumps(out, indent=1, sort_keys=False) + "\n")
        print(path, len(objects), "objects")


if __name__ == "__main__":
    main(sys.argv[1])
