"""The linear heads that turn embeddings into labels, as scikit-learn estimators.

Multi-label schemes get one logistic regression per label with its own decision threshold, tuned by
cross-validation (`TunedThresholdClassifierCV`): labels are rare and unequally so, and a single 0.5
cut-off either floods "no frame" paragraphs with labels or misses the rare ones. Single-label schemes
get a logistic regression whose probabilities are calibrated by cross-validation
(`CalibratedClassifierCV`), so the scores can be read as probabilities.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import make_scorer
from sklearn.model_selection import StratifiedKFold, TunedThresholdClassifierCV
from sklearn.utils.validation import check_is_fitted, validate_data


def fbeta_score_fast(y_true, y_pred, beta: float = 1.0, negative_weight: float = 1.0) -> float:
    """F-beta of the positive class in plain numpy: threshold tuning calls it once per candidate threshold
    and fold, where `sklearn.metrics.fbeta_score`'s input validation would dominate the fit time.

    `negative_weight` counts each negative row that many times, as if negatives were that much more common
    (see `negative_weight`)."""
    y_true = np.asarray(y_true, dtype=bool)
    y_pred = np.asarray(y_pred, dtype=bool)
    true_positives = np.count_nonzero(y_true & y_pred)
    if not true_positives:
        return 0.0
    false_positives = np.count_nonzero(~y_true & y_pred)
    precision = true_positives / (true_positives + negative_weight * false_positives)
    recall = true_positives / np.count_nonzero(y_true)
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)


def negative_weight(y_true, prevalence: float | None) -> float:
    """The weight on negative rows that makes `y_true` look as if positives made up `prevalence` of it.

    Thresholds that maximise F-beta depend on how common a label is: where it is rarer than in the training
    rows, each false positive costs more precision, so the best cut-off is higher. Weighing the negatives
    chooses the cut-off for the share of positives the model will meet (None: the training share)."""
    share = float(np.mean(np.asarray(y_true, dtype=bool)))
    if prevalence is None or share in (0.0, 1.0):
        return 1.0
    if not 0.0 < prevalence < 1.0:
        raise ValueError(f"prevalence must lie strictly between 0 and 1, not {prevalence}")
    return (share / (1 - share)) * ((1 - prevalence) / prevalence)


def best_threshold(y_true, scores, beta: float = 1.0, candidates: int = 100, prevalence: float | None = None) -> float:
    """The cut-off on `scores` that maximises F-beta of `y_true` (at `prevalence`, see `negative_weight`),
    over evenly spaced candidates between the lowest and highest score (as `TunedThresholdClassifierCV`
    searches)."""
    scores = np.asarray(scores, dtype=float)
    weight = negative_weight(y_true, prevalence)
    grid = np.linspace(scores.min(), scores.max(), candidates)
    return float(grid[int(np.argmax([fbeta_score_fast(y_true, scores >= t, beta, weight) for t in grid]))])


def _folds(y: np.ndarray, cv: int, random_state: int | None) -> StratifiedKFold:
    """As many stratified folds as asked, but no more than the rarest class allows."""
    smallest = int(np.unique(y, return_counts=True)[1].min())
    if smallest < 2:
        raise ValueError(f"a class has {smallest} example(s); cross-validation needs at least 2")
    return StratifiedKFold(n_splits=min(cv, smallest), shuffle=True, random_state=random_state)


class MultiLabelHead(ClassifierMixin, BaseEstimator):
    """One logistic regression per label; each label's threshold maximises F-beta under CV.

    `beta` < 1 weighs precision above recall. `prevalence` (one share per label, None for the training
    share) chooses each threshold for the share of positives expected in the text to be scored, e.g. a
    label that is over-represented in training so the model has enough examples (see `negative_weight`).
    `fit(X, Y)` takes embeddings and a multi-hot matrix (rows x labels).
    """

    def __init__(
        self,
        C: float = 1.0,
        cv: int = 5,
        beta: float = 1.0,
        prevalence=None,
        class_weight: str | None = None,
        max_iter: int = 2000,
        random_state: int | None = 0,
    ) -> None:
        self.C = C
        self.cv = cv
        self.beta = beta
        self.prevalence = prevalence
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, Y):
        X, Y = validate_data(self, X, Y, multi_output=True, dtype=np.float64)
        Y = np.asarray(Y, dtype=int)
        if Y.ndim != 2:
            raise ValueError("Y must be a 2-D multi-hot matrix (rows x labels)")
        prevalence = [None] * Y.shape[1] if self.prevalence is None else list(self.prevalence)
        if len(prevalence) != Y.shape[1]:
            raise ValueError(f"prevalence has {len(prevalence)} values for {Y.shape[1]} labels")
        self.estimators_ = []
        for column, share in zip(Y.T, prevalence, strict=True):
            tuned = TunedThresholdClassifierCV(
                LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter),
                scoring=make_scorer(fbeta_score_fast, beta=self.beta,
                                    negative_weight=negative_weight(column, share)),
                cv=_folds(column, self.cv, self.random_state),
                random_state=self.random_state,
            )
            self.estimators_.append(tuned.fit(X, column))
        self.thresholds_ = np.array([est.best_threshold_ for est in self.estimators_])
        self.n_labels_ = Y.shape[1]
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each label, (rows x labels)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return np.column_stack([est.estimator_.predict_proba(X)[:, 1] for est in self.estimators_])

    def predict(self, X) -> np.ndarray:
        return (self.predict_proba(X) >= self.thresholds_).astype(int)


class SingleLabelHead(ClassifierMixin, BaseEstimator):
    """Logistic regression with cross-validated probability calibration; predicts the likeliest class."""

    def __init__(
        self,
        C: float = 1.0,
        cv: int = 5,
        method: str = "sigmoid",
        class_weight: str | None = "balanced",
        max_iter: int = 2000,
        random_state: int | None = 0,
    ) -> None:
        self.C = C
        self.cv = cv
        self.method = method
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float64)
        self.calibrated_ = CalibratedClassifierCV(
            LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter),
            method=self.method,
            cv=_folds(y, self.cv, self.random_state),
            ensemble=False,
        ).fit(X, y)
        self.classes_ = self.calibrated_.classes_
        return self

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self.calibrated_.predict_proba(X)

    def predict(self, X) -> np.ndarray:
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
