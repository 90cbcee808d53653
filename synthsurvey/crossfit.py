"""Cross-fitted predictions: no pilot row is predicted by a model trained on it.

The pilot is split at random into K folds. Fold k's rows are predicted by the model fit on
the other K-1 folds; everybody outside the pilot gets the average of the K fold models'
predictions (cross-prediction-powered inference, Zrnic & Candes 2024). Without this the
pilot would both train the debiaser and grade it, shrinking the residuals the confidence
intervals are built from.
"""

import numpy as np

from .errors import SynthsurveyError


def fold_assignment(n_pilot, folds, seed):
    """Fold number (0..folds-1) of each pilot row, balanced and shuffled with ``seed``."""
    if not 2 <= folds <= n_pilot:
        raise SynthsurveyError(f"folds must be between 2 and the pilot size ({n_pilot}), got {folds}")
    return np.random.default_rng(seed).permutation(n_pilot) % folds


def fold_models(fit, folds=5, seed=0):
    """(pilot row positions, their fold numbers, the K models): model k is fit on the pilot rows
    outside fold k. Cached on ``fit`` per (folds, seed), so every estimate made from one fit
    (means, shares, coefficients, fidelity axes) uses the same K models, fit once."""
    cache = fit.__dict__.setdefault("_fold_models", {})
    key = (int(folds), int(seed))
    if key not in cache:
        pilot_rows = np.flatnonzero(fit.is_pilot)
        fold = fold_assignment(len(pilot_rows), folds, seed)
        models = []
        for k in range(folds):
            train = fit.is_pilot.copy()
            train[pilot_rows[fold == k]] = False
            models.append(fit.fit_rows(train))
        cache[key] = (pilot_rows, fold, models)
    return cache[key]


def crossfit_predictions(fit, kind="response", folds=5, seed=0):
    """Predictions for every row of ``fit.frame``: an (N,) array for ``kind="response"`` (the
    expected answer in item units), an (N, C) array of level probabilities for ``"probs"``."""
    pilot_rows, fold, models = fold_models(fit, folds, seed)
    matrix = fit.design_matrix()
    outside = ~fit.is_pilot
    result = None
    for k, fitted in enumerate(models):
        values = fitted.mean(matrix) if kind == "response" else fitted.probs(matrix)
        if result is None:
            result = np.zeros_like(values)
        held_out = pilot_rows[fold == k]
        result[held_out] = values[held_out]
        result[outside] += values[outside] / folds
    return result


def insample_predictions(fit, kind="response"):
    """Predictions of the model fit on the whole pilot (for comparison only: pilot rows are
    then predicted by a model trained on them, and PPI intervals undercover)."""
    matrix = fit.design_matrix()
    return fit.fitted.mean(matrix) if kind == "response" else fit.fitted.probs(matrix)


def predictions(fit, kind="response", cross_fit=True, folds=5, seed=0):
    """Cross-fitted (or, with ``cross_fit=False``, in-sample) predictions of ``fit`` for its
    population frame, cached on ``fit``; the array is read-only because it is shared."""
    cache = fit.__dict__.setdefault("_prediction_cache", {})
    key = (kind, bool(cross_fit), int(folds), int(seed))
    if key not in cache:
        values = crossfit_predictions(fit, kind, folds, seed) if cross_fit else insample_predictions(fit, kind)
        values.setflags(write=False)
        cache[key] = values
    return cache[key]
