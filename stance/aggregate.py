"""Summaries of scored output: the share of paragraphs carrying each label, per group.

    stance aggregate --input scored/ --by outlet,month --output summary.csv --plot summary.png

Groups are any pass-through columns (outlet, pair, ...) plus `month`, derived from a date column. Rows are
streamed and only counts are kept, so archives of any size summarise in constant memory.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from stance.errors import StanceError

MONTH = "month"


def month_of(value) -> str:
    """YYYY-MM from an ISO date string, a date or a datetime ("unknown" when absent or unreadable)."""
    if isinstance(value, datetime | date):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, str) and len(value) >= 7 and value[4] == "-":
        return value[:7]
    return "unknown"


def summarise(rows: Iterable[dict], by: list[str], date_column: str = "date") -> list[dict]:
    """One row per group: paragraph count and, per scheme and label, the share of paragraphs with it."""
    counts: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    label_columns: dict[str, None] = {}
    for row in rows:
        key = tuple(month_of(row.get(date_column)) if column == MONTH else str(row.get(column, "unknown"))
                    for column in by)
        tally = counts[key]
        tally["paragraphs"] += 1
        scores = row.get("scores") or {}
        for scheme, labels in (row.get("labels") or {}).items():
            for name in (scores.get(scheme) or {}):
                label_columns.setdefault(f"{scheme}: {name}", None)
            label_columns.setdefault(f"{scheme}: (none)", None)
            tally[f"{scheme}: (none)"] += not labels
            for label in labels:
                tally[f"{scheme}: {label}"] += 1
    if not counts:
        raise StanceError("no scored rows to summarise")
    # "(none)" only means something for multi-label schemes; single-label ones never have it.
    used = {column for tally in counts.values() for column, n in tally.items() if n}
    label_columns = {c: None for c in label_columns if not c.endswith(": (none)") or c in used}
    table = []
    for key in sorted(counts):
        tally = counts[key]
        n = tally["paragraphs"]
        row = dict(zip(by, key, strict=True))
        row["paragraphs"] = n
        for column in label_columns:
            row[column] = round(tally.get(column, 0) / n, 4)
        table.append(row)
    return table


def write_csv(table: list[dict], path: str) -> None:
    if path == "-":
        _write_rows(table, sys.stdout)
        return
    with open(path, "w", encoding="utf-8", newline="") as handle:
        _write_rows(table, handle)


def _write_rows(table: list[dict], handle) -> None:
    writer = csv.DictWriter(handle, fieldnames=list(table[0]))
    writer.writeheader()
    writer.writerows(table)


def plot(table: list[dict], by: list[str], path: str, scheme: str | None = None) -> None:
    """Shares of one scheme's labels per group: lines over months when grouping by month, else bars."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise StanceError("--plot needs matplotlib. Fix: pip install 'stance[demo]'") from None
    columns = [c for c in table[0] if ": " in c and (scheme is None or c.startswith(f"{scheme}: "))]
    if scheme is None and columns:
        first = columns[0].split(": ")[0]
        columns = [c for c in columns if c.startswith(f"{first}: ")]
    others = [c for c in by if c != MONTH]
    if MONTH in by:
        # One panel per label, one line per group, months on a shared sorted axis.
        months = sorted({row[MONTH] for row in table})
        fig, axes = plt.subplots(1, len(columns), figsize=(4 * len(columns), 3.6), dpi=110, sharey=True,
                                 squeeze=False)
        groups = defaultdict(list)
        for row in table:
            groups[" / ".join(str(row[c]) for c in others) or "all"].append(row)
        for ax, column in zip(axes[0], columns, strict=True):
            for group, rows in sorted(groups.items()):
                rows = sorted(rows, key=lambda r: r[MONTH])
                ax.plot([months.index(r[MONTH]) for r in rows], [r[column] for r in rows], marker="o", label=group)
            ax.set_title(column.split(": ", 1)[1], fontsize=10)
            ax.set_xticks(range(len(months)), months, rotation=45, ha="right", fontsize=8)
            ax.set_ylim(0, 1)
            ax.grid(alpha=0.3)
        axes[0][0].set_ylabel("share of paragraphs")
        axes[0][-1].legend(fontsize=8)
    else:
        fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
        names = [" / ".join(str(row[c]) for c in by) for row in table]
        width = 0.8 / max(len(columns), 1)
        for i, column in enumerate(columns):
            ax.bar([x + i * width for x in range(len(table))], [row[column] for row in table], width=width,
                   label=column.split(": ", 1)[1])
        ax.set_xticks([x + 0.4 - width / 2 for x in range(len(table))], names, rotation=30, ha="right")
        ax.set_ylabel("share of paragraphs")
        ax.set_ylim(0, 1)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def parse_by(value: str) -> list[str]:
    by = [part.strip() for part in value.split(",") if part.strip()]
    if not by:
        raise StanceError("--by needs at least one column, e.g. --by outlet,month")
    return by
