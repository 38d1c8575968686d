"""Load test of the HTTP service on loopback: throughput, latency percentiles and status codes.

    python benchmarks/load.py                                # 2,000 requests, 16 concurrent, own server
    python benchmarks/load.py --requests 200 --concurrency 8 --reload-at 0.5    # the CI form
    python benchmarks/load.py --url http://127.0.0.1:8000    # against a running server

Requests mix sizes: one paragraph, a batch of eight, a whole article, and one long paragraph. With
`--reload-at F` a model reload is sent when a fraction F of the requests is done (the benchmark then
starts its server with a models directory and a token) and every request must still succeed.
Bounded in count and time; targets loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, machine, start_server, stop_server

TOKEN = "load-test-token"


def bodies(seed: int = 0) -> list[tuple[str, dict, int]]:
    """(kind, JSON body, paragraphs) for the request mix, built from the repository's articles."""
    rows = [json.loads(line) for line in (ROOT / "data" / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    rng = random.Random(seed)
    paragraphs = [row["text"] for row in rows]
    by_article: dict[str, list[str]] = {}
    for row in rows:
        by_article.setdefault(row["article"], []).append(row["text"])
    articles = ["\n\n".join(texts) for texts in by_article.values()]
    mix = []
    for _ in range(64):
        kind = rng.choices(["one", "batch", "article", "long"], weights=[5, 3, 2, 1])[0]
        if kind == "one":
            mix.append((kind, {"texts": [rng.choice(paragraphs)]}, 1))
        elif kind == "batch":
            mix.append((kind, {"texts": rng.sample(paragraphs, 8)}, 8))
        elif kind == "article":
            article = rng.choice(articles)
            mix.append((kind, {"articles": [article]}, article.count("\n\n") + 1))
        else:
            mix.append((kind, {"texts": [" ".join(rng.sample(paragraphs, 6))]}, 1))
    return mix


def run(url: str, requests: int, concurrency: int, reload_at: float | None, timeout: float) -> dict:
    mix = bodies()
    latencies = np.zeros(requests)
    statuses = [0] * requests
    paragraphs = [0] * requests
    done = 0
    lock = threading.Lock()
    reload_result: dict = {}
    deadline = time.time() + timeout
    client = httpx.Client(timeout=120, limits=httpx.Limits(max_connections=concurrency))

    def one(i: int) -> None:
        nonlocal done
        if time.time() > deadline:
            statuses[i] = -2
            return
        _, body, n = mix[i % len(mix)]
        start = time.perf_counter()
        try:
            response = client.post(f"{url}/v1/score", json=body)
            statuses[i] = response.status_code
        except httpx.HTTPError:
            statuses[i] = -1
        latencies[i] = time.perf_counter() - start
        paragraphs[i] = n
        with lock:
            done += 1
            fire = reload_at is not None and not reload_result and done >= reload_at * requests
            if fire:
                reload_result["pending"] = True
        if fire:
            started = time.perf_counter()
            response = client.post(f"{url}/v1/reload", json={"model": "b"},
                                   headers={"authorization": f"Bearer {TOKEN}"})
            reload_result.update(status=response.status_code, seconds=time.perf_counter() - started,
                                 at_request=done)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(requests)))
    wall = time.perf_counter() - started
    client.close()
    ok = [i for i, s in enumerate(statuses) if s == 200]
    lat = latencies[ok] * 1000 if ok else np.zeros(1)
    return {
        "requests": requests,
        "concurrency": concurrency,
        "seconds": round(wall, 2),
        "requests_per_s": round(len(ok) / wall, 1),
        "paragraphs_per_s": round(sum(paragraphs[i] for i in ok) / wall, 1),
        "p50_ms": round(float(np.percentile(lat, 50)), 1),
        "p90_ms": round(float(np.percentile(lat, 90)), 1),
        "p99_ms": round(float(np.percentile(lat, 99)), 1),
        "max_ms": round(float(lat.max()), 1),
        "2xx": sum(200 <= s < 300 for s in statuses),
        "4xx": sum(400 <= s < 500 for s in statuses),
        "5xx": sum(s >= 500 for s in statuses),
        "failed_connections": statuses.count(-1),
        "not_sent_time_bound": statuses.count(-2),
        "reload": {k: v for k, v in reload_result.items() if k != "pending"} or None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (default: start one on a free loopback port)")
    parser.add_argument("--model", default=str(ROOT / "stance" / "default_model"))
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--reload-at", type=float, help="fraction of requests after which to reload a model")
    parser.add_argument("--timeout", type=float, default=600, help="bound on the whole run, seconds")
    parser.add_argument("--json", action="store_true", help="print only the result as JSON")
    args = parser.parse_args(argv)
    if args.url and not args.url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        raise SystemExit("load tests target loopback addresses only")
    process = None
    workdir = None
    url = args.url
    if url is None:
        workdir = Path(tempfile.mkdtemp(prefix="stance-load-"))
        shutil.copytree(args.model, workdir / "a")
        shutil.copytree(args.model, workdir / "b")
        process, url = start_server(["--model", str(workdir / "a"), "--models-dir", str(workdir), "--no-demo"],
                                    env={"STANCE_RELOAD_TOKEN": TOKEN})
    try:
        result = run(url, args.requests, args.concurrency, args.reload_at, args.timeout)
    finally:
        if process is not None:
            stop_server(process)
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    result["cpu"] = machine()["cpu"]
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"CPU: {result['cpu']}, {os.cpu_count()} cores")
    print(f"| {'measure':<22} | {'value':>12} |\n|{'-' * 24}|{'-' * 14}|")
    for key, value in result.items():
        if key not in ("cpu", "reload"):
            print(f"| {key:<22} | {value!s:>12} |")
    if result["reload"]:
        r = result["reload"]
        cell = f"{r.get('status')} @ request {r.get('at_request')}"
        print(f"| {'reload':<22} | {cell:>12} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
