"""Retraining on labeled data written by others (../shared/datasets; skipped where it is absent)."""

import json

import pytest

from tests.conftest import ROOT, SHARED

pytestmark = [pytest.mark.shared_data, pytest.mark.encoder,
              pytest.mark.skipif(not (SHARED / "datasets").exists(), reason="../shared/datasets is not here")]


def test_stance_train_and_evaluate_on_gvfc_with_its_own_codebook(tmp_path, capsys):
    from stance.cli import main

    gvfc = SHARED / "datasets" / "gvfc" / "gvfc.jsonl"
    codebook = ROOT / "benchmarks" / "codebooks" / "gvfc.json"
    assert main(["-q", "train", "--data", str(gvfc), "--codebook", str(codebook), "--out", str(tmp_path / "m"),
                 "--folds", "3", "--C", "8"]) == 0
    metrics = json.loads((tmp_path / "m" / "manifest.json").read_text())["metrics"]["schemes"]
    assert set(metrics) == {"frames", "primary_frame"}
    assert metrics["primary_frame"]["macro_f1"] > 0.55 and metrics["frames"]["micro_f1"] > 0.65
    capsys.readouterr()
    assert main(["-q", "evaluate", "--model", str(tmp_path / "m"), "--data", str(gvfc)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["schemes"]["primary_frame"]["per_label"]) == {
        "gun_rights", "gun_control", "politics", "mental_health", "public_safety", "race_ethnicity",
        "public_opinion", "society_culture", "economic"}


def test_newsmtsc_targets_reach_the_model():
    from benchmarks.real_data import CODEBOOKS, newsmtsc_data
    from stance import Codebook, StanceModel

    codebook = Codebook.load(CODEBOOKS / "newsmtsc.json")
    dev = newsmtsc_data(codebook, "dev_rw")
    assert dev.has_targets and len(dev) > 300
    model = StanceModel(codebook=codebook, C=8).fit(dev)
    assert model.uses_targets_
    one = dev.subset([0])
    with_target = model.predict(one.texts, targets=one.targets)[0].scores["sentiment"]
    without = model.predict(one.texts)[0].scores["sentiment"]
    assert with_target != without
