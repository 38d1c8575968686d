"""The same scoring job on Ray, for archives that outgrow one machine (`stance score --engine ray`).

A Ray Data pipeline: read the input shards, split each record into paragraph rows (`flat_map`), score
them with `map_batches` on a pool of actors that each load the model once (and check its manifest hash),
write Parquet. It runs on a local `ray.init()` or on an existing cluster (`--address` / RAY_ADDRESS);
every node needs stance installed and the model directory at the same path.

Resuming works per group of input shards: a group's output is staged, then renamed into place and
recorded in `_stance_job.json`; a rerun skips the recorded shards. Rows and scores are computed by the
same functions as the local engine (`stance.scoring`), so both give the same answers.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path

from stance.errors import ModelLoadError, StanceError
from stance.persistence import read_manifest
from stance.records import _checked, fingerprint, input_files
from stance.scoring import DONE_FILE, JOB_FILE, paragraph_rows, score_rows

log = logging.getLogger(__name__)


class RayScorer:
    """One per actor: loads the model once, then scores batches of paragraph rows."""

    def __init__(self, model_dir: str, sha256: str, precision: str | None, threads: int) -> None:
        import torch

        from stance.persistence import load_model

        torch.set_num_threads(threads)  # as many as the actor's CPU share, so actors do not oversubscribe cores
        self.model = load_model(model_dir, precision=precision)
        if self.model.manifest_.heads.sha256 != sha256:
            raise ModelLoadError(f"{model_dir}: this node's model differs from the driver's (heads SHA-256)")

    def __call__(self, batch):
        import pyarrow as pa

        return pa.Table.from_pylist(score_rows(self.model, batch.to_pylist()))


def _split(record: dict, split: bool, source: str) -> list[dict]:
    if record.get("id") is None:
        raise StanceError(f"{source}: the Ray engine needs an 'id' column, so that shards can be read in any order "
                          "and resumed; add one, or use the local engine")
    return paragraph_rows(_checked(record, source, 0), split)


def _read(ray, files: list[Path], blocks: int):
    suffixes = {f.suffix.lower() for f in files}
    paths = [str(f) for f in files]
    if suffixes == {".parquet"}:
        return ray.data.read_parquet(paths, override_num_blocks=blocks)
    if suffixes <= {".jsonl", ".ndjson"}:
        return ray.data.read_json(paths, lines=True, override_num_blocks=blocks)
    if suffixes == {".csv"}:
        return ray.data.read_csv(paths, override_num_blocks=blocks)
    raise StanceError(f"the Ray engine reads Parquet, JSONL or CSV shards of one kind, not {sorted(suffixes)}")


def score_with_ray(
    model_dir: str,
    source: str,
    output: str,
    *,
    split: bool = True,
    precision: str | None = None,
    address: str | None = None,
    actors: int = 2,
    cpus_per_actor: float | None = None,
    batch_size: int = 256,
    shards_per_group: int | None = None,
) -> dict:
    """Score `source` (a file or folder of shards) into the folder `output` as Parquet parts.

    `cpus_per_actor` defaults to 1, or less where that would leave no CPU of the cluster free for the
    read and write tasks (two actors on two cores would otherwise starve them and the job would stall)."""
    try:
        import ray
    except ImportError:
        raise StanceError("--engine ray needs Ray. Fix: pip install 'stance[ray]'") from None
    started = time.perf_counter()
    model_dir = str(Path(model_dir).resolve())
    sha = read_manifest(model_dir).heads.sha256
    out = Path(output)
    if out.suffix.lower() in (".jsonl", ".parquet"):
        raise StanceError(f"{output}: the Ray engine writes a folder of Parquet parts; give a folder as --output")
    files = input_files(source)
    out.mkdir(parents=True, exist_ok=True)
    job_path = out / JOB_FILE
    job = {"version": 1, "engine": "ray", "input": fingerprint(source), "model": sha, "split": split}
    done: list[str] = []
    if job_path.exists():
        previous = json.loads(job_path.read_text())
        if {k: previous.get(k) for k in job} != job:
            raise StanceError(f"{out} holds a different job (input, model or settings); remove it or use another output")
        done = previous.get("done", [])
    remaining = [f for f in files if str(f) not in done]
    group = shards_per_group or max(1, 4 * actors)
    if remaining:
        if not ray.is_initialized():
            ray.init(address=address or os.environ.get("RAY_ADDRESS") or None, include_dashboard=False,
                     log_to_driver=False, configure_logging=False)
        ray.data.DataContext.get_current().enable_progress_bars = False
        if cpus_per_actor is None:  # leave one CPU of the cluster to the read, split and write tasks
            total = ray.cluster_resources().get("CPU", 1)
            cpus_per_actor = max(0.25, min(1.0, (total - 1) / actors))
    for start in range(0, len(remaining), group):
        shards = remaining[start : start + group]
        first = files.index(shards[0])
        staging = out / f".group-{first:05d}"
        shutil.rmtree(staging, ignore_errors=True)
        dataset = (_read(ray, shards, max(len(shards), 2 * actors))
                   .flat_map(lambda record: _split(record, split, source))
                   .map_batches(RayScorer, fn_constructor_kwargs={"model_dir": model_dir, "sha256": sha,
                                                                   "precision": precision,
                                                                   "threads": max(1, round(cpus_per_actor))},
                                compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=cpus_per_actor,
                                batch_size=batch_size, batch_format="pyarrow"))
        try:
            dataset.write_parquet(str(staging))
        except Exception as exc:
            raise StanceError(f"the Ray job failed: {_cause(exc)}") from None
        for i, part in enumerate(sorted(staging.glob("*.parquet"))):
            os.replace(part, out / f"part-{first:05d}-{i:04d}.parquet")
        shutil.rmtree(staging, ignore_errors=True)
        done += [str(f) for f in shards]
        tmp = job_path.with_name(JOB_FILE + ".tmp")
        tmp.write_text(json.dumps({**job, "done": done}, indent=2))
        os.replace(tmp, job_path)
        log.info("ray: %d/%d shards scored", len(done), len(files))
    if not job_path.exists():
        job_path.write_text(json.dumps({**job, "done": done}, indent=2))
    (out / DONE_FILE).write_text("")
    return {"shards": len(files), "resumed_shards": len(files) - len(remaining),
            "seconds": round(time.perf_counter() - started, 2)}


def _cause(exc: Exception) -> str:
    """The user-facing reason inside a Ray error, without its remote traceback."""
    text = str(exc)
    for line in reversed(text.splitlines()):
        if "StanceError" in line or "ModelLoadError" in line or "DataError" in line:
            return line.split(":", 1)[-1].strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
