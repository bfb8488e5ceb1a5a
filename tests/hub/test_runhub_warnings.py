"""`make run` prints the development encryption-key warning once, not once per process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.ops.processes import ROOT, free_port


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_the_encryption_key_warning_is_printed_once_at_start_up(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hub.settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hub.sqlite3'}",
        "HUB_Q_WORKERS": "1",
        "HUB_ENCRYPTION_KEYS": "",
        "HUB_PORT": str(port),
    }
    env.pop("REDIS_URL", None)
    hub = subprocess.Popen(
        [sys.executable, "manage.py", "runhub", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        for _ in range(240):  # until the web server answers (bounded: about 60 s)
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=2)
                break
            except OSError:
                time.sleep(0.25)
        time.sleep(1)  # the cluster prints its checks (if any) while starting
    finally:
        os.killpg(hub.pid, signal.SIGTERM)
        output, _ = hub.communicate(timeout=60)
    assert output.count("hub.W001") == 1, output
