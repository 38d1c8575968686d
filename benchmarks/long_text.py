"""Texts longer than the encoder's window: the windows policy against silent truncation.

    python benchmarks/long_text.py               # 150 long texts
    python benchmarks/long_text.py --n 20        # the CI smoke form

Each long text is eight to twelve unframed paragraphs followed by one framed paragraph (from
data/articles.jsonl), so its frame sits past the encoder's 256-token window. Truncation (what
sentence-transformers does by default) never sees it; stance's policy encodes sentence windows and
mean-pools them (weighted by tokens). Reported: the cost of each, and how often the final paragraph's
frame is still found.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, machine, machine_line, save, table
from stance import load_model


def long_texts(n: int, seed: int = 0) -> tuple[list[str], list[list[str]]]:
    rows = [json.loads(line) for line in (ROOT / "data" / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    framed = [r for r in rows if r["frame"]]
    plain = [r["text"] for r in rows if not r["frame"]]
    rng = random.Random(seed)
    texts, frames = [], []
    for _ in range(n):
        last = rng.choice(framed)
        texts.append(" ".join([*rng.sample(plain, rng.randint(8, 12)), last["text"]]))
        frames.append(last["frame"])
    return texts, frames


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=150)
    parser.add_argument("--model")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    model = load_model(args.model)
    encoder = model.encoder_
    texts, frames = long_texts(args.n)
    tokens = encoder.backend.count_tokens(texts)
    st = encoder.backend._model
    model.predict(texts[:4])
    start = time.perf_counter()
    truncated = st.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True,
                          show_progress_bar=False)
    t_truncate = time.perf_counter() - start
    start = time.perf_counter()
    windowed = encoder.encode(texts)
    t_windows = time.perf_counter() - start
    rows = []
    for name, embeddings, seconds in (("truncate at the window", truncated, t_truncate),
                                      ("sentence windows, mean-pooled", windowed, t_windows)):
        predictions = model.predict_embeddings(np.asarray(embeddings, dtype=np.float32))
        found = np.mean([all(label in p.labels["frame"] for label in f) for p, f in zip(predictions, frames,
                                                                                      strict=True)])
        rows.append({"policy": name, "seconds": round(seconds, 2), "texts/s": round(len(texts) / seconds, 1),
                     "final paragraph's frame found": round(float(found), 3)})
    result = {"machine": machine(), "texts": len(texts), "mean_tokens": round(float(np.mean(tokens)), 1),
              "window_tokens": encoder.backend.max_tokens, "rows": rows,
              "cost_ratio_windows_vs_truncate": round(t_windows / t_truncate, 2)}
    if args.json:
        print(json.dumps(result))
        return result
    print(machine_line())
    print(f"{len(texts)} texts of {result['mean_tokens']:.0f} tokens on average (window {result['window_tokens']})\n")
    print(table(rows))
    print(f"\nwindows cost {result['cost_ratio_windows_vs_truncate']}x truncation; saved {save('long_text', result)}")
    return result


if __name__ == "__main__":
    main()
