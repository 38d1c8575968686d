"""`stance train` killed with SIGKILL in the middle of writing a model leaves the previous model intact.

The child runs the real CLI; the only thing the test adds is a pause (in the child, through a tiny
wrapper) at the moment it wants to be killed, so the kill lands inside the save deterministically."""

import json
import signal
import subprocess
import sys
import time

import pytest

from stance import ModelLoadError, load_model
from stance.persistence import read_manifest
from tests.conftest import ROOT, TINY_ENCODER

WRAPPER = """
import os, sys
real = getattr(os, {target!r})
calls = []
def paused(*args, **kwargs):
    if {condition}:
        print("PAUSED", flush=True)
        import time; time.sleep(60)
    calls.append(args)
    return real(*args, **kwargs)
setattr(os, {target!r}, paused)
from stance.cli import main
sys.exit(main(sys.argv[1:]))
"""

SCENARIOS = {
    # while the new heads file is being flushed, before it has a name
    "writing heads": ("fsync", "len(calls) == 0"),
    # heads written and renamed, the manifest not yet replaced
    "before the manifest": ("replace", "str(args[1]).endswith('manifest.json')"),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_sigkill_during_save_keeps_the_previous_model(tmp_path, small_train, tiny_model, scenario):
    out = tiny_model.save(tmp_path / "model")
    before = read_manifest(out).heads.sha256
    texts = ["The two armies will train together in July.", "Officers study in Nanjing."]
    expected = [p.scores for p in load_model(out).predict(texts)]
    target, condition = SCENARIOS[scenario]
    child = subprocess.Popen(
        [sys.executable, "-c", WRAPPER.format(target=target, condition=condition), "-q", "train", "--data",
         str(small_train), "--codebook", str(ROOT / "data" / "codebook.json"), "--out", str(out), "--encoder",
         TINY_ENCODER, "--folds", "1", "--cv", "3", "--C", "0.3", "--no-cache"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.time() + 120
    line = ""
    while time.time() < deadline and "PAUSED" not in line:
        line = child.stdout.readline()
        if not line and child.poll() is not None:
            pytest.fail("the training process ended before it reached the save")
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    assert read_manifest(out).heads.sha256 == before
    assert [p.scores for p in load_model(out).predict(texts)] == expected
    # the next save sweeps what the killed one left behind
    tiny_model.save(out)
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".") or p.name.endswith(".tmp")]
    assert leftovers == [] and len(list(out.glob("heads-*"))) == 1


def test_a_tampered_manifest_hash_is_refused(tmp_path, tiny_model):
    out = tiny_model.save(tmp_path / "model")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["heads"]["sha256"] = "0" * 64
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match="does not match the manifest"):
        load_model(out)
