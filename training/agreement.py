"""Inter-annotator agreement between the corpus labels and the blind second pass.

    python training/agreement.py            # table of Cohen's kappa per label, per split

The second annotator saw only the text (data/annotation/second_pass.jsonl); this script joins the
two by id and reports, per frame label (present/absent) and for stance, Cohen's kappa and raw
agreement. Agreement is measured on the first pass as it was before adjudication: rows changed in
adjudication (data/annotation/adjudication.jsonl) are compared with their labels before the change.
Disagreements are listed with --disagreements. The boundary batch (ids b1-, b2-: on-topic substance
next to the `influence_expansion` idea) and the second article batch (ids c1- to c8-) were labeled twice
in full, so they are reported apart from the random draw over the rest of the training corpus.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

DATA = Path(__file__).resolve().parent.parent / "data"
FRAMES = ["security_balancing", "influence_expansion", "domestic_unrest_denial"]
BOUNDARY = ("b1-", "b2-")
ARTICLES_2 = tuple(f"c{k}-" for k in range(1, 9))
GROUPS = {  # name: (split file, which of its ids)
    "train": ("train", lambda i: not i.startswith(BOUNDARY + ARTICLES_2)),
    "train, boundary batch": ("train", lambda i: i.startswith(BOUNDARY)),
    "train, article batch 2": ("train", lambda i: i.startswith(ARTICLES_2)),
    "test": ("test", lambda i: True),
}


def load(path: Path) -> dict[str, dict]:
    return {row["id"]: row for row in map(json.loads, path.read_text(encoding="utf-8").splitlines()) if row}


def agreement(first: dict[str, dict], second: dict[str, dict]) -> dict:
    ids = [i for i in second if i in first]
    table = {}
    for label in FRAMES:
        a = [label in first[i]["frame"] for i in ids]
        b = [label in second[i]["frame"] for i in ids]
        table[label] = (cohen_kappa_score(a, b), sum(x == y for x, y in zip(a, b, strict=True)) / len(ids))
    a = [not first[i]["frame"] for i in ids]
    b = [not second[i]["frame"] for i in ids]
    table["(no frame)"] = (cohen_kappa_score(a, b), sum(x == y for x, y in zip(a, b, strict=True)) / len(ids))
    a = [first[i]["stance"] for i in ids]
    b = [second[i]["stance"] for i in ids]
    table["stance"] = (cohen_kappa_score(a, b), sum(x == y for x, y in zip(a, b, strict=True)) / len(ids))
    return {"n": len(ids), "table": table, "ids": ids}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--disagreements", action="store_true", help="list rows where the passes differ")
    args = parser.parse_args()
    second = load(DATA / "annotation" / "second_pass.jsonl")
    adjudicated = load(DATA / "annotation" / "adjudication.jsonl")
    for group, (split, wanted) in GROUPS.items():
        first = {i: row for i, row in load(DATA / f"{split}.jsonl").items() if wanted(i)}
        for row_id, change in adjudicated.items():
            if row_id in first:
                first[row_id] = {**first[row_id], **change["before"]}
        if not first.keys() & second.keys():
            continue
        result = agreement(first, second)
        print(f"{group}: {result['n']} paragraphs labeled twice")
        print(f"  {'label':<26}{'kappa':>8}{'agree':>8}")
        for label, (kappa, agree) in result["table"].items():
            print(f"  {label:<26}{kappa:>8.2f}{agree:>8.1%}")
        if args.disagreements:
            for i in result["ids"]:
                a, b = first[i], second[i]
                if set(a["frame"]) != set(b["frame"]) or a["stance"] != b["stance"]:
                    print(f"    {i}: first {a['frame']} {a['stance']} | second {b['frame']} {b['stance']}"
                          f"  {b.get('note', '')}")


if __name__ == "__main__":
    main()
