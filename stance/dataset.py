"""Reading and validating labeled data (JSONL or CSV) against a codebook.

Every error names the file, the line and the field, and says how to fix it: users meet these
messages when they bring their own data, and a vague one costs them an afternoon.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from stance.codebook import Codebook, Scheme
from stance.errors import DataError

log = logging.getLogger(__name__)

JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
CSV_SUFFIXES = {".csv"}
MULTI_SEPARATOR = ";"

LabelValue = tuple[str, ...] | str


@dataclass
class LabeledData:
    """Texts with their labels, one list per scheme present in the data, aligned by row."""

    texts: list[str]
    labels: dict[str, list[LabelValue]]
    codebook: Codebook
    ids: list[str] = field(default_factory=list)
    targets: list[str | None] = field(default_factory=list)
    source: str = "<memory>"
    sha256: str = ""
    lines: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = len(self.texts)
        if not self.ids:
            self.ids = [str(i) for i in range(n)]
        if not self.targets:
            self.targets = [None] * n
        if not self.lines:
            self.lines = list(range(1, n + 1))
        if not self.sha256:
            self.sha256 = _content_hash(self.records())

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def schemes(self) -> list[Scheme]:
        """The codebook's schemes that this data labels, in codebook order."""
        return [s for s in self.codebook.schemes if s.name in self.labels]

    @property
    def has_targets(self) -> bool:
        return any(t is not None for t in self.targets)

    def indicator(self, scheme: str) -> np.ndarray:
        """Multi-hot matrix (rows x labels) for a multi-label scheme."""
        names = self.codebook.scheme(scheme).label_names
        matrix = np.zeros((len(self), len(names)), dtype=np.int8)
        for row, value in enumerate(self.labels[scheme]):
            for label in value:
                matrix[row, names.index(label)] = 1
        return matrix

    def classes(self, scheme: str) -> np.ndarray:
        """Label per row for a single-label scheme."""
        return np.asarray(self.labels[scheme], dtype=object)

    def subset(self, rows: Sequence[int]) -> LabeledData:
        rows = list(rows)
        return LabeledData(
            texts=[self.texts[i] for i in rows],
            labels={name: [values[i] for i in rows] for name, values in self.labels.items()},
            codebook=self.codebook,
            ids=[self.ids[i] for i in rows],
            targets=[self.targets[i] for i in rows],
            source=self.source,
            lines=[self.lines[i] for i in rows],
        )

    def records(self) -> list[dict]:
        """Rows in the JSONL shape, ready to write back out."""
        out = []
        for i, text in enumerate(self.texts):
            record: dict = {"id": self.ids[i], "text": text}
            if self.targets[i] is not None:
                record["target"] = self.targets[i]
            for name, values in self.labels.items():
                value = values[i]
                record[name] = list(value) if isinstance(value, tuple) else value
            out.append(record)
        return out

    def label_counts(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for scheme in self.schemes:
            tally = dict.fromkeys(scheme.label_names, 0)
            for value in self.labels[scheme.name]:
                for label in (value if scheme.multi_label else (value,)):
                    tally[label] += 1
            if scheme.multi_label:
                tally["(none)"] = sum(1 for value in self.labels[scheme.name] if not value)
            counts[scheme.name] = tally
        return counts

    def label_shares(self) -> dict[str, dict[str, float]]:
        """Share of rows carrying each label of each multi-label scheme: the prevalence a file composed like
        the text to be scored gives for choosing thresholds (`StanceModel(label_prevalence=...)`)."""
        counts = self.label_counts()
        return {s.name: {label: counts[s.name][label] / len(self) for label in s.label_names}
                for s in self.schemes if s.multi_label}


def read_labeled(path: str | Path, codebook: Codebook) -> LabeledData:
    """Read a labeled JSONL or CSV file and validate every row against the codebook."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError("file not found", path=path, hint="check the path") from None
    except IsADirectoryError:
        raise DataError("is a directory, expected a .jsonl or .csv file", path=path) from None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError("not valid UTF-8 text", path=path, line=line, hint="save the file as UTF-8") from None
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        rows = _jsonl_rows(content, path)
    elif suffix in CSV_SUFFIXES:
        rows = _csv_rows(content, path, codebook)
    else:
        raise DataError(
            f"unknown file type '{suffix or '(none)'}'", path=path, hint="use a .jsonl or .csv file"
        )
    data = labeled_from_records(rows, codebook, source=str(path))
    data.sha256 = hashlib.sha256(raw).hexdigest()
    return data


def labeled_from_records(
    rows: Iterable[tuple[int, dict]] | Iterable[dict], codebook: Codebook, source: str = "<memory>"
) -> LabeledData:
    """Validate rows (dicts, optionally paired with their line numbers) into `LabeledData`."""
    texts: list[str] = []
    ids: list[str] = []
    targets: list[str | None] = []
    lines: list[int] = []
    labels: dict[str, list[LabelValue]] = {}
    first_seen: dict[str, int] = {}
    seen_text: dict[tuple[str, str | None], int] = {}
    duplicates: list[tuple[int, int]] = []
    n_rows = 0
    for position, item in enumerate(rows, start=1):
        line, row = item if isinstance(item, tuple) else (position, item)
        n_rows += 1
        text = _text_field(row, source, line)
        target = _optional_str(row, "target", source, line)
        row_id = row.get("id")
        row_labels = {
            scheme.name: _label_field(row, scheme, source, line)
            for scheme in codebook.schemes
            if scheme.name in row and row[scheme.name] is not None
        }
        if not labels:
            for name in row_labels:
                labels[name] = []
                first_seen[name] = line
        missing = set(labels) - set(row_labels)
        extra = set(row_labels) - set(labels)
        if missing or extra:
            name = sorted(missing or extra)[0]
            here, there = ("missing", "present") if missing else ("present", "missing")
            raise DataError(
                f"scheme label {here} here but {there} on line {first_seen.get(name, lines[0] if lines else 1)}",
                path=source,
                line=line,
                field=name,
                hint="label every row for every scheme the file uses (an empty list [] means no label "
                "for a multi-label scheme)",
            )
        key = (" ".join(text.split()).casefold(), target)
        if key in seen_text:
            earlier = seen_text[key]
            if all(labels[name][earlier] == row_labels[name] for name in labels):
                duplicates.append((line, lines[earlier]))
                continue
            differing = next(name for name in labels if labels[name][earlier] != row_labels[name])
            raise DataError(
                f"same text as line {lines[earlier]} but different labels "
                f"({_show(labels[differing][earlier])} vs {_show(row_labels[differing])})",
                path=source,
                line=line,
                field=differing,
                hint="keep one of the two rows, with the labels you mean",
            )
        seen_text[key] = len(texts)
        texts.append(text)
        targets.append(target)
        lines.append(line)
        ids.append(str(row_id) if row_id is not None else f"{Path(source).stem}:{line}")
        for name, value in row_labels.items():
            labels[name].append(value)
    if n_rows == 0:
        raise DataError("the file has no rows", path=source, hint="add at least one labeled row")
    if duplicates:
        line, earlier = duplicates[0]
        log.warning("%s: %d row(s) repeat an earlier row with the same labels and were skipped (first: line %d "
                    "repeats line %d)", source, len(duplicates), line, earlier)
    duplicate_ids = _first_duplicate(ids)
    if duplicate_ids is not None:
        raise DataError(
            f"id '{ids[duplicate_ids]}' is used twice",
            path=source,
            line=lines[duplicate_ids],
            field="id",
            hint="give every row a unique id, or leave ids out",
        )
    return LabeledData(texts, labels, codebook, ids, targets, source, lines=lines)


def check_trainable(data: LabeledData, n_splits: int) -> None:
    """Refuse data that cannot train or cross-validate every label of every scheme."""
    if not data.labels:
        known = ", ".join(data.codebook.scheme_names)
        raise DataError(
            f"no row carries a label for any scheme of the codebook ({known})",
            path=data.source,
            hint="add a column or key per scheme, or pass the codebook these labels come from",
        )
    minimum = max(n_splits, 2)
    for scheme in data.schemes:
        counts = data.label_counts()[scheme.name]
        for label in scheme.label_names:
            positives = counts[label]
            negatives = len(data) - positives
            if positives < minimum or (scheme.multi_label and negatives < minimum):
                few, what = (positives, "examples") if positives < minimum else (negatives, "rows without it")
                raise DataError(
                    f"label '{label}' has {few} {what}; {n_splits}-fold cross-validation needs at "
                    f"least {minimum}",
                    path=data.source,
                    field=scheme.name,
                    hint=f"label more paragraphs as '{label}', lower the number of folds, or drop the "
                    "label from the codebook",
                )


def _jsonl_rows(content: str, path: Path) -> list[tuple[int, dict]]:
    rows = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"not valid JSON ({exc.msg} at column {exc.colno})",
                path=path,
                line=number,
                hint="write one JSON object per line",
            ) from None
        if not isinstance(row, dict):
            raise DataError(
                f"expected a JSON object, got {type(row).__name__}",
                path=path,
                line=number,
                hint='write each row as {"text": "...", "<scheme>": ...}',
            )
        rows.append((number, row))
    return rows


def _csv_rows(content: str, path: Path, codebook: Codebook) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(content, newline=""))
    header = reader.fieldnames or []
    if "text" not in header:
        if not header:
            raise DataError("the file has no rows", path=path, hint="add a header line and labeled rows")
        raise DataError(
            f"no 'text' column (columns: {header})",
            path=path,
            line=1,
            field="text",
            hint="name the column holding the paragraphs 'text'",
        )
    rows = []
    multi = {s.name for s in codebook.schemes if s.multi_label}
    for row in reader:
        if None in row:
            raise DataError(
                f"{len(header) + len(row[None])} values but {len(header)} columns",
                path=path,
                line=reader.line_num,
                hint="quote values that contain commas",
            )
        parsed: dict = {}
        for key, value in row.items():
            if key in multi:
                parsed[key] = [part.strip() for part in (value or "").split(MULTI_SEPARATOR) if part.strip()]
            else:
                parsed[key] = value if value != "" or key not in codebook.scheme_names else None
        rows.append((reader.line_num, parsed))
    return rows


def _text_field(row: dict, source: str, line: int) -> str:
    if "text" not in row or row["text"] is None:
        raise DataError("missing text", path=source, line=line, field="text", hint="give every row a 'text'")
    text = row["text"]
    if not isinstance(text, str):
        raise DataError(
            f"expected a string, got {type(text).__name__}", path=source, line=line, field="text"
        )
    if not text.strip():
        raise DataError("text is empty", path=source, line=line, field="text", hint="remove the row")
    return text.strip()


def _optional_str(row: dict, key: str, source: str, line: int) -> str | None:
    value = row.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise DataError(f"expected a string, got {type(value).__name__}", path=source, line=line, field=key)
    return value.strip() or None


def _label_field(row: dict, scheme: Scheme, source: str, line: int) -> LabelValue:
    value = row[scheme.name]
    known = scheme.label_names
    if scheme.multi_label:
        if not isinstance(value, list):
            raise DataError(
                f"expected a list of labels, got {type(value).__name__} {_show(value)}",
                path=source,
                line=line,
                field=scheme.name,
                hint=f'write a list such as ["{known[0]}"], or [] for no label',
            )
        values = value
    else:
        if not isinstance(value, str):
            raise DataError(
                f"expected one label as a string, got {type(value).__name__} {_show(value)}",
                path=source,
                line=line,
                field=scheme.name,
                hint=f'write one of {known}, e.g. "{known[0]}"',
            )
        values = [value]
    for label in values:
        if not isinstance(label, str):
            raise DataError(
                f"labels must be strings, got {type(label).__name__} {_show(label)}",
                path=source,
                line=line,
                field=scheme.name,
            )
        if label not in known:
            close = difflib.get_close_matches(label, known, n=1)
            raise DataError(
                f"unknown label '{label}' (scheme '{scheme.name}' has {known})",
                path=source,
                line=line,
                field=scheme.name,
                hint=f"did you mean '{close[0]}'?" if close else "use one of the codebook's labels",
            )
    if scheme.multi_label:
        if len(set(values)) != len(values):
            raise DataError(
                f"label listed twice in {_show(values)}", path=source, line=line, field=scheme.name
            )
        return tuple(sorted(values, key=known.index))
    return values[0]


def _show(value: object) -> str:
    text = json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _first_duplicate(values: list[str]) -> int | None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            return i
        seen.add(value)
    return None


def _content_hash(records: list[dict]) -> str:
    digest = hashlib.sha256()
    for record in records:
        digest.update(json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()
