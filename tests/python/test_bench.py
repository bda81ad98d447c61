"""`stratus bench` drives every product end to end: setup creates and
waits for instances, the describe and reboot phases run without errors."""
import re
import subprocess

import pytest

from harness import Server, binary


@pytest.mark.parametrize("product", ["lighthouse", "cvm", "zec", "kec"])
def test_bench_runs_every_phase_without_errors(product):
    server = Server(speed=1000)
    try:
        out = subprocess.run(
            [binary(), "bench", "--product", product, "--target", f"http://{server.endpoint}",
             "--connections", "4", "--duration", "0.3", "--instances", "30", "--phase", "all"],
            capture_output=True, text=True, timeout=120)
    finally:
        server.stop()
    assert out.returncode == 0, out.stderr + out.stdout
    assert re.search(r"setup: 30 instances exist \(0 before, 30 created", out.stdout), out.stdout
    tallies = re.findall(r"requests (\d+)\s+(?:ok|accepted) (\d+)\s+refused (\d+)\s+errors (\d+)", out.stdout)
    assert len(tallies) == 3, out.stdout
    for requests, ok, _refused, errors in tallies:
        assert int(errors) == 0, out.stdout
        assert int(ok) > 0 and int(requests) > 0, out.stdout


def test_the_soak_phase_mixes_writes_and_reads_without_errors():
    server = Server(speed=1000)
    try:
        out = subprocess.run(
            [binary(), "bench", "--product", "zec", "--target", f"http://{server.endpoint}",
             "--connections", "4", "--duration", "0.5", "--instances", "20", "--phase", "soak"],
            capture_output=True, text=True, timeout=120)
    finally:
        server.stop()
    assert out.returncode == 0, out.stderr + out.stdout
    requests, ok, refused, errors = map(int, re.search(
        r"requests (\d+)\s+ok (\d+)\s+refused (\d+)\s+errors (\d+)", out.stdout).groups())
    assert errors == 0 and ok > 0 and requests == ok + refused, out.stdout


def test_the_scale_series_charges_each_figure_with_the_servers_cpu():
    server = Server(speed=1000)
    try:
        out = subprocess.run(
            [binary(), "bench", "--target", f"http://{server.endpoint}", "--connections", "4",
             "--duration", "0.3", "--instances", "20", "--phase", "scale",
             "--server-pid", str(server.proc.pid)],
            capture_output=True, text=True, timeout=120)
    finally:
        server.stop()
    assert out.returncode == 0, out.stderr + out.stdout
    figures = re.findall(r"^  ([a-z0-9 -]+): (\d+)/s.*server CPU ([\d.]+) µs per request$",
                         out.stdout, re.M)
    names = [name for name, _, _ in figures]
    assert names == ["no-op", "page of 20", "filtered page", "one id", "accepted reboots"], out.stdout
    for name, rate, cpu in figures:
        assert int(rate) > 0 and float(cpu) > 0, (name, out.stdout)
