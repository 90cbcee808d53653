"""Accuracy metrics for individual predictions and distances between distributions.

Distances compare two probability mass functions on the same ordered levels
(arrays of shape (C,) that sum to 1). Distances between two *samples'* empirical
distributions are biased upward by sampling noise: compare them with the same
distance between two halves of the human sample (see ``fidelity``), not with 0.
"""

import numpy as np
import scipy.spatial.distance
import scipy.stats

from ..common.errors import SynthsurveyError
from ..featurize.scales import level_codes


def _pair(truth, predicted):
    truth, predicted = np.asarray(truth, dtype=float), np.asarray(predicted, dtype=float)
    if truth.shape != predicted.shape:
        raise SynthsurveyError(f"shapes differ: {truth.shape} vs {predicted.shape}")
    return truth, predicted


def rmse(truth, predicted):
    """Root mean squared error, in the answers' units."""
    truth, predicted = _pair(truth, predicted)
    return float(np.sqrt(np.mean((truth - predicted) ** 2)))


def mae(truth, predicted):
    """Mean absolute error, in the answers' units."""
    truth, predicted = _pair(truth, predicted)
    return float(np.mean(np.abs(truth - predicted)))


def error_reduction(truth, predicted, base):
    """Relative RMSE reduction against ``base`` predictions: 1 - rmse(pred)/rmse(base)."""
    return 1.0 - rmse(truth, predicted) / rmse(truth, base)


def accuracy(truth, predicted, within=0):
    """Share of predictions within ``within`` of the truth (0: exact; 1: within one level)."""
    truth, predicted = _pair(truth, predicted)
    return float(np.mean(np.abs(truth - predicted) <= within + 1e-9))


def _probs_and_codes(levels, truth, probs):
    levels = np.asarray(levels, dtype=float)
    probs = np.asarray(probs, dtype=float)
    truth = np.asarray(truth, dtype=float)
    if probs.ndim != 2 or probs.shape[1] != len(levels) or probs.shape[0] != len(truth):
        raise SynthsurveyError(f"probs must have shape ({len(truth)}, {len(levels)}), got {probs.shape}")
    return probs, level_codes(truth, levels, where="truth")


def ranked_probability_score(truth, probs, levels):
    """Mean ranked probability score of predictive pmfs ``probs`` (n, C) against answers
    ``truth`` (n,) on ordered ``levels``: mean over people of sum_k (F_k - 1[y <= k])^2 / (C-1)."""
    probs, codes = _probs_and_codes(levels, truth, probs)
    cumulative = np.cumsum(probs, axis=1)[:, :-1]
    observed = (codes[:, None] <= np.arange(probs.shape[1] - 1)[None, :]).astype(float)
    return float(np.mean(np.sum((cumulative - observed) ** 2, axis=1) / (probs.shape[1] - 1)))


def brier(truth, probs, levels):
    """Mean multi-category Brier score: mean over people of sum_k (p_k - 1[y = k])^2."""
    probs, codes = _probs_and_codes(levels, truth, probs)
    onehot = np.eye(probs.shape[1])[codes]
    return float(np.mean(np.sum((probs - onehot) ** 2, axis=1)))


def _pmfs(p, q):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    if p.shape != q.shape or p.ndim != 1:
        raise SynthsurveyError(f"pmfs must be 1-d of equal length, got {p.shape} and {q.shape}")
    for name, pmf in (("first", p), ("second", q)):
        if np.any(pmf < -1e-12) or abs(pmf.sum() - 1) > 1e-6:
            raise SynthsurveyError(f"the {name} pmf must be non-negative and sum to 1 (sums to {pmf.sum():.6g})")
    return np.clip(p, 0, None), np.clip(q, 0, None)


def wasserstein(p, q, levels=None):
    """Wasserstein-1 distance between pmfs on ordered levels (default 1..C), in level units."""
    p, q = _pmfs(p, q)
    levels = np.arange(1, len(p) + 1) if levels is None else np.asarray(levels, dtype=float)
    return float(scipy.stats.wasserstein_distance(levels, levels, p, q))


def opinion_alignment(p, q):
    """1 - W1/(C-1) with levels 1..C (Santurkar et al. 2023): 1 is identical, 0 maximally apart.
    Undefined for fewer than 2 levels, which raises."""
    if len(p) < 2:
        raise SynthsurveyError(f"opinion alignment needs pmfs on at least 2 levels, got {len(p)}")
    p, q = _pmfs(p, q)
    # W1 on levels 1..C is the summed gap of the cumulative pmfs (the cheap form: group
    # calibration evaluates this inside an optimiser)
    return 1.0 - float(np.abs(np.cumsum(p) - np.cumsum(q))[:-1].sum()) / (len(p) - 1)


def total_variation(p, q):
    """Total variation distance: half the L1 distance between the pmfs, in [0, 1]."""
    p, q = _pmfs(p, q)
    return float(0.5 * np.abs(p - q).sum())


def ks_distance(p, q):
    """Kolmogorov-Smirnov distance: the largest gap between the two cumulative pmfs."""
    p, q = _pmfs(p, q)
    return float(np.max(np.abs(np.cumsum(p) - np.cumsum(q))))


def js_distance(p, q):
    """Jensen-Shannon distance with base-2 logarithms, in [0, 1] (scipy.spatial.distance.jensenshannon)."""
    p, q = _pmfs(p, q)
    return float(scipy.spatial.distance.jensenshannon(p, q, base=2))


def variance_ratio(reference, other):
    """Variance of ``other`` over variance of ``reference`` (samples, ddof=1); < 1 means compressed."""
    reference, other = np.asarray(reference, dtype=float), np.asarray(other, dtype=float)
    return float(np.var(other, ddof=1) / np.var(reference, ddof=1))


def distances(p, q):
    """Every distribution distance between pmfs ``p`` and ``q`` on levels 1..C, as a dict."""
    return {
        "wasserstein": wasserstein(p, q),
        "opinion_alignment": opinion_alignment(p, q),
        "total_variation": total_variation(p, q),
        "ks": ks_distance(p, q),
        "js_distance": js_distance(p, q),
    }
