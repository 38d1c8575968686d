"""Archive scale: one process against Ray (2 actors) on this machine, memory against input size, and
the plan for 100 million paragraphs.

    python benchmarks/archive.py                 # 4,000 paragraphs per engine; memory at 1k/5k/20k
    python benchmarks/archive.py --quick         # a short form

Input: copies of the corpus paragraphs as records in four Parquet shards, each with an id (the Ray engine
needs one). Both engines score the same shards with the same model in the same run; the ratio is
Ray/local. Memory is the peak resident set (ru_maxrss) of a `stance score` child process.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import child_run, corpus_texts, machine, machine_line, save, table


def make_shards(folder: Path, n: int, shards: int = 4) -> Path:
    texts = corpus_texts()
    rows = [{"id": f"p{i}", "text": texts[i % len(texts)] + ("" if i < len(texts) else f" ({i})"),
             "outlet": f"outlet-{i % 5}"} for i in range(n)]
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(shards):
        pq.write_table(pa.Table.from_pylist(rows[k::shards]), folder / f"shard-{k}.parquet")
    return folder


def score(source: Path, out: Path, engine: str, model: str | None, extra: list[str] = ()) -> tuple[float, float]:
    command = [sys.executable, "-m", "stance.cli", "-q", "score", "--no-split", "--input", str(source), "--output",
               str(out), "--engine", engine, *extra]
    return child_run(command + (["--model", model] if model else []))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    n = 800 if args.quick else 4000
    sizes = (500, 2000) if args.quick else (1000, 5000, 20000)
    result: dict = {"machine": machine(), "paragraphs": n}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        source = make_shards(tmp / "in", n)
        empty = make_shards(tmp / "one", 4)
        engines = []
        for engine, extra in (("local", []), ("ray", ["--actors", "2"])):
            start_s, _ = score(empty, tmp / f"{engine}-warm", engine, args.model, extra)
            seconds, rss = score(source, tmp / f"{engine}-out", engine, args.model, extra)
            engines.append({"engine": f"{engine}" + (" (2 actors)" if engine == "ray" else " (one process)"),
                            "wall s": round(seconds, 1), "start-up s": round(start_s, 1),
                            "paragraphs/s incl. start-up": round(n / seconds, 1),
                            "paragraphs/s excl. start-up": round(n / max(seconds - start_s, 1e-9), 1),
                            "peak RSS MB (driver)": round(rss)})
        result["engines"] = engines
        result["ray_vs_local"] = round(engines[1]["paragraphs/s excl. start-up"]
                                       / engines[0]["paragraphs/s excl. start-up"], 2)
        memory = []
        for size in sizes:
            source = make_shards(tmp / f"m{size}", size)
            seconds, rss = score(source, tmp / f"m{size}-out", "local", args.model, ["--chunk-records", "500"])
            memory.append({"paragraphs": size, "wall s": round(seconds, 1), "peak RSS MB": round(rss)})
        result["memory"] = memory
    rate = engines[0]["paragraphs/s excl. start-up"]
    per_core = rate / (machine()["cores"] or 1)
    hours_one_node = 100e6 / rate / 3600
    result["plan"] = {
        "paragraphs_per_s_per_core": round(per_core, 1),
        "hours_for_100M_on_this_machine": round(hours_one_node, 1),
        "nodes_of_this_kind_for_100M_in_24h": int(-(-hours_one_node // 24)),
        "cores_for_100M_in_24h": int(-(-100e6 / (per_core * 24 * 3600) // 1)),
    }
    if args.json:
        print(json.dumps(result))
        return result
    print(machine_line())
    print(f"{n} paragraphs in 4 Parquet shards; both engines in one run\n")
    print(table(engines))
    print(f"\nRay (2 actors) / one process: {result['ray_vs_local']}x\n")
    print(table(memory))
    p = result["plan"]
    print(f"\nPlan for 100 million paragraphs: {p['paragraphs_per_s_per_core']} paragraphs/s per core here, so "
          f"{p['hours_for_100M_on_this_machine']} h on this 2-core machine, {p['nodes_of_this_kind_for_100M_in_24h']} "
          f"such nodes (or {p['cores_for_100M_in_24h']} cores) to finish in 24 h.")
    print(f"saved {save('archive', result)}")
    return result


if __name__ == "__main__":
    main()
