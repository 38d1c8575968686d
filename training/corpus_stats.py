"""Composition of the labeled corpus, as the data card reports it.

    python training/corpus_stats.py            # tables for train, test and articles
    python training/corpus_stats.py --json     # the same as JSON
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
FRAMES = ["security_balancing", "influence_expansion", "domestic_unrest_denial"]
SPLITS = {"train": "train.jsonl", "test": "test.jsonl", "articles": "articles.jsonl"}


def stats(rows: list[dict]) -> dict:
    n = len(rows)
    no_frame = [r for r in rows if not r["frame"]]
    pairs = Counter(r.get("pair", "?") for r in rows)
    on_topic = sum(1 for r in no_frame if r.get("pair", "none") != "none")
    return {
        "paragraphs": n,
        "frame": {label: sum(label in r["frame"] for r in rows) for label in FRAMES},
        "no_frame": len(no_frame),
        "no_frame_share": round(len(no_frame) / n, 3),
        "no_frame_on_topic_share": round(on_topic / len(no_frame), 3) if no_frame else 0.0,
        "two_or_more_frames": sum(len(r["frame"]) >= 2 for r in rows),
        "stance": dict(Counter(r["stance"] for r in rows).most_common()),
        "kind": dict(Counter(r.get("kind", "?") for r in rows).most_common()),
        "hard_negatives": sum(r.get("kind") == "hard_negative" for r in rows),
        "genres": dict(Counter(r.get("genre", "?") for r in rows).most_common()),
        "pairs": len([p for p in pairs if p not in ("none", "?")]),
        "largest_pair": max(((p, c) for p, c in pairs.items() if p not in ("none", "?")), key=lambda x: x[1],
                            default=("", 0)),
        "largest_pair_share": round(max((c for p, c in pairs.items() if p not in ("none", "?")), default=0) / n, 3),
        "articles": len({r["article"] for r in rows if "article" in r}),
        "sentences_1": sum(1 for r in rows if _sentences(r["text"]) == 1),
        "sentences_5_plus": sum(1 for r in rows if _sentences(r["text"]) >= 5),
    }


def _sentences(text: str) -> int:
    import re

    return max(1, len(re.findall(r"[.!?][\"'”’)]*(\s|$)", text)))


def load(split: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / SPLITS[split]).read_text(encoding="utf-8").splitlines() if line]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = {split: stats(load(split)) for split in SPLITS}
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return
    keys = [k for k in result["train"] if not isinstance(result["train"][k], dict)]
    print(f"| {'':<26} | " + " | ".join(f"{s:>12}" for s in SPLITS) + " |")
    print("|" + "-" * 28 + "|" + "|".join("-" * 14 for _ in SPLITS) + "|")
    for key in keys:
        print(f"| {key:<26} | " + " | ".join(f"{result[s][key]!s:>12}" for s in SPLITS) + " |")
    for group in ("frame", "stance", "kind", "genres"):
        labels = sorted({label for s in SPLITS for label in result[s][group]})
        for label in labels:
            print(f"| {group + ': ' + label:<26} | " + " | ".join(f"{result[s][group].get(label, 0):>12}" for s in SPLITS)
                  + " |")


if __name__ == "__main__":
    main()
