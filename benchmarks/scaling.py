"""Scaling: throughput against batch size and text length, training time against corpus size; plots.

    python benchmarks/scaling.py                 # writes benchmarks/results/scaling_*.png
    python benchmarks/scaling.py --quick         # the CI smoke form

Throughput is `model.predict` paragraphs/s on corpus paragraphs; the length buckets cut the corpus
paragraphs to a fixed number of words. Training time is the heads' fit (thresholds tuned by
cross-validation inside) on embeddings already computed: corpora larger than the 2,094 training
paragraphs are drawn with replacement from them, with a little noise so no two rows are identical.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import RESULTS, ROOT, corpus_texts, machine, machine_line, save, table
from stance import Codebook, LabeledData, load_model, read_labeled
from stance.cache import EmbeddingCache


def throughput_by_batch(model, texts, sizes) -> list[dict]:
    encoder = model.encoder_
    rows = []
    for size in sizes:
        encoder.batch_size = size
        start = time.perf_counter()
        model.predict(texts)
        rows.append({"batch size": size, "paragraphs/s": round(len(texts) / (time.perf_counter() - start), 1)})
    encoder.batch_size = 32
    return rows


def throughput_by_length(model, texts, words) -> list[dict]:
    rows = []
    for n in words:
        cut = [" ".join(t.split()[:n]) for t in texts if len(t.split()) >= n] or texts
        tokens = float(np.mean(model.encoder_.backend.count_tokens(cut)))
        start = time.perf_counter()
        model.predict(cut)
        rows.append({"words": n, "tokens": round(tokens, 1),
                     "paragraphs/s": round(len(cut) / (time.perf_counter() - start), 1)})
    return rows


def training_time(model, data: LabeledData, embeddings: np.ndarray, sizes, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for size in sizes:
        pick = rng.choice(len(data), size=size, replace=size > len(data))
        sample = data.subset(pick)
        sample.texts = [f"{t} #{i}" for i, t in enumerate(sample.texts)]
        noisy = embeddings[pick] + rng.normal(scale=0.01, size=(size, embeddings.shape[1])).astype(np.float32)
        start = time.perf_counter()
        type(model)(**{**model.get_params(), "codebook": data.codebook}).fit_embeddings(noisy, sample)
        rows.append({"paragraphs": size, "fit seconds": round(time.perf_counter() - start, 2)})
    return rows


def plot(rows: list[dict], x: str, y: str, title: str, path: Path, logx: bool = False) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.4), dpi=110)
    ax.plot([r[x] for r in rows], [r[y] for r in rows], marker="o")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(title, fontsize=10)
    if logx:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    model = load_model(args.model)
    texts = corpus_texts()[:: 3 if args.quick else 1][: 200 if args.quick else 1000]
    model.predict(texts[:32])
    batch_sizes = [1, 8, 32] if args.quick else [1, 4, 8, 16, 32, 64, 128]
    lengths = [16, 64] if args.quick else [8, 16, 32, 64, 96, 128]
    corpus_sizes = [100, 300] if args.quick else [100, 300, 1000, 3000, 10000]
    codebook = Codebook.load(ROOT / "data" / "codebook.json")
    data = read_labeled(ROOT / "data" / "train.jsonl", codebook)
    embeddings = model.embed(data.texts, cache=EmbeddingCache())
    result = {
        "machine": machine(),
        "precision": model.encoder_.precision,
        "by_batch_size": throughput_by_batch(model, texts, batch_sizes),
        "by_length": throughput_by_length(model, texts, lengths),
        "training_time": training_time(model, data, embeddings, corpus_sizes),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    plot(result["by_batch_size"], "batch size", "paragraphs/s", "Throughput against batch size",
         RESULTS / "scaling_batch.png")
    plot(result["by_length"], "tokens", "paragraphs/s", "Throughput against paragraph length",
         RESULTS / "scaling_length.png")
    plot(result["training_time"], "paragraphs", "fit seconds", "Heads' training time against corpus size",
         RESULTS / "scaling_training.png", logx=True)
    if args.json:
        print(json.dumps(result))
        return result
    print(machine_line())
    print(f"precision {result['precision']}, {len(texts)} paragraphs\n")
    for key in ("by_batch_size", "by_length", "training_time"):
        print(table(result[key]))
        print()
    print(f"plots in {RESULTS}; saved {save('scaling', result)}")
    return result


if __name__ == "__main__":
    main()
