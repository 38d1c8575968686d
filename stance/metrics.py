"""Scores for predictions against labels, per scheme, in the one JSON shape every command reports."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from stance.codebook import Scheme
from stance.dataset import LabeledData


def scheme_metrics(scheme: Scheme, truth: Sequence, predicted: Sequence) -> dict:
    """Per-label precision/recall/F1/support plus macro and micro F1 (and a confusion matrix for
    single-label schemes). Multi-label inputs are label tuples, single-label inputs label strings."""
    names = scheme.label_names
    if scheme.multi_label:
        y_true = _multi_hot(truth, names)
        y_pred = _multi_hot(predicted, names)
    else:
        y_true = np.asarray(truth, dtype=object)
        y_pred = np.asarray(predicted, dtype=object)
    labels = None if scheme.multi_label else names
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average=None, zero_division=0
    )
    result: dict = {
        "macro_f1": _r(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "micro_f1": _r(f1_score(y_true, y_pred, labels=labels, average="micro", zero_division=0)),
        "per_label": {
            name: {"precision": _r(p), "recall": _r(r), "f1": _r(f), "support": int(s)}
            for name, p, r, f, s in zip(names, precision, recall, f1, support, strict=True)
        },
        "n": len(y_true),
    }
    if scheme.multi_label:
        none_true, none_pred = ~y_true.any(axis=1), ~y_pred.any(axis=1)
        result["exact_match"] = _r(float((y_true == y_pred).all(axis=1).mean()))
        result["no_label"] = {
            "precision": _r(_safe_div((none_true & none_pred).sum(), none_pred.sum())),
            "recall": _r(_safe_div((none_true & none_pred).sum(), none_true.sum())),
            "support": int(none_true.sum()),
        }
    else:
        result["accuracy"] = _r(accuracy_score(y_true, y_pred))
        result["confusion_matrix"] = {
            "labels": names,
            "rows_are": "true label",
            "matrix": confusion_matrix(y_true, y_pred, labels=names).tolist(),
        }
    return result


def evaluate_labels(data: LabeledData, predicted: dict[str, Sequence], schemes: Sequence[Scheme]) -> dict:
    """Metrics for every given scheme that the data labels; the others are skipped, not errors."""
    return {
        "schemes": {
            scheme.name: scheme_metrics(scheme, data.labels[scheme.name], predicted[scheme.name])
            for scheme in schemes
            if scheme.name in data.labels and scheme.name in predicted
        }
    }


def format_table(report: dict) -> str:
    """The metrics report as a plain-text table for terminals."""
    lines = []
    for name, m in report["schemes"].items():
        lines.append(f"{name}: macro-F1 {m['macro_f1']:.3f}  micro-F1 {m['micro_f1']:.3f}  (n={m['n']})")
        lines.append(f"  {'label':<26}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}")
        for label, row in m["per_label"].items():
            lines.append(
                f"  {label:<26}{row['precision']:>10.3f}{row['recall']:>10.3f}{row['f1']:>10.3f}{row['support']:>9}"
            )
        if "confusion_matrix" in m:
            cm = m["confusion_matrix"]
            lines.append("  confusion (rows: true, columns: predicted)")
            lines.append("  " + " " * 14 + "".join(f"{label[:12]:>13}" for label in cm["labels"]))
            for label, row in zip(cm["labels"], cm["matrix"], strict=True):
                lines.append(f"  {label[:12]:<14}" + "".join(f"{v:>13}" for v in row))
    return "\n".join(lines)


def _multi_hot(values: Sequence, names: list[str]) -> np.ndarray:
    matrix = np.zeros((len(values), len(names)), dtype=bool)
    for row, labels in enumerate(values):
        for label in labels:
            matrix[row, names.index(label)] = True
    return matrix


def _safe_div(a: float, b: float) -> float:
    return float(a) / float(b) if b else 0.0


def _r(x: float) -> float:
    return round(float(x), 4)
