"""A rough roofline: the encoder's FLOPs per paragraph against what this CPU's matmul units deliver.

    python benchmarks/roofline.py

Peak is measured, not taken from a datasheet: the best of a few large square matmuls in torch, in fp32
and bf16, on the threads torch uses. Work per paragraph is counted from the model's shape (all-MiniLM-L6-v2:
6 layers, hidden 384, feed-forward 1,536) at the corpus's mean token count, including attention's T²
terms. Achieved = paragraphs/s (from benchmarks/results/throughput.json when present, else measured here)
x FLOPs per paragraph.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import RESULTS, corpus_texts, machine, machine_line, save, table
from stance import load_model


def matmul_peak(dtype, size: int = 2048, repeats: int = 5) -> float:
    import torch

    a = torch.randn(size, size).to(dtype)
    b = torch.randn(size, size).to(dtype)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def flops_per_paragraph(tokens: float, layers: int, hidden: int, ffn: int) -> float:
    per_layer = (4 * 2 * tokens * hidden * hidden      # Q, K, V and output projections
                 + 2 * 2 * tokens * tokens * hidden     # attention scores and weighted sum
                 + 2 * 2 * tokens * hidden * ffn)       # feed-forward up and down
    return layers * per_layer


def main(argv: list[str] | None = None) -> dict:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    model = load_model(args.model)
    config = model.encoder_.backend._model[0].model.config
    texts = corpus_texts()
    tokens = float(np.mean(model.encoder_.backend.count_tokens(texts)))
    work = flops_per_paragraph(tokens, config.num_hidden_layers, config.hidden_size, config.intermediate_size)
    measured = RESULTS / "throughput.json"
    if measured.exists():
        rates = json.loads(measured.read_text())["paragraphs_per_s"]
    else:
        rates = {}
        for precision in ("fp32", "bf16"):
            m = load_model(args.model, precision=precision)
            m.predict(texts[:32])
            start = time.perf_counter()
            m.predict(texts[:500])
            rates[f"stance {precision}"] = 500 / (time.perf_counter() - start)
    peaks = {"fp32": matmul_peak(torch.float32), "bf16": matmul_peak(torch.bfloat16)}
    rows = []
    for precision in ("fp32", "bf16"):
        rate = rates.get(f"stance {precision}")
        if rate is None:
            continue
        achieved = rate * work / 1e9
        rows.append({"precision": precision, "paragraphs/s": round(rate, 1), "achieved GFLOP/s": round(achieved, 1),
                     "matmul peak GFLOP/s": round(peaks[precision], 1),
                     "share of peak": round(achieved / peaks[precision], 3)})
    result = {"machine": machine(), "mean_tokens": round(tokens, 1), "gflop_per_paragraph": round(work / 1e9, 3),
              "rows": rows}
    if args.json:
        print(json.dumps(result))
        return result
    print(machine_line())
    print(f"all-MiniLM-L6-v2 at {tokens:.0f} tokens: {work / 1e9:.2f} GFLOP per paragraph\n")
    print(table(rows))
    print(f"\nsaved {save('roofline', result)}")
    return result


if __name__ == "__main__":
    main()
