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
    outside fold k."""
    pilot_rows = np.flatnonzero(fit.is_pilot)
    fold = fold_assignment(len(pilot_rows), folds, seed)
    models = []
    for k in range(folds):
        train = fit.is_pilot.copy()
        train[pilot_rows[fold == k]] = False
        models.append(fit.fit_rows(train))
    return pilot_rows, fold, models


def crossfit_predictions(fit, kind="response", folds=5, seed=0, fold_fits=None):
    """Predictions for every row of ``fit.frame``: an (N,) array for ``kind="response"`` (the
    expected answer in item units), an (N, C) array of level probabilities for ``"probs"``.
    fold_fits: the result of ``fold_models(fit, folds, seed)`` when the caller has it already."""
    pilot_rows, fold, models = fold_fits or fold_models(fit, folds, seed)
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
