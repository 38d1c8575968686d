"""`stance` command line: train, evaluate, score, info, and the demo and service launchers.

Data goes to stdout, logs and progress bars to stderr; a user's mistake prints one line and exits 2.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
import tempfile
from itertools import islice
from pathlib import Path

from stance.errors import StanceError

log = logging.getLogger("stance")

SCORE_CHUNK = 512


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("sentence_transformers", "transformers", "httpx", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return args.func(args) or 0
    except StanceError as exc:
        print(f"stance: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stance: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stance", description=__doc__.splitlines()[0])
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors on stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="cross-validate and train a model on labeled data")
    train.add_argument("--data", required=True, help="labeled JSONL or CSV")
    train.add_argument("--codebook", help="codebook JSON (default: the default model's codebook)")
    train.add_argument("--out", required=True, help="model directory to write")
    train.add_argument("--encoder", default="all-MiniLM-L6-v2", help="sentence-transformers name or folder")
    train.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    train.add_argument("--folds", type=int, default=5, help="cross-validation folds for the report (1: none)")
    train.add_argument("--cv", type=int, default=5, help="inner folds for thresholds and calibration")
    train.add_argument("--C", type=float, default=1.0, help="inverse regularisation of the linear heads")
    train.add_argument("--threshold-beta", type=float, default=1.0,
                       help="multi-label thresholds maximise F-beta under CV; below 1 favours precision")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--held-out", action="append", default=[], metavar="PATH",
                       help="labeled data to evaluate on after training (repeatable); never trained on")
    train.add_argument("--no-cache", action="store_true", help="do not use the on-disk embedding cache")
    train.add_argument("--tune", action="store_true",
                       help="first adapt the encoder with a LoRA adapter (minutes; stronger; needs peft)")
    train.add_argument("--tune-epochs", type=int, default=4, help="epochs of encoder tuning with --tune")
    train.set_defaults(func=cmd_train)

    evaluate = sub.add_parser("evaluate", help="metrics of a model on labeled data, as JSON")
    evaluate.add_argument("--model", help="model directory (default: the default model)")
    evaluate.add_argument("--data", required=True, help="labeled JSONL or CSV")
    evaluate.add_argument("--precision", choices=["auto", "fp32", "bf16"])
    evaluate.add_argument("--table", action="store_true", help="also print a table on stderr")
    evaluate.set_defaults(func=cmd_evaluate)

    score = sub.add_parser("score", help="label every paragraph of the input articles, as JSONL")
    score.add_argument("--model", help="model directory (default: the default model)")
    score.add_argument("--input", required=True, help="a .txt article, .jsonl or .csv with 'text', or -")
    score.add_argument("--output", default="-", help="JSONL file to write, or - for stdout")
    score.add_argument("--no-split", action="store_true", help="score each text as one paragraph")
    score.add_argument("--precision", choices=["auto", "fp32", "bf16"])
    score.set_defaults(func=cmd_score)

    info = sub.add_parser("info", help="a model's manifest (codebook, encoder, metrics) as JSON")
    info.add_argument("--model", help="model directory (default: the default model)")
    info.set_defaults(func=cmd_info)

    demo = sub.add_parser("demo", help="start the Gradio web demo")
    demo.add_argument("--model", help="model directory (default: the default model)")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=7860)
    demo.add_argument("--evidence", help="labeled data for evidence and retraining (default: the model's "
                                         "training data, when it is at hand)")
    demo.add_argument("--workdir", help="where new labels and retrained models are kept (default: a temp folder)")
    demo.set_defaults(func=lambda a: _app("stance_demo.app", "demo").main(a))

    serve = sub.add_parser("serve", help="start the HTTP scoring service (with the demo at /demo)")
    serve.add_argument("--model", help="model directory (default: the default model)")
    serve.add_argument("--models-dir", help="the only folder reload requests may load models from")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-demo", action="store_true", help="do not mount the demo at /demo")
    serve.set_defaults(func=lambda a: _app("stance_service.app", "serve").main(a))
    return parser


def _app(module: str, extra: str):
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise StanceError(
            f"'stance {extra}' needs packages that are not installed ({exc.name}). "
            f"Fix: pip install 'stance[{extra}]'"
        ) from None


def cmd_train(args) -> int:
    from stance.cache import EmbeddingCache
    from stance.codebook import Codebook
    from stance.dataset import read_labeled
    from stance.metrics import format_table
    from stance.persistence import DEFAULT_MODEL_DIR, read_manifest
    from stance.training import TrainConfig, config_dict, data_summary, train
    from stance.tuning import TuningConfig

    codebook = (Codebook.load(args.codebook) if args.codebook
                else Codebook.from_dict(read_manifest(DEFAULT_MODEL_DIR).codebook))
    data = read_labeled(args.data, codebook)
    held_out = {Path(p).name: read_labeled(p, codebook) for p in args.held_out}
    config = TrainConfig(data=args.data, codebook=args.codebook, encoder=args.encoder, precision=args.precision,
                         C=args.C, threshold_beta=args.threshold_beta, cv=args.cv, folds=args.folds,
                         random_state=args.seed, held_out=args.held_out,
                         tuning=TuningConfig(epochs=args.tune_epochs, seed=args.seed) if args.tune else None)
    log.info("training on %d rows of %s (schemes: %s)", len(data), args.data,
             ", ".join(s.name for s in data.schemes))
    cache = None if args.no_cache else EmbeddingCache()
    with tempfile.TemporaryDirectory(prefix="stance-train-") as workdir:
        result = train(data, config.model(codebook), folds=args.folds, cache=cache, progress=True,
                       tuning=config.tuning, workdir=Path(workdir))
        report = _held_out_report(result, held_out)
        result.model.save(args.out, data=data_summary(data), metrics=report, training=config_dict(config))
    if result.report:
        print(f"Cross-validated ({args.folds} folds):")
        print(format_table(result.report))
    for name, held in report.get("held_out", {}).items():
        print(f"\nHeld out, {name}:")
        print(format_table(held))
    print(f"\nSaved to {args.out}", file=sys.stderr)
    return 0


def _held_out_report(result, held_out: dict) -> dict:
    from stance.metrics import evaluate_labels

    report = dict(result.report)
    if held_out:
        report["held_out"] = {}
        for name, held in held_out.items():
            predicted = result.model.predict_labels(held.texts, targets=held.targets if held.has_targets else None,
                                                    progress=True)
            report["held_out"][name] = evaluate_labels(held, predicted, result.model.schemes)
    report["seconds"] = {k: round(v, 2) for k, v in result.seconds.items()}
    return report


def cmd_evaluate(args) -> int:
    from stance.dataset import read_labeled
    from stance.metrics import evaluate_labels, format_table
    from stance.persistence import load_model

    model = load_model(args.model, precision=args.precision)
    data = read_labeled(args.data, model.codebook_)
    if not data.labels:
        print(json.dumps({"schemes": {}}))
        return 0
    predicted = model.predict_labels(data.texts, targets=data.targets if data.has_targets else None,
                                     progress=True)
    report = evaluate_labels(data, predicted, model.schemes)
    print(json.dumps(report, indent=2))
    if args.table:
        print(format_table(report), file=sys.stderr)
    return 0


def cmd_score(args) -> int:
    from tqdm.auto import tqdm

    from stance.article import split_paragraphs
    from stance.persistence import load_model
    from stance.records import iter_records, output_record

    model = load_model(args.model, precision=args.precision)
    records = iter_records(args.input)
    chunk = list(islice(records, SCORE_CHUNK))  # fail on a bad input before any output is opened
    with _output(args.output) as out, tqdm(desc="scoring", unit="para", file=sys.stderr) as bar:
        while chunk:
            items = []
            for record in chunk:
                paragraphs = ([(0, record["text"].strip())] if args.no_split
                              else [(p.index, p.text) for p in split_paragraphs(record["text"])])
                items.extend((record, index, text) for index, text in paragraphs if text)
            chunk = list(islice(records, SCORE_CHUNK))
            if not items:
                continue
            targets = [r.get("target") for r, _, _ in items]
            predictions = model.predict([t for _, _, t in items],
                                        targets if any(t is not None for t in targets) else None)
            for (record, index, text), prediction in zip(items, predictions, strict=True):
                out.write(json.dumps(output_record(record, index, text, prediction.to_dict()),
                                     ensure_ascii=False) + "\n")
            bar.update(len(items))
    return 0


def cmd_info(args) -> int:
    from stance.persistence import DEFAULT_MODEL_DIR, read_manifest

    manifest = read_manifest(args.model or DEFAULT_MODEL_DIR)
    print(json.dumps(manifest.model_dump(mode="json"), indent=2, ensure_ascii=False))
    return 0


class _output:
    """stdout, or a file written to a temporary name and renamed into place only when complete."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __enter__(self):
        if self.path == "-":
            self.handle = sys.stdout
            return self.handle
        target = Path(self.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-", suffix=".tmp")
        self.handle = os.fdopen(fd, "w", encoding="utf-8")
        return self.handle

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.path == "-":
            self.handle.flush()
            return
        self.handle.close()
        if exc_type is None:
            os.replace(self.tmp, self.path)
        else:
            Path(self.tmp).unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
