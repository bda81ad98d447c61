"""Metrics and logs (issue 15, section 3): `GET /metrics` in the Prometheus
text format, parsed here as a scraper would: requests by vendor, product,
action and code with latency histograms, operations by kind and final
state with durations, live instances by product and state, store commits,
rate-limit refusals and faults fired; and `--log-format json` with the
request id on every line logged while serving a request."""
import json
import math
import re
import threading
import urllib.request

from conftest import Lighthouse
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from harness import Server, wait_until

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(server, token=None):
    """The samples of /metrics: {(name, frozenset(labels)): value}, and the
    declared type of each family."""
    req = urllib.request.Request(f"http://{server.endpoint}/metrics")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = r.read().decode()
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        assert m, f"not in the text format: {line!r}"
        name, labels, value = m.groups()
        key = (name, frozenset(LABEL.findall(labels or "")))
        assert key not in samples, f"sample twice: {line!r}"
        samples[key] = float(value)
    return samples, types


def value(samples, name, **labels):
    want = set(labels.items())
    found = [v for (n, ls), v in samples.items() if n == name and want <= set(ls)]
    return sum(found) if found else None


def test_requests_operations_instances_and_the_store_are_scraped():
    server = Server(speed=200)
    try:
        lh = Lighthouse(server)
        ids = lh.running(count=2)
        lh.call("RebootInstances", {"InstanceIds": ids[:1]})
        lh.settled(ids[0])
        assert lh.error("StartInstances", {"InstanceIds": ["lhins-00000000"]}) == \
            "ResourceNotFound.InstanceIdNotFound"
        # A fault rule fires once, and a burst over ResetInstance's limit.
        server.admin("/_stratus/faults", "PUT", [{"product": "lighthouse", "action": "StopInstances",
                                                  "message": "disk on fire", "remaining": 1}])
        lh.call("StopInstances", {"InstanceIds": ids[1:]})
        throttled = _throttled_resets(lh)
        samples, types = wait_until(lambda: _settled_scrape(server), what="the stop and the instances to settle")
        ok = value(samples, "stratus_requests_total", vendor="tencent", product="lighthouse",
                   action="CreateInstances", code="OK")
        assert ok == 1, ok
        assert value(samples, "stratus_requests_total", action="StartInstances",
                     code="ResourceNotFound.InstanceIdNotFound") == 1
        # Exactly the refusals the clients saw, however the burst fell across windows.
        assert value(samples, "stratus_requests_total", action="ResetInstance",
                     code="RequestLimitExceeded") == throttled
        assert value(samples, "stratus_rate_limited_total", product="lighthouse", action="ResetInstance") == throttled
        assert value(samples, "stratus_faults_fired_total", product="lighthouse", action="StopInstances") == 1
        assert types["stratus_requests_total"] == "counter"
        assert types["stratus_request_duration_seconds"] == "histogram"
        # A histogram's buckets only grow, and +Inf is its count.
        labels = {"vendor": "tencent", "product": "lighthouse", "action": "DescribeInstances"}
        buckets = sorted(((float(dict(ls)["le"]), v) for (n, ls), v in samples.items()
                          if n == "stratus_request_duration_seconds_bucket" and set(labels.items()) <= set(ls)),
                         key=lambda b: b[0])
        counts = [v for _, v in buckets]
        assert counts == sorted(counts) and buckets[-1][0] == math.inf, buckets
        assert buckets[-1][1] == value(samples, "stratus_request_duration_seconds_count", **labels) > 0
        assert value(samples, "stratus_operations_total", product="lighthouse", kind="CREATE", state="SUCCESS") == 2
        assert value(samples, "stratus_operations_total", kind="REBOOT", state="SUCCESS") == 1
        assert value(samples, "stratus_operations_total", kind="STOP", state="FAILED") == 1
        assert value(samples, "stratus_operation_duration_seconds_count", kind="CREATE") == 2
        instances = {dict(ls)["state"]: v for (n, ls), v in samples.items() if n == "stratus_instances"}
        assert instances == {"RUNNING": 2}, instances
        assert value(samples, "stratus_store_commit_seconds_count") > 0
        assert value(samples, "stratus_store_commit_writes_sum") >= value(samples, "stratus_store_commit_writes_count")
    finally:
        server.stop()


def _throttled_resets(lh):
    """Bursts of 25 concurrent ResetInstance calls (limit 10 a second) until
    one is throttled; returns how many were."""
    codes = []

    def reset():
        try:
            lh.sdk.call_json("ResetInstance", {"InstanceId": "lhins-00000000"})
        except TencentCloudSDKException as e:  # refused either way: not found, or over the limit
            codes.append(e.code)

    def burst():
        threads = [threading.Thread(target=reset) for _ in range(25)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return codes.count("RequestLimitExceeded")
    return wait_until(burst, what="a ResetInstance to be throttled")


def _settled_scrape(server):
    """A scrape once the failed stop is counted and no instance is between
    states any more."""
    samples, types = scrape(server)
    failed = value(samples, "stratus_operations_total", kind="STOP", state="FAILED")
    between = [ls for (n, ls), v in samples.items()
               if n == "stratus_instances" and v and dict(ls)["state"] != "RUNNING"]
    return (samples, types) if failed and not between else None


def test_metrics_need_the_admin_token_when_one_is_set():
    token = "stratus-admin-metrics-0001"
    server = Server(admin_token=token)
    try:
        req = urllib.request.Request(f"http://{server.endpoint}/metrics")
        try:
            urllib.request.urlopen(req, timeout=5)
            raise AssertionError("/metrics answered without the token")
        except urllib.error.HTTPError as e:
            assert e.code == 401
        samples, _ = scrape(server, token=token)
        assert isinstance(samples, dict)
    finally:
        server.stop()


def test_json_logs_carry_the_request_id_on_every_line_of_a_request():
    server = Server(extra=("--log-format", "json", "--log-level", "debug"))
    try:
        lh = Lighthouse(server)
        try:
            lh.sdk.call_json("StartInstances", {"InstanceIds": ["lhins-00000000"]})
            raise AssertionError("expected a refusal")
        except Exception as e:  # TencentCloudSDKException
            request_id = e.requestId
        def logged():
            lines = [json.loads(l) for l in server.log_text().splitlines() if l.startswith("{")]
            mine = [l for l in lines if l.get("span", {}).get("request_id") == request_id]
            return (lines, mine) if mine else None
        lines, mine = wait_until(logged, what=f"a log line of request {request_id}")
        assert all({"timestamp", "level", "fields"} <= set(l) for l in lines), lines[:3]
        assert any(l["fields"].get("message") == "request refused" for l in mine), mine
    finally:
        server.stop()
