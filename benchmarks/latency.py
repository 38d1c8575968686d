"""Latency of one paragraph (Python API and HTTP) and the memory of a serving process.

    python benchmarks/latency.py                 # 200 requests each
    python benchmarks/latency.py --n 30          # the CI smoke form

In-process: `model.predict([paragraph])` one at a time, fp32 and bf16. HTTP: `POST /v1/score` with one
paragraph, sequentially, against `stance serve` started on a loopback port (no demo). Memory: the
server's resident set (VmRSS) after start-up and its peak (VmHWM) after the requests.
Targets: p50 <= 25 ms in-process; RSS <= 700 MB.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import corpus_texts, machine, machine_line, save, start_server, stop_server, table
from stance import load_model


def percentiles(seconds: list[float]) -> dict:
    ms = np.asarray(seconds) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 1), "p99_ms": round(float(np.percentile(ms, 99)), 1),
            "mean_ms": round(float(ms.mean()), 1)}


def memory(pid: int) -> dict:
    status = Path(f"/proc/{pid}/status").read_text()
    values = {line.split(":")[0]: int(line.split()[1]) for line in status.splitlines()
              if line.startswith(("VmRSS", "VmHWM"))}
    return {"rss_mb": round(values["VmRSS"] / 1024, 1), "peak_rss_mb": round(values["VmHWM"] / 1024, 1)}


def in_process(texts: list[str], precision: str, model_dir: str | None) -> dict:
    model = load_model(model_dir, precision=precision)
    for text in texts[:10]:
        model.predict([text])
    samples = []
    for text in texts:
        start = time.perf_counter()
        model.predict([text])
        samples.append(time.perf_counter() - start)
    return {"path": f"Python API ({model.encoder_.precision})", **percentiles(samples)}


def over_http(texts: list[str], model_dir: str | None) -> tuple[dict, dict]:
    server, url = start_server(["--no-demo", *(["--model", model_dir] if model_dir else [])])
    try:
        at_start = memory(server.pid)
        samples = []
        with httpx.Client(timeout=60) as client:
            for text in texts[:10]:
                client.post(f"{url}/v1/score", json={"texts": [text]})
            for text in texts:
                start = time.perf_counter()
                response = client.post(f"{url}/v1/score", json={"texts": [text]})
                samples.append(time.perf_counter() - start)
                response.raise_for_status()
        after = memory(server.pid)
    finally:
        stop_server(server)
    return ({"path": "HTTP POST /v1/score", **percentiles(samples)},
            {"rss_after_start_mb": at_start["rss_mb"], "rss_after_requests_mb": after["rss_mb"],
             "peak_rss_mb": after["peak_rss_mb"]})


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--model")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    texts = corpus_texts()[:: max(1, len(corpus_texts()) // args.n)][: args.n]
    rows = [in_process(texts, "fp32", args.model), in_process(texts, "auto", args.model)]
    http_row, mem = over_http(texts, args.model)
    rows.append(http_row)
    result = {"machine": machine(), "requests": len(texts),
              "mean_characters": round(float(np.mean([len(t) for t in texts])), 1), "latency": rows,
              "server_memory": mem}
    if args.json:
        print(json.dumps(result))
        return result
    print(machine_line())
    print(f"one paragraph per call, {len(texts)} calls, mean {result['mean_characters']:.0f} characters\n")
    print(table(rows))
    print(f"\nserving process (stance serve, no demo): RSS {mem['rss_after_start_mb']} MB after start-up, "
          f"{mem['rss_after_requests_mb']} MB after the requests, peak {mem['peak_rss_mb']} MB")
    print(f"saved {save('latency', result)}")
    return result


if __name__ == "__main__":
    main()
