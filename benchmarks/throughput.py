"""Scoring throughput: the pipeline against the raw encoder, fp32 against bf16, and `stance score`.

    python benchmarks/throughput.py              # all paragraphs in data/ (2,668), 3 rounds
    python benchmarks/throughput.py --n 500 --rounds 1      # the CI smoke form

In one process and one run, alternating variants each round (the machine is shared and noisy):
raw `SentenceTransformer.encode` (all-MiniLM-L6-v2 as sentence-transformers loads it, batch 32),
then `model.predict` on the same texts, in fp32 and in bf16. Ratios are paired per round; absolute
paragraphs/s stand beside them. Then the labels of bf16 are compared with fp32 (identical label
sets, largest probability difference), and `stance score` is timed as a whole process against a
one-paragraph run (the difference is the scoring time).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import corpus_texts, machine, machine_line, save, table
from stance import load_model


def vanilla_encoder(precision: str):
    """all-MiniLM-L6-v2 exactly as sentence-transformers loads it (same shape and cost as stance's)."""
    import torch
    from sentence_transformers import SentenceTransformer

    from stance.encoder import packaged_model_path

    st = SentenceTransformer(str(packaged_model_path()), device="cpu")
    return st.to(torch.bfloat16) if precision == "bf16" else st


def raw_encode(st, texts: list[str], batch_size: int = 32) -> float:
    """Seconds for sentence-transformers' own encode, with its defaults (no stance code)."""
    start = time.perf_counter()
    st.encode(texts, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True,
              show_progress_bar=False)
    return time.perf_counter() - start


def pipeline(model, texts: list[str]) -> tuple[float, list]:
    start = time.perf_counter()
    predictions = model.predict(texts)
    return time.perf_counter() - start, predictions


def agreement(fp32: list, other: list, schemes) -> dict:
    same = [all(a.labels[s.name] == b.labels[s.name] for s in schemes) for a, b in zip(fp32, other, strict=True)]
    diffs = [abs(a.scores[s.name][label] - b.scores[s.name][label])
             for a, b in zip(fp32, other, strict=True) for s in schemes for label in s.label_names]
    return {"identical_labels": float(np.mean(same)), "max_probability_difference": float(max(diffs)),
            "mean_probability_difference": float(np.mean(diffs))}


def cli_seconds(texts: list[str], model_dir: str | None) -> dict:
    """Wall time of `stance score` on all texts and on one; their difference is the scoring time."""
    with tempfile.TemporaryDirectory() as tmp:
        full, one = Path(tmp) / "all.jsonl", Path(tmp) / "one.jsonl"
        full.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts)))
        one.write_text(json.dumps({"id": "0", "text": texts[0]}) + "\n")
        times = {}
        for name, path in (("one", one), ("all", full)):
            command = [sys.executable, "-m", "stance.cli", "-q", "score", "--no-split", "--input", str(path),
                       "--output", str(Path(tmp) / f"{name}.out")]
            if model_dir:
                command += ["--model", model_dir]
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times[name] = time.perf_counter() - start
    scoring = times["all"] - times["one"]
    return {"process_seconds": round(times["all"], 2), "startup_seconds": round(times["one"], 2),
            "paragraphs_per_s": round((len(texts) - 1) / scoring, 1)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model directory (default: the default model)")
    parser.add_argument("--n", type=int, help="number of paragraphs (default: all in data/)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-cli", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    texts = corpus_texts(args.n)
    models = {p: load_model(args.model, precision=p) for p in ("fp32", "bf16")}
    raw = {p: vanilla_encoder(p) for p in models}
    for precision, model in models.items():  # warm-up: load weights, allocate, first kernels
        model.predict(texts[:64])
        raw_encode(raw[precision], texts[:64])
    samples: dict[str, list[float]] = {}
    predictions = {}
    for _ in range(args.rounds):
        for precision, model in models.items():
            samples.setdefault(f"raw {precision}", []).append(raw_encode(raw[precision], texts))
            seconds, predictions[precision] = pipeline(model, texts)
            samples.setdefault(f"stance {precision}", []).append(seconds)
    rate = {k: len(texts) / statistics.median(v) for k, v in samples.items()}
    ratios = {
        "stance/raw fp32": statistics.median(r / p for r, p in zip(samples["raw fp32"], samples["stance fp32"],
                                                                    strict=True)),
        "stance/raw bf16": statistics.median(r / p for r, p in zip(samples["raw bf16"], samples["stance bf16"],
                                                                    strict=True)),
        "bf16/fp32 (stance)": statistics.median(a / b for a, b in zip(samples["stance fp32"], samples["stance bf16"],
                                                                       strict=True)),
    }
    result = {
        "machine": machine(),
        "paragraphs": len(texts),
        "mean_characters": round(float(np.mean([len(t) for t in texts])), 1),
        "rounds": args.rounds,
        "paragraphs_per_s": {k: round(v, 1) for k, v in rate.items()},
        "ratios": {k: round(v, 3) for k, v in ratios.items()},
        "bf16_vs_fp32": agreement(predictions["fp32"], predictions["bf16"], models["fp32"].schemes),
    }
    if not args.no_cli:
        result["stance_score_cli"] = cli_seconds(texts, args.model)
    if args.json:
        print(json.dumps(result))
        return result
    print(machine_line())
    print(f"{len(texts)} paragraphs, mean {result['mean_characters']:.0f} characters, median of {args.rounds} rounds\n")
    print(table([{"variant": k, "paragraphs/s": v} for k, v in result["paragraphs_per_s"].items()]))
    print()
    print(table([{"ratio": k, "value": v} for k, v in result["ratios"].items()]))
    print()
    a = result["bf16_vs_fp32"]
    print(f"bf16 vs fp32: {a['identical_labels']:.2%} identical label sets, max probability difference "
          f"{a['max_probability_difference']:.4f} (mean {a['mean_probability_difference']:.5f})")
    if "stance_score_cli" in result:
        c = result["stance_score_cli"]
        print(f"stance score (whole process): {c['paragraphs_per_s']} paragraphs/s after {c['startup_seconds']} s "
              "start-up")
    print(f"\nsaved {save('throughput', result)}")
    return result


if __name__ == "__main__":
    main()
