"""Evidence for a prediction: the labeled training paragraphs nearest to it in embedding space.

A linear head on embeddings has no rationale to quote, but its neighbours do: if the three closest
labeled paragraphs all carry a frame, the user sees why the model leans that way, and when they do
not, the user sees a prediction to distrust.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stance.cache import EmbeddingCache
from stance.dataset import LabeledData


@dataclass(frozen=True)
class Neighbour:
    row: int
    id: str
    text: str
    similarity: float
    labels: dict[str, list[str]]

    def to_dict(self) -> dict:
        return {"id": self.id, "text": self.text, "similarity": self.similarity, "labels": self.labels}


class EvidenceIndex:
    """Labeled paragraphs and their embeddings under one model's encoder."""

    def __init__(self, model, data: LabeledData, *, cache: EmbeddingCache | None = None,
                 progress: bool = False) -> None:
        self.data = data
        self.embeddings = model.embed(data.texts, data.targets if data.has_targets else None, cache=cache,
                                      progress=progress)

    def __len__(self) -> int:
        return len(self.data)

    def nearest(self, embeddings: np.ndarray, k: int = 3) -> list[list[Neighbour]]:
        """The `k` most cosine-similar labeled paragraphs for each row of `embeddings`."""
        if not len(self.data) or not len(embeddings):
            return [[] for _ in range(len(embeddings))]
        similarity = embeddings @ self.embeddings.T
        k = min(k, similarity.shape[1])
        top = np.argsort(-similarity, axis=1)[:, :k]
        return [[self._neighbour(int(j), float(similarity[i, j])) for j in row] for i, row in enumerate(top)]

    def _neighbour(self, row: int, similarity: float) -> Neighbour:
        labels = {
            name: list(values[row]) if isinstance(values[row], tuple) else [values[row]]
            for name, values in self.data.labels.items()
        }
        return Neighbour(row, self.data.ids[row], self.data.texts[row], similarity, labels)
