"""`stance` command line: train, evaluate, score, info, and the demo and service launchers.

Data goes to stdout, logs and progress bars to stderr; a user's mistake prints one line and exits 2.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
import tempfile
from pathlib import Path

from stance.errors import StanceError
from stance.tuning import TuningConfig

log = logging.getLogger("stance")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("sentence_transformers", "transformers", "httpx", "urllib3", "matplotlib", "ray"):
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
    train.add_argument("--prevalence-from", metavar="PATH",
                       help="labeled data composed like the text to be scored: multi-label thresholds are chosen "
                            "for its share of each label instead of the training share")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--held-out", action="append", default=[], metavar="PATH",
                       help="labeled data to evaluate on after training (repeatable); never trained on")
    train.add_argument("--no-cache", action="store_true", help="do not use the on-disk embedding cache")
    train.add_argument("--tune", action="store_true",
                       help="first adapt the encoder with a LoRA adapter (minutes; stronger; needs peft)")
    train.add_argument("--tune-epochs", type=int, default=TuningConfig.epochs,
                       help=f"epochs of encoder tuning with --tune (default {TuningConfig.epochs})")
    train.add_argument("--threshold-folds", type=int, default=0, metavar="K",
                       help="with --tune: choose thresholds on scores of K adapters each tuned without the rows "
                            "it scores (K extra tunings; for small data an adapter can memorise)")
    train.set_defaults(func=cmd_train)

    evaluate = sub.add_parser("evaluate", help="metrics of a model on labeled data, as JSON")
    evaluate.add_argument("--model", help="model directory (default: the default model)")
    evaluate.add_argument("--data", required=True, help="labeled JSONL or CSV")
    evaluate.add_argument("--precision", choices=["auto", "fp32", "bf16"])
    evaluate.add_argument("--table", action="store_true", help="also print a table on stderr")
    evaluate.set_defaults(func=cmd_evaluate)

    score = sub.add_parser("score", help="label every paragraph of the input articles, as JSONL")
    score.add_argument("--model", help="model directory (default: the default model)")
    score.add_argument("--input", required=True,
                       help="a .txt article, .jsonl/.csv/.parquet with 'text', a folder of such shards, or -")
    score.add_argument("--output", default="-",
                       help="a .jsonl or .parquet file, a folder (one part file per chunk), or - for stdout; "
                            "rerunning an interrupted job resumes it")
    score.add_argument("--format", choices=["jsonl", "parquet"], help="part format for folder output")
    score.add_argument("--no-split", action="store_true", help="score each text as one paragraph")
    score.add_argument("--precision", choices=["auto", "fp32", "bf16"])
    score.add_argument("--chunk-records", type=int, default=1000, help="records per chunk (the unit of resuming)")
    score.add_argument("--engine", choices=["local", "ray"], default="local",
                       help="ray: run as a Ray Data pipeline (pip install 'stance[ray]')")
    score.add_argument("--address", help="Ray cluster address (default: RAY_ADDRESS, else a local Ray)")
    score.add_argument("--actors", type=int, default=2, help="Ray actors, each holding one model")
    score.add_argument("--batch-size", type=int, default=256, help="paragraphs per Ray batch")
    score.set_defaults(func=cmd_score)

    aggregate = sub.add_parser("aggregate", help="share of paragraphs per label, per group (outlet, month, ...)")
    aggregate.add_argument("--input", required=True, help="scored output: a .jsonl/.parquet file or a folder of parts")
    aggregate.add_argument("--by", required=True, help="comma-separated columns; 'month' is derived from --date-column")
    aggregate.add_argument("--date-column", default="date")
    aggregate.add_argument("--output", default="-", help="CSV file, or - for stdout")
    aggregate.add_argument("--plot", help="also draw the shares of one scheme's labels to this PNG")
    aggregate.add_argument("--scheme", help="the scheme to plot (default: the first)")
    aggregate.set_defaults(func=cmd_aggregate)

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

    codebook = (Codebook.load(args.codebook) if args.codebook
                else Codebook.from_dict(read_manifest(DEFAULT_MODEL_DIR).codebook))
    data = read_labeled(args.data, codebook)
    held_out = {Path(p).name: read_labeled(p, codebook) for p in args.held_out}
    prevalence = read_labeled(args.prevalence_from, codebook).label_shares() if args.prevalence_from else None
    config = TrainConfig(data=args.data, codebook=args.codebook, encoder=args.encoder, precision=args.precision,
                         C=args.C, threshold_beta=args.threshold_beta, cv=args.cv, folds=args.folds,
                         random_state=args.seed, held_out=args.held_out,
                         tuning=TuningConfig(epochs=args.tune_epochs, seed=args.seed) if args.tune else None,
                         threshold_folds=args.threshold_folds, prevalence_from=args.prevalence_from,
                         label_prevalence=prevalence)
    log.info("training on %d rows of %s (schemes: %s)", len(data), args.data,
             ", ".join(s.name for s in data.schemes))
    cache = None if args.no_cache else EmbeddingCache()
    with tempfile.TemporaryDirectory(prefix="stance-train-") as workdir:
        result = train(data, config.model(codebook), folds=args.folds, cache=cache, progress=True,
                       tuning=config.tuning, threshold_folds=config.threshold_folds, workdir=Path(workdir))
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
    from stance.persistence import DEFAULT_MODEL_DIR, load_model
    from stance.records import iter_records

    if args.engine == "ray":
        from stance.distributed import score_with_ray

        stats = score_with_ray(args.model or str(DEFAULT_MODEL_DIR), args.input, args.output, split=not args.no_split,
                               precision=args.precision, address=args.address, actors=args.actors,
                               batch_size=args.batch_size)
        log.info("ray: %s", stats)
        return 0
    from stance.scoring import ScoreJob

    model = load_model(args.model, precision=args.precision)
    if args.input != "-":
        next(iter_records(args.input), None)  # fail on a missing or unreadable input before writing anything
    ScoreJob(model, args.input, args.output, split=not args.no_split, chunk_records=args.chunk_records,
             output_format=args.format, progress=not args.quiet).run()
    return 0


def cmd_aggregate(args) -> int:
    from stance.aggregate import parse_by, plot, summarise, write_csv
    from stance.scoring import read_scored

    by = parse_by(args.by)
    table = summarise(read_scored(args.input), by, args.date_column)
    write_csv(table, args.output)
    if args.plot:
        plot(table, by, args.plot, args.scheme)
    return 0


def cmd_info(args) -> int:
    from stance.persistence import DEFAULT_MODEL_DIR, read_manifest

    manifest = read_manifest(args.model or DEFAULT_MODEL_DIR)
    print(json.dumps(manifest.model_dump(mode="json"), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
