"""Reading texts to score (plain text, JSONL, CSV) and writing scored paragraphs as JSONL.

Inputs are read as a stream of records so that files of any size score in bounded memory. Each
record is an article (split into paragraphs) with an `id`, an optional `target`, and any other fields,
which are passed through to the output unchanged.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from stance.errors import DataError

TEXT_SUFFIXES = {".txt", ".text", ".md"}
RESERVED = {"paragraph", "labels", "scores"}


def iter_records(path: str) -> Iterator[dict]:
    """Yield `{"id", "text", ...}` records from a file, or from stdin when `path` is "-"."""
    if path == "-":
        yield from _records_from_stream(sys.stdin, "<stdin>")
        return
    file = Path(path)
    if not file.exists():
        raise DataError("file not found", path=file, hint="check the path, or use - for standard input")
    if file.is_dir():
        raise DataError("is a directory", path=file, hint="pass a file (.txt, .jsonl or .csv)")
    suffix = file.suffix.lower()
    with open(file, encoding="utf-8-sig", newline="", errors="strict") as handle:
        try:
            if suffix in {".jsonl", ".ndjson"}:
                yield from _jsonl_records(handle, str(file))
            elif suffix == ".csv":
                yield from _csv_records(handle, str(file))
            elif suffix in TEXT_SUFFIXES or not suffix:
                yield {"id": file.stem, "text": handle.read()}
            else:
                raise DataError(f"unknown file type '{suffix}'", path=file,
                                hint="use .txt (one article), .jsonl or .csv")
        except UnicodeDecodeError:
            raise DataError("not valid UTF-8 text", path=file, hint="save the file as UTF-8") from None


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


def open_output(path: str) -> IO[str]:
    if path == "-":
        return sys.stdout
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return open(path, "w", encoding="utf-8")
