"""Fitting a model with a cross-validated report: what `stance train` and `training/` run.

The report comes from k-fold cross-validation in which every fold re-tunes its own thresholds and
calibration on its training part only, so the figures never see the paragraphs they score.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold
from tqdm.auto import tqdm

from stance.cache import EmbeddingCache
from stance.dataset import LabeledData, check_trainable
from stance.errors import StanceError
from stance.heads import best_threshold
from stance.metrics import evaluate_labels
from stance.model import StanceModel, with_target
from stance.tuning import TuningConfig, tune_adapter

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    """Settings of one training run; saved in the model's manifest so the run can be repeated."""

    data: str
    codebook: str | None = None
    encoder: str = "all-MiniLM-L6-v2"
    precision: str = "auto"
    C: float = 1.0
    threshold_beta: float = 1.0
    cv: int = 5
    folds: int = 5
    random_state: int = 0
    held_out: list[str] = field(default_factory=list)
    tuning: TuningConfig | None = None
    threshold_folds: int = 0
    prevalence_from: str | None = None
    label_prevalence: dict[str, dict[str, float]] | None = None

    def model(self, codebook) -> StanceModel:
        return StanceModel(codebook=codebook, encoder=self.encoder, precision=self.precision, C=self.C,
                           cv=self.cv, random_state=self.random_state, threshold_beta=self.threshold_beta,
                           label_prevalence=self.label_prevalence)


@dataclass
class TrainResult:
    model: StanceModel
    report: dict
    embeddings: np.ndarray
    seconds: dict[str, float]


def stratification_key(data: LabeledData) -> np.ndarray:
    """One key per row combining its single-label classes and how many multi-label labels it has,
    so each fold resembles the whole; keys too rare to spread over the folds are pooled."""
    parts = []
    for scheme in data.schemes:
        values = data.labels[scheme.name]
        if scheme.multi_label:
            parts.append([min(len(v), 2) for v in values])
        else:
            parts.append(values)
    return np.array(["|".join(map(str, row)) for row in zip(*parts, strict=True)], dtype=object)


def fold_splitter(data: LabeledData, folds: int, random_state: int | None):
    keys = stratification_key(data)
    counts = Counter(keys)
    keys = np.array([k if counts[k] >= folds else "rare" for k in keys], dtype=object)
    if min(Counter(keys).values()) >= folds:
        return StratifiedKFold(folds, shuffle=True, random_state=random_state).split(keys, keys)
    return KFold(folds, shuffle=True, random_state=random_state).split(keys)


def cross_validate(
    model: StanceModel, data: LabeledData, embeddings: np.ndarray, folds: int = 5, progress: bool = False
) -> tuple[dict, dict[str, list]]:
    """Out-of-fold predictions for every row and the metrics they give."""
    predicted: dict[str, list] = {s.name: [None] * len(data) for s in data.schemes}
    splits = list(fold_splitter(data, folds, model.random_state))
    for train_rows, test_rows in tqdm(splits, desc="cross-validation", unit="fold", file=sys.stderr,
                                      disable=not progress, leave=False):
        fitted = clone(model).fit_embeddings(embeddings[train_rows], data.subset(train_rows))
        fold_labels = fitted.predict_labels(embeddings[test_rows])
        for name, values in fold_labels.items():
            for row, value in zip(test_rows, values, strict=True):
                predicted[name][row] = value
    report = evaluate_labels(data, predicted, data.schemes)
    report["protocol"] = (
        f"{folds}-fold stratified cross-validation over {len(data)} rows; thresholds and calibration are "
        "re-tuned inside each fold on its training part only."
    )
    return report, predicted


def choose_C(model: StanceModel, data: LabeledData, embeddings: np.ndarray, grid, folds: int = 3) -> float:
    """The inverse regularisation from `grid` with the best mean macro-F1 (over schemes) under k-fold
    cross-validation on `data`: head regularisation chosen by CV, on training data only."""
    scores = {}
    for C in grid:
        report, _ = cross_validate(clone(model).set_params(C=C), data, embeddings, folds)
        scores[C] = float(np.mean([m["macro_f1"] for m in report["schemes"].values()]))
    best = max(scores, key=scores.get)
    log.info("C by %d-fold CV: %s -> %s", folds, {k: round(v, 4) for k, v in scores.items()}, best)
    return best


def crossfit_thresholds(
    data: LabeledData,
    texts: list[str],
    model: StanceModel,
    tuning: TuningConfig,
    folds: int,
    workdir: Path,
    progress: bool = True,
) -> dict[str, dict[str, float]]:
    """Multi-label thresholds chosen on out-of-sample scores of a tuned encoder (`texts`: the rows as tuning
    sees them, targets marked).

    Thresholds tuned by CV on the final embeddings come from rows the adapter was trained on, which may
    score differently from new text. Here each fold's rows are embedded by an adapter tuned without them and
    scored by heads fitted without them, as new text will be; each label's cut-off maximises F-beta over
    those pooled scores. Costs `folds` extra tunings on a (folds-1)/folds share of the rows. On the default
    corpus it did not pay (training/README.md); it is for small data sets an adapter can memorise."""
    targets = data.targets if data.has_targets else None
    multi = [s for s in data.schemes if s.multi_label]
    scores = {s.name: np.zeros((len(data), len(s.label_names))) for s in multi}
    for k, (train_rows, test_rows) in enumerate(fold_splitter(data, folds, model.random_state)):
        part = data.subset(train_rows)
        adapter = tune_adapter(model.encoder, part, [texts[i] for i in train_rows], tuning,
                               workdir / f"adapter-fold{k}.safetensors", progress=progress)
        fold_model = clone(model).set_params(adapter=str(adapter))
        embeddings = fold_model.embed(data.texts, targets, progress=progress)
        fold_model.fit_embeddings(embeddings[train_rows], part)
        for name, proba in fold_model.predict_proba_embeddings(embeddings[test_rows]).items():
            if name in scores:
                scores[name][test_rows] = proba
    beta = model.threshold_beta
    return {s.name: {label: best_threshold(np.asarray(data.indicator(s.name))[:, j], scores[s.name][:, j], beta,
                                           prevalence=model.prevalence(s)[j])
                     for j, label in enumerate(s.label_names)}
            for s in multi}


def train(
    data: LabeledData,
    model: StanceModel,
    *,
    folds: int = 5,
    cache: EmbeddingCache | None = None,
    progress: bool = True,
    tuning: TuningConfig | None = None,
    threshold_folds: int = 0,
    workdir: Path | None = None,
) -> TrainResult:
    """Cross-validate (if `folds` > 1), then fit on all rows. With `tuning`, first train a LoRA
    adapter for the encoder on all rows (written under `workdir`) and fit the heads on its embeddings;
    with `threshold_folds` > 1 as well, the thresholds come from `crossfit_thresholds`."""
    check_trainable(data, max(folds, model.cv, threshold_folds))
    if threshold_folds and tuning is None:
        raise StanceError("threshold_folds cross-fits the encoder adapter, so it needs the tuned mode (--tune)")
    if threshold_folds == 1 or threshold_folds < 0:
        raise StanceError(f"threshold_folds is {threshold_folds}: use 0 (thresholds by CV) or 2 and more")
    seconds = {}
    thresholds = None
    if tuning is not None:
        texts = [with_target(t, g) for t, g in zip(data.texts, data.targets, strict=True)]
        if threshold_folds > 1:
            start = time.perf_counter()
            thresholds = crossfit_thresholds(data, texts, model, tuning, threshold_folds, Path(workdir or "."),
                                             progress)
            seconds["crossfit_thresholds"] = time.perf_counter() - start
        start = time.perf_counter()
        adapter = tune_adapter(model.encoder, data, texts, tuning,
                               Path(workdir or ".") / "adapter.safetensors", progress=progress)
        model.set_params(adapter=str(adapter))
        seconds["tune_encoder"] = time.perf_counter() - start
    start = time.perf_counter()
    targets = data.targets if data.has_targets else None
    embeddings = model.embed(data.texts, targets, cache=cache, progress=progress)
    seconds["encode"] = time.perf_counter() - start
    report: dict = {}
    if folds > 1:
        start = time.perf_counter()
        report, _ = cross_validate(model, data, embeddings, folds, progress)
        if tuning is not None:
            report["protocol"] += (" The encoder adapter was tuned on all rows before this cross-validation, "
                                   "so these figures are optimistic; held-out sets give the honest ones.")
        seconds["cross_validate"] = time.perf_counter() - start
    start = time.perf_counter()
    model.fit_embeddings(embeddings, data)
    if thresholds is not None:
        log.info("cross-fitted thresholds %s replace CV thresholds %s", thresholds, model.thresholds)
        model.set_thresholds(thresholds)
    seconds["fit"] = time.perf_counter() - start
    log.info("trained in %s", ", ".join(f"{k} {v:.1f}s" for k, v in seconds.items()))
    return TrainResult(model, report, embeddings, seconds)


def data_summary(data: LabeledData) -> dict:
    return {
        "source": Path(data.source).name,
        "rows": len(data),
        "sha256": data.sha256,
        "label_counts": data.label_counts(),
    }


def config_dict(config: TrainConfig) -> dict:
    return asdict(config)
