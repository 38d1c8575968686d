"""The load benchmark in its short form: a real server on loopback, a reload in the middle, no failures."""

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.server, pytest.mark.encoder]


def test_short_load_with_a_reload_in_the_middle_loses_nothing():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "load.py"), "--requests", "200", "--concurrency", "8",
         "--reload-at", "0.5", "--json", "--timeout", "300"],
        capture_output=True, text=True, timeout=600, check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["2xx"] == 200
    assert report["5xx"] == 0 and report["4xx"] == 0 and report["failed_connections"] == 0
    assert report["reload"]["status"] == 200 and 0 < report["reload"]["at_request"] < 200
    assert report["p99_ms"] > 0 and report["paragraphs_per_s"] > 0
