import json
from pathlib import Path

import pytest

from stance.cli import main
from tests.conftest import TINY_ENCODER, write_jsonl


@pytest.fixture(scope="module")
def trained(tmp_path_factory, small_train):
    out = tmp_path_factory.mktemp("cli") / "model"
    code = main(["-q", "train", "--data", str(small_train), "--codebook", "data/codebook.json", "--out", str(out),
                 "--encoder", TINY_ENCODER, "--folds", "3", "--cv", "3", "--no-cache"])
    assert code == 0
    return out


def test_train_prints_and_saves_cross_validated_metrics(trained, small_data):
    manifest = json.loads((trained / "manifest.json").read_text())
    metrics = manifest["metrics"]["schemes"]
    assert set(metrics) == {"frame", "stance"}
    assert set(metrics["frame"]["per_label"]["influence_expansion"]) == {"precision", "recall", "f1", "support"}
    assert "confusion_matrix" in metrics["stance"] and "confusion_matrix" not in metrics["frame"]
    assert manifest["data"]["rows"] == len(small_data)
    assert manifest["training"]["encoder"] == TINY_ENCODER


def test_prevalence_from_a_file_chooses_thresholds_for_its_label_shares(trained, small_train, tmp_path):
    from stance import load_model

    out = tmp_path / "model"
    assert main(["-q", "train", "--data", str(small_train), "--codebook", "data/codebook.json", "--out", str(out),
                 "--encoder", TINY_ENCODER, "--folds", "1", "--cv", "3", "--no-cache",
                 "--prevalence-from", "data/articles.jsonl"]) == 0
    articles = [json.loads(line) for line in Path("data/articles.jsonl").read_text(encoding="utf-8").splitlines()]
    rare = sum("domestic_unrest_denial" in r["frame"] for r in articles) / len(articles)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["training"]["prevalence_from"] == "data/articles.jsonl"
    assert manifest["training"]["label_prevalence"]["frame"]["domestic_unrest_denial"] == pytest.approx(rare)
    # The label is about half as common in the articles as in training, so its cut-off cannot fall.
    as_trained = load_model(trained).thresholds["frame"]["domestic_unrest_denial"]
    assert load_model(out).thresholds["frame"]["domestic_unrest_denial"] >= as_trained


def test_evaluate_prints_the_documented_json(trained, small_train, capsys):
    assert main(["-q", "evaluate", "--model", str(trained), "--data", str(small_train)]) == 0
    report = json.loads(capsys.readouterr().out)
    for scheme in ("frame", "stance"):
        entry = report["schemes"][scheme]
        assert {"macro_f1", "micro_f1", "per_label"} <= set(entry)
        assert 0 <= entry["macro_f1"] <= 1


def test_evaluate_skips_a_scheme_absent_from_the_data(trained, tmp_path, capsys):
    rows = [{"text": f"Paragraph {i} on the drills.", "stance": ["neutral", "critical"][i % 2]} for i in range(6)]
    path = write_jsonl(tmp_path / "stance_only.jsonl", rows)
    assert main(["-q", "evaluate", "--model", str(trained), "--data", str(path)]) == 0
    assert list(json.loads(capsys.readouterr().out)["schemes"]) == ["stance"]


def test_score_jsonl_and_plain_text(trained, tmp_path, capsys):
    source = write_jsonl(tmp_path / "in.jsonl", [
        {"id": "a1", "outlet": "Daily",
         "text": "First paragraph of article one, with words.\n\nSecond paragraph of article one, also with words."},
        {"id": "a2", "text": "Only paragraph of article two, long enough."},
    ])
    out = tmp_path / "out.jsonl"
    assert main(["-q", "score", "--model", str(trained), "--input", str(source), "--output", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["id"], r["paragraph"]) for r in rows] == [("a1", 0), ("a1", 1), ("a2", 0)]
    assert set(rows[0]) == {"id", "paragraph", "text", "labels", "scores", "outlet"}
    article = tmp_path / "article.txt"
    article.write_text("A plain text article paragraph with words.\n\nAnd a second paragraph with more words.")
    assert main(["-q", "score", "--model", str(trained), "--input", str(article)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["article", "article"]


def test_score_csv(trained, tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text('id,text\nx,"One paragraph, with a comma, and words."\n')
    assert main(["-q", "score", "--model", str(trained), "--input", str(source), "--no-split"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "x"


def test_info(trained, capsys):
    assert main(["info", "--model", str(trained)]) == 0
    assert json.loads(capsys.readouterr().out)["encoder"]["name"] == TINY_ENCODER


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["evaluate", "--model", "{model}", "--data", "{tmp}/missing.jsonl"], "missing.jsonl: file not found"),
        (["score", "--model", "{tmp}/nomodel", "--input", "-"], "no such model directory"),
        (["train", "--data", "{bad}", "--codebook", "data/codebook.json", "--out", "{tmp}/m",
          "--encoder", TINY_ENCODER], "line 2, field 'stance': unknown label 'angry'"),
        (["train", "--data", "{bad}", "--codebook", "{tmp}/nocodebook.json", "--out", "{tmp}/m"],
         "codebook file not found"),
        (["score", "--model", "{model}", "--input", "{tmp}/x.xlsx"], "unknown file type '.xlsx'"),
        (["train", "--data", "data/train.jsonl", "--codebook", "data/codebook.json", "--out", "{tmp}/m",
          "--encoder", TINY_ENCODER, "--threshold-folds", "2"], "needs the tuned mode (--tune)"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(trained, tmp_path, capsys, argv, message):
    bad = write_jsonl(tmp_path / "bad.jsonl", [
        {"text": "Fine.", "frame": [], "stance": "neutral"}, {"text": "Bad.", "frame": [], "stance": "angry"}])
    (tmp_path / "x.xlsx").write_text("x")
    argv = [a.format(model=trained, tmp=tmp_path, bad=bad) for a in argv]
    assert main(["-q", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("stance: error:") and message in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_a_failed_score_leaves_no_partial_output(trained, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [{"text": "Good paragraph of text here."}, '{"text": 5}'])
    out = tmp_path / "out.jsonl"
    assert main(["-q", "score", "--model", str(trained), "--input", str(source), "--output", str(out)]) == 2
    assert not out.exists() and not list(tmp_path.glob(".out.jsonl-*"))
