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


def fbeta_score_fast(y_true, y_pred, beta: float = 1.0) -> float:
    """F-beta of the positive class in plain numpy: threshold tuning calls it once per candidate threshold
    and fold, where `sklearn.metrics.fbeta_score`'s input validation would dominate the fit time."""
    y_true = np.asarray(y_true, dtype=bool)
    y_pred = np.asarray(y_pred, dtype=bool)
    true_positives = np.count_nonzero(y_true & y_pred)
    if not true_positives:
        return 0.0
    precision = true_positives / np.count_nonzero(y_pred)
    recall = true_positives / np.count_nonzero(y_true)
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)


def best_threshold(y_true, scores, beta: float = 1.0, candidates: int = 100) -> float:
    """The cut-off on `scores` that maximises F-beta of `y_true`, over evenly spaced candidates between
    the lowest and highest score (as `TunedThresholdClassifierCV` searches)."""
    scores = np.asarray(scores, dtype=float)
    grid = np.linspace(scores.min(), scores.max(), candidates)
    return float(grid[int(np.argmax([fbeta_score_fast(y_true, scores >= t, beta) for t in grid]))])


def _folds(y: np.ndarray, cv: int, random_state: int | None) -> StratifiedKFold:
    """As many stratified folds as asked, but no more than the rarest class allows."""
    smallest = int(np.unique(y, return_counts=True)[1].min())
    if smallest < 2:
        raise ValueError(f"a class has {smallest} example(s); cross-validation needs at least 2")
    return StratifiedKFold(n_splits=min(cv, smallest), shuffle=True, random_state=random_state)


class MultiLabelHead(ClassifierMixin, BaseEstimator):
    """One logistic regression per label; each label's threshold maximises F-beta under CV.

    `beta` < 1 weighs precision above recall: thresholds tuned on the training distribution are too
    permissive on real text, where more paragraphs sit near the boundary (see training/README.md).
    `fit(X, Y)` takes embeddings and a multi-hot matrix (rows x labels).
    """

    def __init__(
        self,
        C: float = 1.0,
        cv: int = 5,
        beta: float = 1.0,
        class_weight: str | None = None,
        max_iter: int = 2000,
        random_state: int | None = 0,
    ) -> None:
        self.C = C
        self.cv = cv
        self.beta = beta
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, Y):
        X, Y = validate_data(self, X, Y, multi_output=True, dtype=np.float64)
        Y = np.asarray(Y, dtype=int)
        if Y.ndim != 2:
            raise ValueError("Y must be a 2-D multi-hot matrix (rows x labels)")
        self.estimators_ = []
        for column in Y.T:
            tuned = TunedThresholdClassifierCV(
                LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter),
                scoring=make_scorer(fbeta_score_fast, beta=self.beta),
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
