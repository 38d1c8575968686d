import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import fbeta_score

from stance.heads import MultiLabelHead, SingleLabelHead, best_threshold, fbeta_score_fast, negative_weight


@pytest.fixture(scope="module")
def toy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 12))
    Y = np.column_stack([X[:, 0] > 0.8, X[:, 1] > 0.3, X[:, 2] > 1.2]).astype(int)
    y = np.array(["a", "b", "c"])[np.argmax(X[:, 3:6] + [0.0, 0.3, 0.6], axis=1)]
    return X, Y, y


def test_multi_label_head_learns_and_tunes_one_threshold_per_label(toy):
    X, Y, _ = toy
    head = MultiLabelHead(C=10.0, cv=3)
    assert head.fit(X, Y) is head
    assert head.thresholds_.shape == (3,) and head.n_labels_ == 3
    assert np.all((head.thresholds_ > 0) & (head.thresholds_ < 1))
    proba = head.predict_proba(X)
    assert proba.shape == (240, 3) and np.all((proba >= 0) & (proba <= 1))
    assert np.array_equal(head.predict(X), (proba >= head.thresholds_).astype(int))
    assert (head.predict(X) == Y).mean() > 0.85


def test_single_label_head_gives_calibrated_distributions(toy):
    X, _, y = toy
    head = SingleLabelHead(cv=3).fit(X, y)
    proba = head.predict_proba(X)
    assert list(head.classes_) == ["a", "b", "c"]
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert (head.predict(X) == y).mean() > 0.7


@pytest.mark.parametrize("head", [MultiLabelHead(C=2.0, cv=4), SingleLabelHead(C=3.0, method="isotonic")])
def test_scikit_learn_conventions(head, toy):
    copy = clone(head)
    assert copy.get_params() == head.get_params()
    assert not hasattr(copy, "estimators_") and not hasattr(copy, "calibrated_")
    with pytest.raises(NotFittedError):
        copy.predict(toy[0])


def test_folds_shrink_to_the_rarest_class_and_refuse_a_singleton():
    X = np.random.default_rng(1).normal(size=(30, 4))
    Y = np.zeros((30, 1), dtype=int)
    Y[:3] = 1
    head = MultiLabelHead(cv=5).fit(X, Y)
    assert head.estimators_[0].cv.n_splits == 3
    Y[1:] = 0
    with pytest.raises(ValueError, match="at least 2"):
        MultiLabelHead().fit(X, Y)


def test_feature_count_is_checked(toy):
    X, Y, _ = toy
    head = MultiLabelHead(cv=3).fit(X, Y)
    with pytest.raises(ValueError, match="features"):
        head.predict(X[:, :5])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=50),
       st.sampled_from([0.5, 0.7, 1.0, 2.0]))
def test_fast_fbeta_equals_scikit_learn(pairs, beta):
    y_true, y_pred = zip(*pairs, strict=True)
    expected = fbeta_score(y_true, y_pred, beta=beta, zero_division=0)
    assert fbeta_score_fast(y_true, y_pred, beta) == pytest.approx(expected)


def test_a_smaller_beta_raises_the_thresholds_on_toy_data(toy):
    X, Y, _ = toy
    recall_first = MultiLabelHead(C=10.0, cv=3, beta=2.0).fit(X, Y).thresholds_
    precision_first = MultiLabelHead(C=10.0, cv=3, beta=0.5).fit(X, Y).thresholds_
    assert np.all(precision_first >= recall_first)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.floats(0, 1)), min_size=2, max_size=60)
       .filter(lambda rows: any(y for y, _ in rows)),
       st.sampled_from([0.5, 1.0, 2.0]))
def test_best_threshold_is_the_best_of_its_grid(rows, beta):
    y = np.array([r[0] for r in rows])
    scores = np.array([r[1] for r in rows])
    chosen = best_threshold(y, scores, beta)
    grid = np.linspace(scores.min(), scores.max(), 100)
    best = max(fbeta_score_fast(y, scores >= t, beta) for t in grid)
    assert scores.min() <= chosen <= scores.max()
    assert fbeta_score_fast(y, scores >= chosen, beta) == pytest.approx(best)


def test_best_threshold_separates_separable_scores():
    y = np.array([0, 0, 0, 1, 1])
    chosen = best_threshold(y, np.array([0.1, 0.2, 0.3, 0.7, 0.9]))
    assert 0.3 < chosen <= 0.7


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=40),
       st.integers(1, 4), st.sampled_from([0.5, 1.0, 2.0]))
def test_negative_weight_counts_each_negative_that_many_times(pairs, weight, beta):
    y_true, y_pred = map(np.array, zip(*pairs, strict=True))
    repeat = np.where(y_true, 1, weight)
    expected = fbeta_score(np.repeat(y_true, repeat), np.repeat(y_pred, repeat), beta=beta, zero_division=0)
    assert fbeta_score_fast(y_true, y_pred, beta, negative_weight=weight) == pytest.approx(expected)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 50), st.integers(1, 50), st.floats(0.01, 0.99))
def test_weighted_negatives_give_the_asked_prevalence(positives, negatives, prevalence):
    y = np.array([1] * positives + [0] * negatives)
    weight = negative_weight(y, prevalence)
    assert positives / (positives + weight * negatives) == pytest.approx(prevalence)
    assert negative_weight(y, None) == 1.0


def test_a_rarer_label_gets_a_higher_threshold(toy):
    X, Y, _ = toy
    as_trained = MultiLabelHead(C=10.0, cv=3).fit(X, Y)
    rarer = MultiLabelHead(C=10.0, cv=3, prevalence=[None, Y[:, 1].mean() / 3, Y[:, 2].mean() / 3]).fit(X, Y)
    assert rarer.thresholds_[0] == as_trained.thresholds_[0]
    assert np.all(rarer.thresholds_[1:] >= as_trained.thresholds_[1:])
    assert rarer.thresholds_[1:].sum() > as_trained.thresholds_[1:].sum()
    with pytest.raises(ValueError, match="3 labels"):
        MultiLabelHead(prevalence=[0.1]).fit(X, Y)
    with pytest.raises(ValueError, match="strictly between"):
        MultiLabelHead(prevalence=[0.1, 1.5, None]).fit(X, Y)
