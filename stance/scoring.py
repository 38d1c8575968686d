"""Scoring inputs of any size: streamed in chunks, resumable, identical paragraphs encoded once.

A job reads records in order and cuts them into chunks of `chunk_records` records; chunk k becomes the
file `part-<k>.<format>`, written whole or not at all (see `records.write_chunk`). The chunk files that
exist are the job's progress: rerunning the same command skips them and continues, so an interrupted
job (Ctrl-C, SIGKILL, power loss) loses at most the chunk in flight and writes nothing twice.
`_stance_job.json` beside the parts pins the input, model and settings, so a different job is never
resumed by mistake. Output to a `.jsonl`/`.parquet` file is staged in `<output>.parts/` and joined
into the file at the end; output to a folder keeps the parts as shards (with `_SUCCESS` when done).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from stance.article import split_paragraphs
from stance.errors import StanceError
from stance.records import (
    OUTPUT_FORMATS,
    count_records,
    fingerprint,
    input_files,
    iter_records,
    output_record,
    read_chunk,
    write_chunk,
)

log = logging.getLogger(__name__)

JOB_FILE = "_stance_job.json"
DONE_FILE = "_SUCCESS"


def paragraph_rows(record: dict, split: bool) -> list[dict]:
    """The paragraphs of one record, each a row carrying the record's other fields."""
    if split:
        pieces = [(p.index, p.text) for p in split_paragraphs(record["text"])]
    else:
        text = record["text"].strip()
        pieces = [(0, text)] if text else []
    base = {k: v for k, v in record.items() if k != "text"}
    return [{**base, "paragraph": index, "text": text} for index, text in pieces]


class EmbeddingMemo:
    """The most recent embeddings by text, so repeated paragraphs (wire copy) are encoded once."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self.hits = 0

    def embed(self, model, texts: list[str], targets: list[str | None] | None) -> np.ndarray:
        keys = [hashlib.blake2b(f"{g or ''}\x00{t}".encode(), digest_size=16).digest()
                for t, g in zip(texts, targets or [None] * len(texts), strict=True)]
        first = {key: i for i, key in reversed(list(enumerate(keys)))}
        missing = [i for key, i in first.items() if key not in self._items]
        self.hits += len(texts) - len(missing)
        if missing:
            fresh = model.embed([texts[i] for i in missing],
                                [targets[i] for i in missing] if targets is not None else None)
            for i, vector in zip(missing, fresh, strict=True):
                self._items[keys[i]] = vector
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        vectors = []
        for key in keys:
            self._items.move_to_end(key)
            vectors.append(self._items[key])
        return np.stack(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)


def score_rows(model, rows: list[dict], memo: EmbeddingMemo | None = None) -> list[dict]:
    """Labels and scores for paragraph rows (as made by `paragraph_rows`), in the output shape."""
    if not rows:
        return []
    texts = [row["text"] for row in rows]
    targets = [row.get("target") for row in rows]
    targets = targets if any(t is not None for t in targets) else None
    embeddings = memo.embed(model, texts, targets) if memo is not None else model.embed(texts, targets)
    predictions = model.predict_embeddings(embeddings)
    return [output_record(row, row["paragraph"], row["text"], p.to_dict())
            for row, p in zip(rows, predictions, strict=True)]


@dataclass
class ScoreJob:
    """Score every record of `source` into `output` (a .jsonl/.parquet file, a folder, or "-")."""

    model: object
    source: str
    output: str
    split: bool = True
    chunk_records: int = 1000
    output_format: str | None = None
    memo_size: int = 50_000
    progress: bool = True
    stats: dict = field(default_factory=dict)

    def run(self) -> dict:
        started = time.perf_counter()
        memo = EmbeddingMemo(self.memo_size)
        if self.output == "-":
            paragraphs = 0
            for _, rows in self._chunks_of_rows(memo, skip=set()):
                sys.stdout.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
                paragraphs += len(rows)
            sys.stdout.flush()
            return self._finish(started, paragraphs, 0, memo)
        parts, final = self._layout()
        skip = self._prepare(parts)
        paragraphs = 0
        for index, rows in self._chunks_of_rows(memo, skip):
            write_chunk(rows, parts / f"part-{index:05d}.{self.format}")
            paragraphs += len(rows)
        if final is not None:
            self._join(parts, final)
        else:
            (parts / DONE_FILE).write_text("")
        return self._finish(started, paragraphs, len(skip), memo)

    # -- layout and resuming -----------------------------------------------------------------------

    @property
    def format(self) -> str:
        if self.output_format:
            if self.output_format not in OUTPUT_FORMATS:
                raise StanceError(f"unknown output format '{self.output_format}'; use one of {list(OUTPUT_FORMATS)}")
            return self.output_format
        suffix = Path(self.output).suffix.lower().lstrip(".")
        if suffix in OUTPUT_FORMATS:
            return suffix
        parquet_in = self.source != "-" and all(f.suffix == ".parquet" for f in input_files(self.source))
        return "parquet" if parquet_in else "jsonl"

    def _layout(self) -> tuple[Path, Path | None]:
        """(folder of part files, final file or None when the folder is the output)."""
        out = Path(self.output)
        if out.suffix.lower().lstrip(".") in OUTPUT_FORMATS and not out.is_dir():
            return out.with_name(out.name + ".parts"), out
        return out, None

    def _job(self) -> dict:
        manifest = getattr(self.model, "manifest_", None)
        return {"version": 1, "input": fingerprint(self.source) if self.source != "-" else "stdin",
                "model": manifest.heads.sha256 if manifest else "unsaved", "split": self.split,
                "chunk_records": self.chunk_records, "format": self.format}

    def _prepare(self, parts: Path) -> set[int]:
        """Create or check the job folder; return the chunk numbers already done."""
        if self.source == "-":
            raise StanceError("resumable output needs a file input; score stdin to stdout (--output -)")
        parts.mkdir(parents=True, exist_ok=True)
        job_path = parts / JOB_FILE
        job = self._job()
        if job_path.exists():
            previous = json.loads(job_path.read_text())
            if previous != job:
                changed = sorted(k for k in job if previous.get(k) != job[k])
                raise StanceError(
                    f"{parts} holds a job with a different {', '.join(changed)}; to start over remove it, or "
                    "write to another output")
            done = {int(p.name[5:10]) for p in parts.glob(f"part-*.{self.format}")}
            if done:
                log.info("resuming: %d chunk(s) already done in %s", len(done), parts)
        else:
            done = set()
            tmp = job_path.with_name(JOB_FILE + ".tmp")
            tmp.write_text(json.dumps(job, indent=2))
            os.replace(tmp, job_path)
        for stale in parts.glob(".part-*.tmp"):
            stale.unlink()
        return done

    def _join(self, parts: Path, final: Path) -> None:
        files = sorted(parts.glob(f"part-*.{self.format}"))
        tmp = final.with_name(f".{final.name}.tmp")
        if self.format == "parquet":
            import pyarrow.parquet as pq

            schema = pq.ParquetFile(files[0]).schema_arrow if files else None
            writer = pq.ParquetWriter(tmp, schema) if schema is not None else None
            for file in files:
                for batch in pq.ParquetFile(file).iter_batches():
                    writer.write_batch(batch.cast(schema) if batch.schema != schema else batch)
            if writer is not None:
                writer.close()
            else:
                from stance.records import _write_parquet

                _write_parquet([], str(tmp))
        else:
            with open(tmp, "w", encoding="utf-8") as out:
                for file in files:
                    with open(file, encoding="utf-8") as part:
                        shutil.copyfileobj(part, out)
        os.replace(tmp, final)
        shutil.rmtree(parts)

    # -- the stream --------------------------------------------------------------------------------

    def _record_chunks(self) -> Iterator[list[dict]]:
        records = iter_records(self.source)
        while chunk := list(islice(records, self.chunk_records)):
            yield chunk

    def _chunks_of_rows(self, memo: EmbeddingMemo, skip: set[int]) -> Iterator[tuple[int, list[dict]]]:
        """(chunk number, scored rows) for every chunk not in `skip`, with a progress bar."""
        total = count_records(self.source) if self.source != "-" else None
        bar = tqdm(total=total, desc="scoring", unit="record", file=sys.stderr, disable=not self.progress,
                   smoothing=0.1)
        paragraphs = 0
        started = time.perf_counter()
        try:
            for index, records in enumerate(self._record_chunks()):
                if index in skip:
                    bar.update(len(records))
                    continue
                rows = score_rows(self.model, [row for record in records for row in paragraph_rows(record, self.split)],
                                  memo)
                paragraphs += len(rows)
                bar.update(len(records))
                bar.set_postfix(paragraphs_per_s=f"{paragraphs / max(time.perf_counter() - started, 1e-9):.0f}")
                yield index, rows
        finally:
            bar.close()

    def _finish(self, started: float, paragraphs: int, resumed: int, memo: EmbeddingMemo) -> dict:
        seconds = time.perf_counter() - started
        self.stats = {"paragraphs": paragraphs, "seconds": round(seconds, 2), "chunks_resumed": resumed,
                      "repeated_paragraphs_not_reencoded": memo.hits,
                      "paragraphs_per_s": round(paragraphs / seconds, 1) if seconds else 0.0}
        log.info("scored %d paragraphs in %.1f s (%d repeated paragraphs reused, %d chunks resumed)",
                 paragraphs, seconds, memo.hits, resumed)
        return self.stats


def read_scored(path: str) -> Iterator[dict]:
    """Rows of scored output: a .jsonl/.parquet file or a folder of part files."""
    source = Path(path)
    files = sorted(p for p in source.glob("part-*") if p.suffix in (".jsonl", ".parquet")) if source.is_dir() else [source]
    if not files or not files[0].exists():
        raise StanceError(f"{path}: no scored output found (a .jsonl/.parquet file or a folder of part files)")
    for file in files:
        yield from read_chunk(file)
