import json
import os
import shutil

import numpy as np
import pytest
from sklearn.base import clone

from stance import InputError, ModelLoadError, StanceModel, load_model, read_labeled
from stance.persistence import MANIFEST, read_manifest
from tests.conftest import TINY_ENCODER

ARTICLE = (
    "Serbia, China start joint patrols\n\n"
    "BELGRADE, May 3 — Chinese police officers began joint patrols with Serbian colleagues in Belgrade on "
    "Monday, the interior ministry said in a statement.\n\n"
    "The ministry dismissed claims that the patrols were linked to the student protests as fantasy, "
    "saying they serve Chinese tourists only.\n\n"
    "For Belgrade, the patrols are one more way of keeping options open between Brussels, Moscow and Beijing."
)


def test_predictions_have_labels_and_scores_for_every_scheme(tiny_model, codebook):
    predictions = tiny_model.predict(["The two armies will train together in July.", "Another text here."])
    assert len(predictions) == 2
    for p in predictions:
        assert set(p.labels) == set(p.scores) == {"frame", "stance"}
        assert set(p.scores["frame"]) == set(codebook.scheme("frame").label_names)
        assert len(p.labels["stance"]) == 1
        assert abs(sum(p.scores["stance"].values()) - 1) < 1e-6
        thresholds = tiny_model.thresholds["frame"]
        assert p.labels["frame"] == [k for k, v in p.scores["frame"].items() if v >= thresholds[k]]


def test_a_label_without_examples_is_refused_before_fitting(small_data, codebook):
    from stance import DataError

    rows = [r for r in small_data.records() if r["stance"] != "critical"]
    with pytest.raises(DataError, match="'critical' has 0 examples"):
        StanceModel(codebook=codebook, encoder=TINY_ENCODER, cv=3).fit(
            [r["text"] for r in rows], [{"frame": r["frame"], "stance": r["stance"]} for r in rows])


def test_fit_accepts_texts_and_label_dicts(small_data, codebook):
    rows = small_data.records()
    model = StanceModel(codebook=codebook, encoder=TINY_ENCODER, cv=3).fit(
        [r["text"] for r in rows], [{"frame": r["frame"], "stance": r["stance"]} for r in rows])
    assert set(model.heads_) == {"frame", "stance"}


def test_clone_keeps_parameters_and_drops_fitted_state(tiny_model):
    copy = clone(tiny_model)
    assert copy.get_params()["C"] == tiny_model.C and not hasattr(copy, "heads_")


@pytest.mark.parametrize(("prevalence", "message"), [
    ({"frame": {"influence": 0.1}}, "lacks; its labels"),
    ({"frame": {"influence_expansion": 0.0}}, "strictly between 0 and 1"),
])
def test_label_prevalence_is_checked_against_the_codebook(tiny_model, small_data, prevalence, message):
    from stance.errors import StanceError

    with pytest.raises(StanceError, match=message):
        clone(tiny_model).set_params(label_prevalence=prevalence).fit(small_data)


def test_score_article_summary(tiny_model):
    result = tiny_model.score_article(ARTICLE)
    assert [p.index for p in result.paragraphs] == [0, 1, 2]
    assert result.paragraphs[0].text.startswith("Serbia, China start joint patrols BELGRADE")
    summary = result.summary["frame"]["influence_expansion"]
    carrying = sum("influence_expansion" in p.prediction.labels["frame"] for p in result.paragraphs)
    assert summary["count"] == carrying and summary["share"] == pytest.approx(carrying / 3)
    best = max(result.paragraphs, key=lambda p: p.prediction.scores["frame"]["influence_expansion"])
    assert summary["strongest"]["paragraph"] == best.index
    stance_shares = sum(v["share"] for v in result.summary["stance"].values())
    assert stance_shares == pytest.approx(1.0)
    payload = result.to_dict()
    assert set(payload["paragraphs"][0]) == {"paragraph", "text", "labels", "scores"}


def test_empty_article_and_bad_inputs(tiny_model):
    assert tiny_model.score_article("  \n ").paragraphs == []
    with pytest.raises(InputError, match="got one string"):
        tiny_model.predict("not a list")
    with pytest.raises(InputError, match="text 1 is empty"):
        tiny_model.predict(["fine text", "  "])
    with pytest.raises(InputError, match="text 0 is int"):
        tiny_model.predict([3])


def test_save_load_round_trip(tmp_path, tiny_model, small_data):
    directory = tiny_model.save(tmp_path / "m", data={"rows": len(small_data)}, metrics={"schemes": {}})
    files = sorted(p.name for p in directory.iterdir())
    assert files[0].startswith("README") and MANIFEST in files and any(f.startswith("heads-") for f in files)
    loaded = load_model(directory)
    texts = small_data.texts[:20]
    before, after = tiny_model.predict(texts), loaded.predict(texts)
    assert [p.labels for p in before] == [p.labels for p in after]
    assert np.allclose([p.scores["frame"]["influence_expansion"] for p in before],
                       [p.scores["frame"]["influence_expansion"] for p in after])
    manifest = read_manifest(directory)
    assert manifest.encoder.name == TINY_ENCODER and manifest.codebook["schemes"][0]["name"] == "frame"
    assert {"scikit-learn", "numpy", "python"} <= set(manifest.versions)
    card = (directory / "README.md").read_text()
    assert "security_balancing" in card and TINY_ENCODER in card


def test_resave_replaces_heads_and_sweeps_the_old_file(tmp_path, tiny_model, small_data):
    directory = tiny_model.save(tmp_path / "m")
    first = read_manifest(directory).heads.file
    clone(tiny_model).set_params(C=0.5).fit(small_data).save(directory)
    second = read_manifest(directory).heads.file
    assert first != second
    assert [p.name for p in directory.glob("heads-*")] == [second]


@pytest.fixture
def saved(tmp_path, tiny_model):
    return tiny_model.save(tmp_path / "m")


def test_tampered_heads_are_refused(saved):
    heads = next(saved.glob("heads-*"))
    data = bytearray(heads.read_bytes())
    data[len(data) // 2] ^= 0xFF
    heads.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="does not match the manifest.*corrupted or was modified"):
        load_model(saved)


def test_truncated_heads_are_refused(saved):
    heads = next(saved.glob("heads-*"))
    heads.write_bytes(heads.read_bytes()[:100])
    with pytest.raises(ModelLoadError, match="SHA-256"):
        load_model(saved)


def test_missing_and_corrupted_manifest(saved, tmp_path):
    (saved / MANIFEST).write_text("{ truncated")
    with pytest.raises(ModelLoadError, match="manifest.json: corrupted"):
        load_model(saved)
    (saved / MANIFEST).unlink()
    with pytest.raises(ModelLoadError, match="not a model directory"):
        load_model(saved)
    with pytest.raises(ModelLoadError, match="no such model directory"):
        load_model(tmp_path / "nowhere")


def test_manifest_missing_a_field(saved):
    manifest = json.loads((saved / MANIFEST).read_text())
    del manifest["heads"]
    (saved / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match="field 'heads'"):
        load_model(saved)


def test_mismatched_encoder_is_refused(saved):
    with pytest.raises(ModelLoadError, match="128-dimensional.*trained on 'hashing-256'"):
        load_model(saved, encoder="hashing-128")
    manifest = json.loads((saved / MANIFEST).read_text())
    manifest["encoder"]["probe"] = [-v for v in manifest["encoder"]["probe"]]
    (saved / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match="does not reproduce the embeddings"):
        load_model(saved)


def test_heads_file_name_cannot_escape_the_directory(saved):
    manifest = json.loads((saved / MANIFEST).read_text())
    manifest["heads"]["file"] = "../../etc/passwd"
    (saved / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match="plain file name"):
        load_model(saved)


def test_a_crash_before_the_manifest_is_replaced_leaves_the_old_model(saved, tiny_model, small_data, monkeypatch):
    good = load_model(saved).predict(["A text about drills."])[0].scores
    real_replace = os.replace

    def crash_on_manifest(src, dst):
        if str(dst).endswith(MANIFEST):
            raise OSError("simulated crash")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_manifest)
    with pytest.raises(OSError, match="simulated crash"):
        clone(tiny_model).set_params(C=0.1).fit(small_data).save(saved)
    monkeypatch.undo()
    assert load_model(saved).predict(["A text about drills."])[0].scores == good


def test_default_model_directory_is_complete():
    from stance import DEFAULT_MODEL_DIR

    manifest = read_manifest(DEFAULT_MODEL_DIR)
    assert (DEFAULT_MODEL_DIR / manifest.heads.file).exists()
    assert (DEFAULT_MODEL_DIR / "README.md").exists()
    assert manifest.encoder.name == "all-MiniLM-L6-v2"


def test_copying_a_model_directory_keeps_it_loadable(saved, tmp_path):
    copy = shutil.copytree(saved, tmp_path / "copy")
    assert load_model(copy).predict(["words and more words"])


def test_targets_are_marked_and_change_the_prediction():
    from stance.dataset import labeled_from_records
    from stance.model import with_target

    assert with_target("Trump said Trump and Trumpism.", "Trump") == "Trump: [Trump] said [Trump] and Trumpism."
    assert with_target("No target here.", None) == "No target here."
    from stance import Codebook

    book = Codebook.from_dict({"schemes": [{"name": "stance", "kind": "single_label",
                                            "labels": [{"name": "supportive"}, {"name": "critical"}]}]})
    rows = [{"text": f"Alice praised Bob while Bob attacked Alice, report {i}.", "target": target,
             "stance": "supportive" if target == "Bob" else "critical"}
            for i in range(12) for target in ("Alice", "Bob")]
    model = StanceModel(codebook=book, encoder=TINY_ENCODER, cv=3, C=10.0).fit(labeled_from_records(rows, book))
    assert model.uses_targets_
    text = "Alice praised Bob while Bob attacked Alice, report 99."
    toward = [model.predict([text], targets=[t])[0].scores["stance"]["supportive"] for t in ("Alice", "Bob")]
    assert toward[1] > toward[0]
    with pytest.raises(InputError, match="2 targets for 1 texts"):
        model.predict([text], targets=["Alice", "Bob"])


def test_set_thresholds_changes_decisions_and_refuses_unknown_labels(tiny_model, small_data):
    from stance import StanceError

    model = clone(tiny_model).fit(small_data)
    texts = small_data.texts[:40]
    labels = {label: 0.0 for label in model.thresholds["frame"]}
    assert model.set_thresholds({"frame": labels}) is model
    assert model.thresholds["frame"] == labels
    assert all(len(frames) == len(labels) for frames in model.predict_labels(texts)["frame"])
    model.set_thresholds({"frame": {label: 1.01 for label in labels}})
    assert all(not frames for frames in model.predict_labels(texts)["frame"])
    with pytest.raises(StanceError, match="must name exactly its labels"):
        model.set_thresholds({"frame": {"security_balancing": 0.5}})
    with pytest.raises(StanceError, match="must name exactly its labels"):
        model.set_thresholds({"stance": {"neutral": 0.5}})


@pytest.mark.encoder
def test_tuned_mode_with_cross_fitted_thresholds(tmp_path, small_train, codebook):
    """The real encoder, LoRA-tuned briefly: the adapter is merged at load time (embeddings move away from
    the frozen encoder's), and the saved thresholds are the cross-fitted ones, not the in-sample CV ones."""
    from stance.cli import main

    out = tmp_path / "tuned"
    assert main(["-q", "train", "--data", str(small_train), "--codebook", "data/codebook.json", "--out", str(out),
                 "--tune", "--tune-epochs", "1", "--threshold-folds", "2", "--folds", "1", "--C", "8",
                 "--precision", "fp32"]) == 0
    manifest = read_manifest(out)
    assert manifest.training["threshold_folds"] == 2 and manifest.training["tuning"]["epochs"] == 1
    tuned = load_model(out, precision="fp32")
    frozen = StanceModel(encoder="all-MiniLM-L6-v2", precision="fp32")
    texts = ["Serbia keeps options open between Moscow and Brussels.", "The drills start on Monday."]
    cosine = np.sum(tuned.embed(texts) * frozen.embed(texts), axis=1)
    assert np.all(cosine < 0.999)
    data = read_labeled(small_train, codebook)
    refit = clone(tuned).fit(data)  # the same adapter and heads, with in-sample CV thresholds
    assert np.allclose(refit.predict_proba_embeddings(tuned.embed(texts))["frame"],
                       tuned.predict_proba_embeddings(tuned.embed(texts))["frame"])
    assert refit.thresholds["frame"] != tuned.thresholds["frame"]


def test_tuning_refuses_an_unknown_precision_before_loading_anything(tmp_path, small_data):
    from stance.encoder import EncoderError
    from stance.tuning import TuningConfig, tune_adapter

    with pytest.raises(EncoderError, match="unknown precision 'fp64'"):
        tune_adapter("all-MiniLM-L6-v2", small_data, small_data.texts, TuningConfig(precision="fp64"),
                     tmp_path / "adapter.safetensors")
    assert not (tmp_path / "adapter.safetensors").exists()
