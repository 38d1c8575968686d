"""Archive-scale scoring: streaming inputs and outputs, resuming after SIGKILL, flat memory, Ray, summaries."""

import json
import resource
import signal
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmarks.common import child_run
from stance import StanceError, load_model
from stance.aggregate import summarise
from stance.scoring import ScoreJob, read_scored
from tests.conftest import ROOT

PARAGRAPHS = [
    "Chinese police officers began joint patrols with Serbian colleagues in Belgrade on Monday.",
    "The ministry dismissed claims that the patrols were linked to the student protests.",
    "For Belgrade, the patrols are one more way of keeping options open between Brussels and Beijing.",
    "Every officer who studies in Nanjing goes home with a phone book full of Chinese numbers.",
]


def articles(n: int, start: int = 0) -> list[dict]:
    return [{"id": f"a{i}", "text": f"{PARAGRAPHS[i % 4]} Item {i}.\n\n{PARAGRAPHS[(i + 1) % 4]}",
             "outlet": f"outlet-{i % 3}", "date": f"2025-{i % 12 + 1:02d}-01"} for i in range(start, start + n)]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory, tiny_model):
    return tiny_model.save(tmp_path_factory.mktemp("tiny") / "model")


def shards(folder, rows, n=3):
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(n):
        pq.write_table(pa.Table.from_pylist(rows[k::n]), folder / f"shard-{k}.parquet")
    return folder


def test_parquet_folder_in_and_out_with_pass_through_columns(tmp_path, tiny_dir):
    source = shards(tmp_path / "in", articles(30))
    model = load_model(tiny_dir)
    stats = ScoreJob(model, str(source), str(tmp_path / "out"), chunk_records=7, progress=False).run()
    parts = sorted((tmp_path / "out").glob("part-*.parquet"))
    assert len(parts) == 5 and (tmp_path / "out" / "_SUCCESS").exists()
    rows = list(read_scored(str(tmp_path / "out")))
    assert len(rows) == stats["paragraphs"] == 60
    assert {r["outlet"] for r in rows} == {"outlet-0", "outlet-1", "outlet-2"}
    assert set(rows[0]) == {"id", "paragraph", "text", "labels", "scores", "outlet", "date"}
    assert sorted((r["id"], r["paragraph"]) for r in rows) == sorted((f"a{i}", p) for i in range(30) for p in (0, 1))


def test_single_file_outputs_and_repeated_paragraphs_encoded_once(tmp_path, tiny_dir):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in articles(12)))
    model = load_model(tiny_dir)
    for name in ("out.jsonl", "out.parquet"):
        job = ScoreJob(model, str(source), str(tmp_path / name), chunk_records=5, progress=False)
        stats = job.run()
        assert (tmp_path / name).exists() and not (tmp_path / f"{name}.parts").exists()
        assert len(list(read_scored(str(tmp_path / name)))) == 24
    no_split = ScoreJob(model, str(source), str(tmp_path / "whole.jsonl"), split=False, progress=False).run()
    assert no_split["paragraphs"] == 12
    repeated = tmp_path / "wire.jsonl"
    repeated.write_text("".join(json.dumps({"id": str(i), "text": PARAGRAPHS[0]}) + "\n" for i in range(50)))
    stats = ScoreJob(model, str(repeated), str(tmp_path / "wire-out.jsonl"), chunk_records=10, progress=False).run()
    assert stats["repeated_paragraphs_not_reencoded"] == 49


def test_a_different_job_is_not_resumed_by_mistake(tmp_path, tiny_dir):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in articles(5)))
    parts = tmp_path / "out.jsonl.parts"
    parts.mkdir()
    (parts / "_stance_job.json").write_text(json.dumps({"version": 1, "input": "other", "model": "x"}))
    with pytest.raises(StanceError, match="holds a job with a different"):
        ScoreJob(load_model(tiny_dir), str(source), str(tmp_path / "out.jsonl"), progress=False).run()


def score_command(model_dir, source, out, chunk=200):
    return [sys.executable, "-m", "stance.cli", "-q", "score", "--model", str(model_dir), "--input", str(source),
            "--output", str(out), "--chunk-records", str(chunk)]


def test_sigkill_mid_job_then_rerun_gives_every_paragraph_exactly_once(tmp_path, tiny_dir):
    source = shards(tmp_path / "in", articles(6000), n=4)
    out = tmp_path / "out"
    child = subprocess.Popen(score_command(tiny_dir, source, out), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while len(list(out.glob("part-*.parquet"))) < 3 and time.time() < deadline and child.poll() is None:
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL, "the job finished before it could be killed"
    done_before = len(list(out.glob("part-*.parquet")))
    assert 3 <= done_before < 30 and not (out / "_SUCCESS").exists()
    subprocess.run(score_command(tiny_dir, source, out), check=True, capture_output=True)
    rows = list(read_scored(str(out)))
    keys = [(r["id"], r["paragraph"]) for r in rows]
    assert len(keys) == len(set(keys)) == 12000
    reference = tmp_path / "reference"
    subprocess.run(score_command(tiny_dir, source, reference), check=True, capture_output=True)
    expected = {(r["id"], r["paragraph"]): r["scores"] for r in read_scored(str(reference))}
    assert {(r["id"], r["paragraph"]): r["scores"] for r in rows} == expected


def test_memory_stays_flat_from_2000_to_20000_paragraphs(tmp_path, tiny_dir):
    sizes = {}
    for n in (1000, 10000):
        source = tmp_path / f"in-{n}.jsonl"
        source.write_text("".join(json.dumps(r) + "\n" for r in articles(n)))
        sizes[n] = child_run(score_command(tiny_dir, source, tmp_path / f"out-{n}.parquet", chunk=500))[1]
    assert sizes[10000] < sizes[1000] + 60, sizes
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > 0


@pytest.mark.encoder
def test_memory_stays_flat_on_the_default_model(tmp_path):
    """The real encoder's kernel cache grows with every new input shape (+600 MB from 1,000 to 8,000 varied
    paragraphs before shapes were bounded); the tiny encoder above cannot show that."""
    from benchmarks.common import corpus_texts

    texts = corpus_texts()
    sizes = {}
    for n in (800, 4000):
        source = tmp_path / f"in-{n}.jsonl"
        source.write_text("".join(json.dumps({"id": f"p{i}", "text": f"{texts[i % len(texts)]} ({i})"}) + "\n"
                                  for i in range(n)))
        sizes[n] = child_run(score_command(ROOT / "stance" / "default_model", source, tmp_path / f"out-{n}", 500))[1]
    assert sizes[4000] < sizes[800] + 80, sizes


def test_summaries_by_outlet_and_month(tmp_path):
    rows = [
        {"outlet": "A", "date": "2025-01-03", "labels": {"frame": ["influence_expansion"], "stance": ["critical"]},
         "scores": {"frame": {"influence_expansion": 0.9, "security_balancing": 0.1}, "stance": {"critical": 0.8}}},
        {"outlet": "A", "date": "2025-01-20", "labels": {"frame": [], "stance": ["neutral"]},
         "scores": {"frame": {"influence_expansion": 0.1, "security_balancing": 0.1}, "stance": {"neutral": 0.9}}},
        {"outlet": "B", "date": "2025-02-01", "labels": {"frame": ["security_balancing"], "stance": ["neutral"]},
         "scores": {"frame": {"influence_expansion": 0.1, "security_balancing": 0.7}, "stance": {"neutral": 0.6}}},
    ]
    table = summarise(rows, ["outlet", "month"])
    assert [(r["outlet"], r["month"], r["paragraphs"]) for r in table] == [("A", "2025-01", 2), ("B", "2025-02", 1)]
    assert table[0]["frame: influence_expansion"] == 0.5 and table[0]["frame: (none)"] == 0.5
    assert table[1]["frame: security_balancing"] == 1.0 and "stance: (none)" not in table[0]
    from stance.cli import main

    scored = tmp_path / "scored.jsonl"
    scored.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["-q", "aggregate", "--input", str(scored), "--by", "outlet,month", "--output",
                 str(tmp_path / "s.csv"), "--plot", str(tmp_path / "s.png")]) == 0
    assert (tmp_path / "s.png").stat().st_size > 0
    assert (tmp_path / "s.csv").read_text().splitlines()[0].startswith("outlet,month,paragraphs")


def test_ray_engine_without_ray_says_how_to_install(tmp_path, tiny_dir, monkeypatch, capsys):
    from stance.cli import main

    monkeypatch.setitem(sys.modules, "ray", None)
    source = shards(tmp_path / "in", articles(3))
    assert main(["-q", "score", "--model", str(tiny_dir), "--input", str(source), "--output", str(tmp_path / "o"),
                 "--engine", "ray"]) == 2
    assert "pip install 'stance[ray]'" in capsys.readouterr().err


@pytest.mark.ray
@pytest.mark.encoder
def test_ray_on_a_local_cluster_matches_the_single_process(tmp_path, small_train, codebook):
    import ray

    from stance import StanceModel, read_labeled
    from stance.distributed import score_with_ray

    model_dir = StanceModel(codebook=codebook, cv=3, precision="fp32").fit(read_labeled(small_train, codebook)).save(
        tmp_path / "model")
    rows = [json.loads(line) for line in (ROOT / "data" / "articles.jsonl").read_text().splitlines()]
    records = [{"id": r["id"], "text": r["text"], "outlet": r["genre"]} for r in rows[:90]]
    source = shards(tmp_path / "in", records)
    ScoreJob(load_model(model_dir, precision="fp32"), str(source), str(tmp_path / "local"), split=False,
             progress=False).run()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        stats = score_with_ray(str(model_dir), str(source), str(tmp_path / "ray"), split=False, precision="fp32",
                               actors=2)
        again = score_with_ray(str(model_dir), str(source), str(tmp_path / "ray"), split=False, precision="fp32",
                               actors=2)
    finally:
        ray.shutdown()
    assert stats["shards"] == 3 and again["resumed_shards"] == 3
    local = {(r["id"], r["paragraph"]): r for r in read_scored(str(tmp_path / "local"))}
    remote = {(r["id"], r["paragraph"]): r for r in read_scored(str(tmp_path / "ray"))}
    assert set(local) == set(remote) and len(local) == 90
    for key, row in local.items():
        assert row["labels"] == remote[key]["labels"] and row["outlet"] == remote[key]["outlet"]
        for scheme, scores in row["scores"].items():
            for label, value in scores.items():
                assert abs(value - remote[key]["scores"][scheme][label]) <= 1e-5
