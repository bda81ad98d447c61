"""The event stream (issue 15, section 2): `GET /_stratus/events` publishes
every committed change once, in commit order, with a sequence number, as
Server-Sent Events; filtered by account, product and instance; resumable
from `Last-Event-ID`; behind the admin token when one is set. Instances are
driven through the official Lighthouse SDK."""
import http.client
import json
import queue
import socket
import threading

import pytest

from conftest import ALICE_ID, ALICE_KEY, BOB_ID, BOB_KEY, TEAM_CONFIG, Lighthouse
from harness import Server, wait_until

TOKEN = "stratus-admin-events-0001"


class Stream:
    """An open event stream, read on a thread into a queue of events."""

    def __init__(self, server, query="", last_event_id=None, token=None):
        self.conn = http.client.HTTPConnection(*server.endpoint.split(":"), timeout=30)
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.conn.request("GET", f"/_stratus/events{query}", headers=headers)
        self.response = self.conn.getresponse()
        self.status = self.response.status
        self.events = queue.Queue()
        if self.status == 200:
            assert self.response.getheader("Content-Type") == "text/event-stream"
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        ident, data = None, None
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\n")
                if line.startswith("id: "):
                    ident = int(line[4:])
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                elif line == "" and data is not None:
                    assert data["seq"] == ident, (ident, data)
                    self.events.put(data)
                    ident, data = None, None
        except (OSError, ValueError, AttributeError):
            # Closed by the test: the stream ends there.
            pass

    def until(self, predicate, what, timeout=20):
        """Every event read until one matches `predicate` (inclusive)."""
        seen = []
        def found():
            while True:
                try:
                    e = self.events.get_nowait()
                except queue.Empty:
                    return None
                seen.append(e)
                if predicate(e):
                    return True
        wait_until(found, timeout=timeout, what=what)
        return seen

    def close(self):
        # Shut the socket first: closing alone waits for the reader thread,
        # blocked until the next keep-alive.
        if self.conn.sock is not None:
            try:
                self.conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.conn.close()


@pytest.fixture(scope="module")
def server():
    s = Server(speed=200, config=TEAM_CONFIG)
    yield s
    s.stop()


def test_an_instance_life_arrives_in_order_for_its_account_only(server):
    lh = Lighthouse(server, ALICE_ID, ALICE_KEY)
    bob = Lighthouse(server, BOB_ID, BOB_KEY)
    stream = Stream(server, "?account=alice&product=lighthouse")
    try:
        bob.create()  # another account: never on this stream
        iid = lh.running()[0]
        lh.call("RebootInstances", {"InstanceIds": [iid]})
        lh.settled(iid)
        events = stream.until(lambda e: e["kind"] == "operation" and e.get("instance") == iid
                              and e.get("action") == "REBOOT" and e["state"] == "SUCCESS",
                              f"the reboot of {iid} to finish")
        seqs = [e["seq"] for e in events]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
        assert all(e["account"] == "alice" for e in events), events
        mine = [e for e in events if e.get("instance") == iid]
        states = [e["state"] for e in mine if e["kind"] == "instance"]
        # Created, running, rebooting, running again: in that order.
        assert states[0] == "PENDING" and "RUNNING" in states, states
        assert states.index("REBOOTING") > states.index("RUNNING"), states
        assert states[-1] == "RUNNING", states
        operations = [(e["action"], e["state"]) for e in mine if e["kind"] == "operation"]
        assert operations == [("CREATE", "OPERATING"), ("CREATE", "SUCCESS"),
                              ("REBOOT", "OPERATING"), ("REBOOT", "SUCCESS")], operations
        assert all(e["product"] == "lighthouse" for e in mine), mine
    finally:
        stream.close()


def test_a_watcher_resumes_from_its_last_event_without_gaps_or_repeats(server):
    lh = Lighthouse(server, ALICE_ID, ALICE_KEY)
    first = Stream(server, "?account=alice")
    try:
        iid = lh.running()[0]
        seen = first.until(lambda e: e["kind"] == "operation" and e.get("instance") == iid
                           and e["state"] == "SUCCESS", f"{iid} to run")
        last = seen[-1]["seq"]
    finally:
        first.close()
    # Changes made while nobody watches this account.
    lh.call("StopInstances", {"InstanceIds": [iid]})
    assert lh.settled(iid)["InstanceState"] == "STOPPED"
    resumed = Stream(server, "?account=alice", last_event_id=last)
    try:
        events = resumed.until(lambda e: e.get("instance") == iid and e["kind"] == "instance"
                               and e["state"] == "STOPPED", "the missed stop")
        assert all(e["seq"] > last for e in events), (last, events)
        assert [e["state"] for e in events if e["kind"] == "instance"][-2:] == ["STOPPING", "STOPPED"]
        # And it goes on live.
        lh.call("StartInstances", {"InstanceIds": [iid]})
        resumed.until(lambda e: e.get("instance") == iid and e.get("state") == "STARTING", "the start, live")
    finally:
        resumed.close()


def test_an_instance_filter_and_a_bad_last_event_id(server):
    lh = Lighthouse(server, ALICE_ID, ALICE_KEY)
    a, b = lh.create(count=2)
    stream = Stream(server, f"?instance={a}", last_event_id=0)
    try:
        events = stream.until(lambda e: e.get("instance") == a and e["kind"] == "instance"
                              and e["state"] == "RUNNING", f"{a} to run")
        assert {e.get("instance") for e in events} == {a}, events
    finally:
        stream.close()
    bad = Stream(server, last_event_id="yesterday")
    assert bad.status == 400
    bad.close()


def test_the_stream_needs_the_admin_token_when_one_is_set():
    s = Server(admin_token=TOKEN)
    try:
        refused = Stream(s)
        assert refused.status == 401
        refused.close()
        allowed = Stream(s, token=TOKEN)
        try:
            assert allowed.status == 200
            iid = Lighthouse(s).create()[0]
            allowed.until(lambda e: e.get("instance") == iid, f"{iid} to be published")
        finally:
            allowed.close()
    finally:
        s.stop()


def test_a_fault_rule_that_fires_is_published(server):
    lh = Lighthouse(server, ALICE_ID, ALICE_KEY)
    iid = lh.running()[0]
    stream = Stream(server, f"?instance={iid}")
    try:
        status, _ = server.admin("/_stratus/faults", "PUT", [{"product": "lighthouse", "action": "RebootInstances",
                                                              "instance": iid, "message": "disk on fire"}])
        assert status == 200
        lh.call("RebootInstances", {"InstanceIds": [iid]})
        events = stream.until(lambda e: e["kind"] == "operation" and e["state"] == "FAILED", "the failed reboot")
        fired = [e for e in events if e["kind"] == "fault"]
        assert [(e["action"], e["detail"], e["account"]) for e in fired] == [("RebootInstances", "disk on fire", "alice")]
        assert events[-1]["detail"] == "disk on fire"
    finally:
        stream.close()
        server.admin("/_stratus/faults", "DELETE")
