"""SIGTERM drains: the operations in flight finish before the server exits,
so the next start has nothing to recover (its log says `recovered=0`) and
the instance is where the operation left it."""
import pathlib
import re
import signal
import tempfile

from conftest import Lighthouse
from harness import Server


def test_sigterm_finishes_operations_in_flight_before_exiting():
    data = pathlib.Path(tempfile.mkdtemp(prefix="stratus-drain-"))
    server = Server(speed=20, data=data)        # a reboot lasts 1-2 s
    lh = Lighthouse(server)
    iid = lh.running()[0]
    lh.call("RebootInstances", {"InstanceIds": [iid]})
    assert lh.instance(iid)["InstanceState"] == "REBOOTING"
    server.stop(signal.SIGTERM)
    assert server.proc.returncode == 0
    assert re.search(r"stopping.*left_in_flight=0|left_in_flight=0.*stopping", server.log_text()), server.log_text()[-2000:]
    again = Server(speed=20, data=data)
    try:
        assert re.search(r"recovered=0\b", again.log_text()), again.log_text()[-2000:]
        i = Lighthouse(again).instance(iid)
        assert (i["InstanceState"], i["LatestOperation"], i["LatestOperationState"]) == \
            ("RUNNING", "RebootInstances", "SUCCESS")
    finally:
        again.stop()
