"""Reading texts to score and writing scored paragraphs, as streams of bounded chunks.

Inputs: plain text (one article per file), JSONL, CSV or Parquet; a file, a folder of shards, or "-" for
stdin. Each record is an article (split into paragraphs) with an `id`, an optional `target`, and any
other fields (date, outlet, ...), which are passed through to the output unchanged. Outputs are JSONL
or Parquet, written chunk by chunk to a temporary name and renamed, so a chunk file either exists
whole or not at all.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from stance.errors import DataError

TEXT_SUFFIXES = {".txt", ".text", ".md"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
INPUT_SUFFIXES = TEXT_SUFFIXES | JSONL_SUFFIXES | {".csv", ".parquet"}
OUTPUT_FORMATS = ("jsonl", "parquet")
RESERVED = {"paragraph", "labels", "scores"}
PARQUET_BATCH = 2048


def input_files(path: str) -> list[Path]:
    """The files behind an input path: the file itself, or a folder's data files in name order."""
    source = Path(path)
    if not source.exists():
        raise DataError("file not found", path=source, hint="check the path, or use - for standard input")
    if source.is_file():
        return [source]
    files = sorted(p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES
                   and not any(part.startswith((".", "_")) for part in p.relative_to(source).parts))
    if not files:
        raise DataError("the folder holds no .jsonl, .csv, .parquet or .txt files", path=source)
    return files


def iter_records(path: str) -> Iterator[dict]:
    """Yield `{"id", "text", ...}` records from a file, a folder of shards, or stdin ("-")."""
    if path == "-":
        yield from _records_from_stream(sys.stdin, "<stdin>")
        return
    for file in input_files(path):
        yield from _file_records(file)


def count_records(path: str) -> int | None:
    """How many records an input holds, cheaply (for the progress bar's ETA); None when unknown."""
    if path == "-":
        return None
    total = 0
    for file in input_files(path):
        suffix = file.suffix.lower()
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            total += pq.ParquetFile(file).metadata.num_rows
        elif suffix in JSONL_SUFFIXES:
            with open(file, "rb") as handle:
                total += sum(1 for line in handle if line.strip())
        elif suffix in TEXT_SUFFIXES:
            total += 1
        else:
            return None
    return total


def fingerprint(path: str) -> str:
    """Identifies an input by its files' names, sizes and modification times (for resuming a job)."""
    digest = hashlib.sha256()
    for file in input_files(path):
        stat = file.stat()
        digest.update(f"{file.resolve()}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _file_records(file: Path) -> Iterator[dict]:
    suffix = file.suffix.lower()
    if suffix == ".parquet":
        yield from _parquet_records(file)
        return
    with open(file, encoding="utf-8-sig", newline="", errors="strict") as handle:
        try:
            if suffix in JSONL_SUFFIXES:
                yield from _jsonl_records(handle, str(file))
            elif suffix == ".csv":
                yield from _csv_records(handle, str(file))
            elif suffix in TEXT_SUFFIXES or not suffix:
                yield _checked({"id": file.stem, "text": handle.read()}, str(file), 1)
            else:
                raise DataError(f"unknown file type '{suffix}'", path=file,
                                hint="use .txt (one article), .jsonl, .csv or .parquet")
        except UnicodeDecodeError:
            raise DataError("not valid UTF-8 text", path=file, hint="save the file as UTF-8") from None


def _parquet_records(file: Path) -> Iterator[dict]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError("reading Parquet needs pyarrow", path=file, hint="pip install 'stance[parquet]'") from None
    try:
        parquet = pq.ParquetFile(file)
    except Exception as exc:
        raise DataError(f"not a readable Parquet file ({type(exc).__name__})", path=file) from None
    if "text" not in parquet.schema_arrow.names:
        raise DataError(f"no 'text' column (columns: {parquet.schema_arrow.names})", path=file, field="text",
                        hint="name the column holding the articles 'text'")
    row = 0
    for batch in parquet.iter_batches(batch_size=PARQUET_BATCH):
        for record in batch.to_pylist():
            row += 1
            yield _checked(record, str(file), row)


def _records_from_stream(stream: IO[str], name: str) -> Iterator[dict]:
    text = stream.read()
    if text.lstrip().startswith("{"):
        yield from _jsonl_records(io.StringIO(text), name)
    else:
        yield {"id": "stdin", "text": text}


def _jsonl_records(handle: IO[str], name: str) -> Iterator[dict]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"not valid JSON ({exc.msg})", path=name, line=number,
                            hint="write one JSON object per line") from None
        yield _checked(row, name, number)


def _csv_records(handle: IO[str], name: str) -> Iterator[dict]:
    reader = csv.DictReader(handle)
    if "text" not in (reader.fieldnames or []):
        raise DataError(f"no 'text' column (columns: {reader.fieldnames})", path=name, line=1, field="text",
                        hint="name the column holding the articles 'text'")
    for row in reader:
        yield _checked(dict(row), name, reader.line_num)


def _checked(row: object, name: str, line: int) -> dict:
    if not isinstance(row, dict):
        raise DataError(f"expected a JSON object, got {type(row).__name__}", path=name, line=line)
    text = row.get("text")
    if not isinstance(text, str):
        raise DataError("missing text" if text is None else f"expected a string, got {type(text).__name__}",
                        path=name, line=line, field="text", hint="give every record a 'text'")
    target = row.get("target")
    if target is not None and not isinstance(target, str):
        raise DataError(f"expected a string, got {type(target).__name__}", path=name, line=line, field="target")
    clash = RESERVED & set(row)
    if clash:
        raise DataError(f"field names {sorted(clash)} are reserved for the output", path=name, line=line,
                        field=sorted(clash)[0], hint="rename that column")
    record = dict(row)
    record["id"] = str(row["id"]) if row.get("id") is not None else f"{Path(name).stem}:{line}"
    return record


def output_record(record: dict, index: int, text: str, prediction: dict) -> dict:
    """The output shape of `stance score`, the service and the Python API: one object per paragraph."""
    out = {k: v for k, v in record.items() if k != "text"}
    out.update({"id": record["id"], "paragraph": index, "text": text, **prediction})
    return out


def write_chunk(rows: list[dict], path: Path) -> None:
    """Write rows as JSONL or Parquet (by suffix) under a temporary name, then rename into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        if path.suffix == ".parquet":
            os.close(fd)
            _write_parquet(rows, tmp)
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_parquet(rows: list[dict], path: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(rows)
    # Values that are empty in this chunk (a column of None, a list of no labels) would be typed null and
    # clash with the next chunk's strings: type them as strings.
    table = table.cast(pa.schema([pa.field(f.name, _no_nulls(f.type)) for f in table.schema]))
    pq.write_table(table, path)


def _no_nulls(kind):
    import pyarrow as pa

    if pa.types.is_null(kind):
        return pa.string()
    if pa.types.is_list(kind):
        return pa.list_(_no_nulls(kind.value_type))
    if pa.types.is_struct(kind):
        return pa.struct([pa.field(f.name, _no_nulls(f.type)) for f in kind])
    return kind


def read_chunk(path: Path) -> Iterator[dict]:
    """Rows of a chunk file written by `write_chunk`."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=PARQUET_BATCH):
            yield from batch.to_pylist()
    else:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)
