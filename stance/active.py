"""Choosing which paragraphs to label next: those the model is least sure of (uncertainty sampling).

A paragraph is uncertain when some label's probability sits close to its decision threshold (for
multi-label schemes) or when the top two classes are close (single-label schemes). Labeling those
first moves the decision boundaries most per label spent.
"""

from __future__ import annotations

import numpy as np


def uncertainty(model, embeddings: np.ndarray) -> np.ndarray:
    """Per row, 1 minus the smallest normalised margin to a decision over all schemes (1 = a coin toss)."""
    margins = []
    probabilities = model.predict_proba_embeddings(embeddings)
    thresholds = model.thresholds
    for scheme in model.schemes:
        p = probabilities[scheme.name]
        if scheme.multi_label:
            t = np.array([thresholds[scheme.name][label] for label in scheme.label_names])
            span = np.where(p >= t, 1 - t, t)
            margins.append(np.min(np.abs(p - t) / np.maximum(span, 1e-9), axis=1))
        else:
            top_two = np.sort(p, axis=1)[:, -2:]
            margins.append(top_two[:, 1] - top_two[:, 0])
    return 1.0 - np.min(np.column_stack(margins), axis=1)


def most_uncertain(model, embeddings: np.ndarray, k: int) -> list[int]:
    """Row indices of the `k` most uncertain rows, most uncertain first."""
    scores = uncertainty(model, embeddings)
    return [int(i) for i in np.argsort(-scores, kind="stable")[:k]]
