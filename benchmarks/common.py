"""Shared pieces of the benchmarks: the machine line, the text sets, and table printing."""

from __future__ import annotations

import json
import os
import platform
import re
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(os.environ.get("STANCE_BENCH_RESULTS", ROOT / "benchmarks" / "results"))


def machine() -> dict:
    """CPU model and the flags that decide precision, as every benchmark prints them."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")),
                 platform.processor() or "unknown")
    flags = set(re.findall(r"\b(avx2|avx512f|avx512_bf16|amx_bf16|amx_int8|avx512_vnni)\b", info))
    import torch

    return {"cpu": model, "cores": os.cpu_count(), "flags": sorted(flags), "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(), "python": platform.python_version()}


def machine_line() -> str:
    m = machine()
    return (f"CPU: {m['cpu']} ({m['cores']} cores; {', '.join(m['flags']) or 'no AVX2'}); torch {m['torch']}, "
            f"{m['torch_threads']} threads")


def corpus_texts(limit: int | None = None) -> list[str]:
    """Every paragraph in data/ (training, test and article paragraphs): varied in length and genre."""
    texts = []
    for name in ("train.jsonl", "articles.jsonl", "test.jsonl"):
        for line in (ROOT / "data" / name).read_text(encoding="utf-8").splitlines():
            if line:
                texts.append(json.loads(line)["text"])
    return texts[:limit] if limit else texts


def table(rows: list[dict], columns: list[str] | None = None) -> str:
    """A Markdown table."""
    columns = columns or list(rows[0])
    out = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for row in rows:
        out.append("| " + " | ".join(_cell(row.get(c, "")) for c in columns) + " |")
    return "\n".join(out)


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def save(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return path


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args: list[str], env: dict | None = None, timeout: float = 180, output=None):
    """`stance serve ARGS` on a free loopback port; returns (process, url) once /v1/health answers."""
    import subprocess
    import sys

    import httpx

    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "stance.cli", "serve", "--port", str(port), *args],
                               env={**os.environ, **(env or {})}, stdout=output or subprocess.DEVNULL,
                               stderr=subprocess.STDOUT if output else subprocess.DEVNULL, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"stance serve exited with status {process.returncode} during start-up")
        try:
            if httpx.get(f"{url}/v1/health", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"stance serve did not answer within {timeout:.0f} s")


def stop_server(process) -> None:
    import signal
    import subprocess

    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def child_run(command: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of a child process: measured by a parent of its own, so the caller's
    memory does not count."""
    import subprocess
    import sys

    script = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
              "subprocess.run(sys.argv[1:], check=True, capture_output=True); "
              "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", script, *command], check=True, capture_output=True, text=True)
    seconds, rss = out.stdout.split()
    return float(seconds), int(rss) / 1024
