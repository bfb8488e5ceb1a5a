"""`make run`'s command starts the web server and the workers, and stopping it leaves nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.ops.processes import ROOT, alive, descendants, free_port


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_runhub_serves_and_a_stop_signal_ends_every_process(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hub.settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hub.sqlite3'}",
        "HUB_Q_WORKERS": "1",
    }
    env.pop("REDIS_URL", None)
    hub = subprocess.Popen(
        [sys.executable, "manage.py", "runhub", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = hub.stdout.readline()
            lines.append(line)
            if "Odoo push" in line or not line:
                break
        output = "".join(lines)
        assert "Created admin user 'admin' with password:" in output
        assert f"http://127.0.0.1:{port}/admin/" in output
        for _ in range(100):  # the web server answers (bounded: about 20 s)
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        else:
            pytest.fail("the web server never listened")
        time.sleep(2)  # let the cluster fork its workers
        spawned = descendants(hub.pid)
        assert len(spawned) >= 3  # runserver, qcluster and its processes
        hub.send_signal(signal.SIGTERM)
        hub.wait(timeout=60)
        left = [pid for pid in spawned if alive(pid)]
        assert left == []
    finally:
        if hub.poll() is None:
            hub.kill()
        hub.stdout.close()
