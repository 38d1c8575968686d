"""stance against the alternatives a user would pick, on the same data in the same run.

    python benchmarks/peers.py                       # all peers (SetFit takes minutes)
    python benchmarks/peers.py --skip-setfit         # without SetFit
    python benchmarks/peers.py --quick               # the CI smoke form (small subset, no SetFit)

Train on data/train.jsonl, score data/test.jsonl (the independent split). Peers:
- stance, frozen encoder (the demo's retrain path, with the default model's C and threshold beta) and,
  with --tuned DIR, a model trained with --tune (its training time is read from its manifest);
- TF-IDF (word 1-2 grams) + logistic regression, one per frame label and one for stance;
- SetFit 1.x with the same encoder and its default recipe (contrastive body training, then a logistic
  head; one-vs-rest for the multi-label scheme), capped at --setfit-steps steps per scheme because its
  default pair count would take hours on this CPU;
- zero-shot: cosine similarity between a paragraph and each label's codebook description; a frame is
  present above a per-label similarity threshold chosen on the training data; stance is the most similar.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, machine, machine_line, save, table
from stance import Codebook, LabeledData, StanceModel, load_model, read_labeled
from stance.heads import fbeta_score_fast
from stance.metrics import evaluate_labels


def score_row(name: str, test: LabeledData, predicted: dict, train_s: float, score_s: float, schemes) -> dict:
    report = evaluate_labels(test, predicted, schemes)["schemes"]
    return {"method": name, "frame macro-F1": report["frame"]["macro_f1"],
            "stance macro-F1": report["stance"]["macro_f1"], "train s": round(train_s, 1),
            "score paragraphs/s": round(len(test) / score_s, 1)}


def run_stance(train: LabeledData, test: LabeledData, codebook, model_dir: str | None, frozen: bool) -> dict:
    if frozen:
        start = time.perf_counter()
        config = json.loads((ROOT / "training" / "config.json").read_text(encoding="utf-8"))
        model = StanceModel(codebook=codebook, C=config["C"], threshold_beta=config["threshold_beta"]).fit(train)
        train_s = time.perf_counter() - start
        name = "stance, frozen encoder"
    else:
        model = load_model(model_dir)
        train_s = sum((model.manifest_.metrics.get("seconds") or {}).get(k, 0.0)
                      for k in ("tune_encoder", "encode", "fit"))
        name = "stance, tuned encoder (--tune)"
    model.predict(test.texts[:16])
    start = time.perf_counter()
    predicted = model.predict_labels(test.texts)
    return score_row(name, test, predicted, train_s, time.perf_counter() - start, codebook.schemes)


def run_tfidf(train: LabeledData, test: LabeledData, codebook) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    start = time.perf_counter()
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    X = vectorizer.fit_transform(train.texts)
    frame_names = codebook.scheme("frame").label_names
    Y = train.indicator("frame")
    frame_models = [LogisticRegression(C=10, class_weight="balanced", max_iter=2000).fit(X, Y[:, j])
                    for j in range(len(frame_names))]
    stance_model = LogisticRegression(C=10, class_weight="balanced", max_iter=2000).fit(X, train.classes("stance"))
    train_s = time.perf_counter() - start
    start = time.perf_counter()
    Xt = vectorizer.transform(test.texts)
    frames = np.column_stack([m.predict(Xt) for m in frame_models])
    stances = stance_model.predict(Xt)
    predicted = {"frame": [tuple(n for n, v in zip(frame_names, row, strict=True) if v) for row in frames],
                 "stance": list(stances)}
    return score_row("TF-IDF + logistic regression", test, predicted, train_s, time.perf_counter() - start,
                     codebook.schemes)


def run_zero_shot(train: LabeledData, test: LabeledData, codebook) -> dict:
    model = StanceModel(codebook=codebook)
    encoder = model.encoder_
    start = time.perf_counter()
    descriptions = {s.name: encoder.encode([f"{label.name.replace('_', ' ')}: {label.description}"
                                            for label in s.labels]) for s in codebook.schemes}
    train_sim = encoder.encode(train.texts) @ descriptions["frame"].T
    Y = train.indicator("frame")
    thresholds = []
    for j in range(Y.shape[1]):
        candidates = np.quantile(train_sim[:, j], np.linspace(0.05, 0.95, 91))
        thresholds.append(max(candidates, key=lambda t, j=j: fbeta_score_fast(Y[:, j], train_sim[:, j] >= t)))
    train_s = time.perf_counter() - start
    start = time.perf_counter()
    embeddings = encoder.encode(test.texts)
    frame_sim = embeddings @ descriptions["frame"].T
    stance_sim = embeddings @ descriptions["stance"].T
    frame_names = codebook.scheme("frame").label_names
    stance_names = codebook.scheme("stance").label_names
    predicted = {"frame": [tuple(n for n, v, t in zip(frame_names, row, thresholds, strict=True) if v >= t)
                           for row in frame_sim],
                 "stance": [stance_names[i] for i in stance_sim.argmax(axis=1)]}
    return score_row("zero-shot: similarity to label descriptions", test, predicted, train_s,
                     time.perf_counter() - start, codebook.schemes)


def run_setfit(train: LabeledData, test: LabeledData, codebook, steps: int) -> dict:
    from datasets import Dataset
    from setfit import SetFitModel, Trainer, TrainingArguments

    from stance.encoder import packaged_model_path

    frame_names = codebook.scheme("frame").label_names
    checkpoints = tempfile.mkdtemp(prefix="stance-setfit-")  # SetFit checkpoints into ./checkpoints otherwise
    args = TrainingArguments(output_dir=checkpoints, max_steps=steps, seed=0)
    start = time.perf_counter()
    frame_model = SetFitModel.from_pretrained(str(packaged_model_path()), multi_target_strategy="one-vs-rest")
    Trainer(model=frame_model, args=args,
            train_dataset=Dataset.from_dict({"text": train.texts,
                                             "label": train.indicator("frame").tolist()})).train()
    stance_model = SetFitModel.from_pretrained(str(packaged_model_path()))
    Trainer(model=stance_model, args=args,
            train_dataset=Dataset.from_dict({"text": train.texts, "label": list(train.classes("stance"))})).train()
    train_s = time.perf_counter() - start
    start = time.perf_counter()
    frames = np.asarray(frame_model.predict(test.texts))
    stances = [str(s) for s in stance_model.predict(test.texts)]
    predicted = {"frame": [tuple(n for n, v in zip(frame_names, row, strict=True) if v) for row in frames],
                 "stance": stances}
    row = score_row(f"SetFit (same encoder, default recipe, {steps} steps per scheme)", test, predicted, train_s,
                    time.perf_counter() - start, codebook.schemes)
    shutil.rmtree(checkpoints, ignore_errors=True)
    return row


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tuned", help="a model directory trained with --tune (default: the default model, "
                                        "if it was)")
    parser.add_argument("--skip-setfit", action="store_true")
    parser.add_argument("--setfit-steps", type=int, default=400)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not (args.skip_setfit or args.quick) and importlib.util.find_spec("setfit") is None:
        parser.error("SetFit is not installed: pip install -e '.[bench]', or pass --skip-setfit")
    codebook = Codebook.load(ROOT / "data" / "codebook.json")
    train = read_labeled(ROOT / "data" / "train.jsonl", codebook)
    test = read_labeled(ROOT / "data" / "test.jsonl", codebook)
    if args.quick:
        train, test = train.subset(range(0, len(train), 5)), test.subset(range(0, len(test), 3))
    rows = [run_stance(train, test, codebook, None, frozen=True)]
    tuned = args.tuned or (None if load_model().adapter is None else "")
    if tuned is not None and not args.quick:
        rows.append(run_stance(train, test, codebook, tuned or None, frozen=False))
    rows.append(run_tfidf(train, test, codebook))
    rows.append(run_zero_shot(train, test, codebook))
    if not args.skip_setfit and not args.quick:
        rows.append(run_setfit(train, test, codebook, args.setfit_steps))
    result = {"machine": machine(), "train": len(train), "test": len(test), "rows": rows}
    if args.json:
        print(json.dumps(result))
        return result
    print(machine_line())
    print(f"train {len(train)} paragraphs (data/train.jsonl), test {len(test)} (data/test.jsonl, independent)\n")
    print(table(rows))
    print(f"\nsaved {save('peers' + ('_quick' if args.quick else ''), result)}")
    return result


if __name__ == "__main__":
    main()
