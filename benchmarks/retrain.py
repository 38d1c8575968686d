"""Retraining time: cold (encode everything) against warm (embeddings from the on-disk cache).

    python benchmarks/retrain.py                 # 1,000 training paragraphs
    python benchmarks/retrain.py --n 300         # the CI smoke form

Measures, in one run: the cold fit (empty cache: encode + fit), the warm fit (cache filled: look-ups +
fit, thresholds tuned by cross-validation inside), and the warm fit with the 5-fold cross-validated
report the demo's retrain button shows. Target: warm fit on 1,000 paragraphs in 2 s or less.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, machine, machine_line, save, table
from stance import Codebook, read_labeled
from stance.cache import EmbeddingCache
from stance.persistence import load_model
from stance.training import train


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--model", help="model whose encoder and settings to use (default: the default model)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    codebook = Codebook.load(ROOT / "data" / "codebook.json")
    data = read_labeled(ROOT / "data" / "train.jsonl", codebook)
    data = data.subset(range(0, len(data), max(1, len(data) // args.n))[: args.n])
    template = load_model(args.model)
    params = template.get_params()
    params["codebook"] = codebook
    template.predict(["warm-up"])  # load the encoder outside the timings
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = EmbeddingCache(Path(tmp) / "cache.sqlite")
        for label, folds in (("cold: encode + fit", 1), ("warm: cached + fit", 1), ("warm: cached + fit + 5-fold CV", 5)):
            start = time.perf_counter()
            result = train(data, type(template)(**params), folds=folds, cache=cache, progress=False)
            total = time.perf_counter() - start
            rows.append({"run": label, "seconds": round(total, 2),
                         "encode/look-up s": round(result.seconds["encode"], 2),
                         "fit s": round(result.seconds["fit"], 2),
                         "cv s": round(result.seconds.get("cross_validate", 0.0), 2)})
    result = {"machine": machine(), "paragraphs": len(data), "runs": rows,
              "speed_up_warm_vs_cold": round(rows[0]["seconds"] / rows[1]["seconds"], 1)}
    if args.json:
        print(json.dumps(result))
        return result
    print(machine_line())
    print(f"{len(data)} labeled paragraphs, encoder {template.encoder} ({template.encoder_.precision})\n")
    print(table(rows))
    print(f"\nwarm retrain is {result['speed_up_warm_vs_cold']}x faster than cold; saved {save('retrain', result)}")
    return result


if __name__ == "__main__":
    main()
