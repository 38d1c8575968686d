"""Benchmark smoke tests: each script runs end to end in a short form and reports sane figures."""

import importlib

import pytest

pytestmark = pytest.mark.encoder


@pytest.fixture(autouse=True)
def results_elsewhere(tmp_path, monkeypatch):
    import benchmarks.common as common

    monkeypatch.setattr(common, "RESULTS", tmp_path)
    for name in ("throughput", "retrain", "latency", "long_text", "scaling", "peers", "roofline"):
        module = importlib.import_module(f"benchmarks.{name}")
        if hasattr(module, "RESULTS"):
            monkeypatch.setattr(module, "RESULTS", tmp_path)


def test_throughput_smoke():
    from benchmarks import throughput

    result = throughput.main(["--n", "200", "--rounds", "1", "--no-cli", "--json"])
    assert result["paragraphs"] == 200
    assert all(v > 0 for v in result["paragraphs_per_s"].values())
    assert 0.5 < result["ratios"]["stance/raw fp32"] < 2.0
    assert 0.9 <= result["bf16_vs_fp32"]["identical_labels"] <= 1.0


def test_retrain_smoke():
    from benchmarks import retrain

    result = retrain.main(["--n", "300", "--json"])
    cold, warm = result["runs"][0], result["runs"][1]
    assert warm["encode/look-up s"] < cold["encode/look-up s"]


def test_long_text_smoke():
    from benchmarks import long_text

    result = long_text.main(["--n", "10", "--json"])
    assert result["mean_tokens"] > result["window_tokens"]
    assert result["cost_ratio_windows_vs_truncate"] > 1.0


def test_scaling_smoke(tmp_path):
    from benchmarks import scaling

    result = scaling.main(["--quick", "--json"])
    assert [r["paragraphs"] for r in result["training_time"]] == [100, 300]
    assert (tmp_path / "scaling_batch.png").stat().st_size > 0


def test_peers_smoke():
    from benchmarks import peers

    result = peers.main(["--quick", "--json"])
    methods = [r["method"] for r in result["rows"]]
    assert methods[0].startswith("stance") and any("TF-IDF" in m for m in methods)
    assert all(0 <= r["frame macro-F1"] <= 1 for r in result["rows"])
