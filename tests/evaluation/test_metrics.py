"""Metrics against closed forms and scipy."""

import numpy as np
import pytest
import scipy.stats

import synthsurvey as ss
from synthsurvey.evaluation import metrics

P = np.array([0.1, 0.2, 0.4, 0.2, 0.1])
Q = np.array([0.3, 0.3, 0.2, 0.1, 0.1])


def test_point_metrics():
    truth, pred, base = np.array([1, 2, 3, 4.0]), np.array([1, 2, 2, 5.0]), np.array([3, 3, 3, 3.0])
    assert metrics.rmse(truth, pred) == pytest.approx(np.sqrt(0.5))
    assert metrics.mae(truth, pred) == pytest.approx(0.5)
    assert metrics.error_reduction(truth, pred, base) == pytest.approx(1 - np.sqrt(0.5) / np.sqrt(1.5))
    assert metrics.accuracy(truth, pred) == 0.5
    assert metrics.accuracy(truth, pred, within=1) == 1.0


def test_wasserstein_is_cdf_gap_area():
    expected = np.abs(np.cumsum(P) - np.cumsum(Q))[:-1].sum()
    assert metrics.wasserstein(P, Q) == pytest.approx(expected)
    assert metrics.opinion_alignment(P, Q) == pytest.approx(1 - expected / 4)
    assert metrics.opinion_alignment(P, P) == 1
    assert metrics.opinion_alignment([1, 0, 0, 0, 0], [0, 0, 0, 0, 1]) == 0


def test_other_distances():
    assert metrics.total_variation(P, Q) == pytest.approx(0.5 * np.abs(P - Q).sum())
    assert metrics.ks_distance(P, Q) == pytest.approx(np.max(np.abs(np.cumsum(P) - np.cumsum(Q))))
    m = (P + Q) / 2
    js = np.sqrt(0.5 * scipy.stats.entropy(P, m, base=2) + 0.5 * scipy.stats.entropy(Q, m, base=2))
    assert metrics.js_distance(P, Q) == pytest.approx(js)
    assert metrics.js_distance([1, 0], [0, 1]) == pytest.approx(1)
    every = metrics.distances(P, Q)
    assert set(every) == {"wasserstein", "opinion_alignment", "total_variation", "ks", "js_distance"}


def test_scores():
    levels = [1, 2, 3]
    probs = np.array([[1, 0, 0], [0.2, 0.3, 0.5]])
    truth = np.array([1, 3])
    # RPS of person 2: cdf (0.2, 0.5) vs observed (0, 0): (0.04 + 0.25) / 2
    assert metrics.ranked_probability_score(truth, probs, levels) == pytest.approx((0 + 0.29 / 2) / 2)
    assert metrics.brier(truth, probs, levels) == pytest.approx((0 + 0.04 + 0.09 + 0.25) / 2)
    x = np.array([1.0, 2, 3, 4])
    assert metrics.variance_ratio(x, x / 2) == pytest.approx(0.25)


def test_bad_pmfs_are_refused():
    with pytest.raises(ss.SynthsurveyError, match="sum to 1"):
        metrics.total_variation([0.5, 0.6], [0.5, 0.5])
    with pytest.raises(ss.SynthsurveyError, match="equal length"):
        metrics.total_variation([0.5, 0.5], [1, 0, 0])
    with pytest.raises(ss.SynthsurveyError, match="not among the levels"):
        metrics.brier([1.5], np.array([[0.5, 0.5]]), [1, 2])
