"""Cross-fitted predictions: no pilot row is predicted by a model trained on it.

The pilot is split at random into K folds, of whole clusters when the fit's pilot design has
them (a respondent's rows never straddle folds, so no row is predicted by a model trained on
its own respondent's other answers). Fold k's rows are predicted by the model fit on the other
K-1 folds; everybody outside the pilot gets the average of the K fold models'
predictions (cross-prediction-powered inference, Zrnic & Candes 2024). Without this the
pilot would both train the debiaser and grade it, shrinking the residuals the confidence
intervals are built from.

The K fold models and the predictions made from them are cached on the results object, in
its ``CrossFitCache`` (created with it, by design), so every estimate made from one fit
(means, shares, coefficients, fidelity axes) uses the same K models, fit once.
"""

import numpy as np
import pandas as pd

from ..common.checks import check_count
from ..common.errors import SynthsurveyError

KINDS = ("response", "probs")


class CrossFitCache:
    """Fold models by (folds, seed) and predictions by (kind, cross_fit, folds, seed) of one
    fit. Cached arrays are read-only: every estimate shares them."""

    def __init__(self):
        self.fold_models = {}
        self.predictions = {}


def fold_assignment(n_pilot, folds, seed, groups=None, strata=None, weights=None):
    """Fold number (0..folds-1) of each pilot row, balanced and shuffled with ``seed``; with
    ``groups`` (an integer code per pilot row, e.g. its cluster) whole groups share a fold and the
    folds are balanced in groups. With ``strata`` (a code per row) and ``weights`` (a sampling
    weight per row) the units are dealt to the folds in turn within each stratum, in order of
    weight: every fold gets its share of every stratum and of the weight, so that each fold's
    share of the design-weighted pilot is 1/K and the fold models' errors cancel between the
    population term and the rectifier as they do for a simple random pilot."""
    folds = check_count(folds, "folds", minimum=2)
    rng = np.random.default_rng(seed)
    if groups is None and strata is None and weights is None:
        if folds > n_pilot:
            raise SynthsurveyError(f"folds must be between 2 and the pilot size ({n_pilot}), got {folds}")
        return rng.permutation(n_pilot) % folds
    labels, codes = np.unique(np.arange(n_pilot) if groups is None else groups, return_inverse=True)
    if folds > len(labels):
        what = "pilot size" if groups is None else "number of pilot clusters"
        raise SynthsurveyError(f"folds must be between 2 and the {what} ({len(labels)}), got {folds}")
    order = rng.permutation(len(labels))
    if strata is not None or weights is not None:
        first = np.unique(codes, return_index=True)[1]
        unit_stratum = np.zeros(len(labels)) if strata is None else np.asarray(strata)[first]
        unit_weight = np.zeros(len(labels)) if weights is None else np.asarray(weights, dtype=float)[first]
        order = order[np.lexsort((unit_weight[order], unit_stratum[order]))]
    fold_of_unit = np.empty(len(labels), dtype=int)
    fold_of_unit[order] = np.arange(len(labels)) % folds
    return fold_of_unit[codes]


def fold_models(fit, folds=5, seed=0):
    """(pilot row positions, their fold numbers, the K fitted families): model k is fit on the
    pilot rows outside fold k (folds of whole clusters, balanced within strata and in weight under
    the fit's pilot design). Cached on ``fit.crossfit_cache``."""
    key = (int(folds), int(seed))
    cache = fit.crossfit_cache.fold_models
    if key not in cache:
        pilot_rows = np.flatnonzero(fit.is_pilot)
        design = fit.pilot_design
        groups = None if design.cluster is None else design.cluster_codes(fit.frame)[pilot_rows]
        strata = None if design.strata is None else pd.factorize(fit.frame[design.strata])[0][pilot_rows]
        probabilities = design.probabilities(fit.frame)
        weights = None if probabilities is None else 1.0 / probabilities[pilot_rows]
        fold = fold_assignment(len(pilot_rows), folds, seed, groups, strata, weights)
        models = []
        for k in range(folds):
            train = fit.is_pilot.copy()
            train[pilot_rows[fold == k]] = False
            models.append(fit.fit_rows(train))
        cache[key] = (pilot_rows, fold, models)
    return cache[key]


def _values(fitted, matrix, kind):
    return fitted.mean(matrix) if kind == "response" else fitted.probs(matrix)


def crossfit_predictions(fit, kind="response", folds=5, seed=0):
    """Predictions for every row of ``fit.frame``: an (N,) array for ``kind="response"`` (the
    expected answer in item units), an (N, C) array of level probabilities for ``"probs"``."""
    pilot_rows, fold, models = fold_models(fit, folds, seed)
    matrix = fit.design_matrix()
    outside = ~fit.is_pilot
    result = None
    for k, fitted in enumerate(models):
        values = _values(fitted, matrix, kind)
        if result is None:
            result = np.zeros_like(values)
        held_out = pilot_rows[fold == k]
        result[held_out] = values[held_out]
        result[outside] += values[outside] / folds
    return result


def predictions(fit, kind="response", cross_fit=True, folds=5, seed=0):
    """Cross-fitted (or, with ``cross_fit=False``, in-sample: pilot rows predicted by the model fit
    on them, for comparison only, since PPI intervals then undercover) predictions of ``fit``
    for its population frame, cached on ``fit``; the array is read-only because it is shared."""
    if kind not in KINDS:
        raise SynthsurveyError(f"kind {kind!r} is not one of {KINDS}")
    key = (kind, bool(cross_fit), int(folds), int(seed))
    cache = fit.crossfit_cache.predictions
    if key not in cache:
        if cross_fit:
            values = crossfit_predictions(fit, kind, folds, seed)
        else:
            values = _values(fit.fitted, fit.design_matrix(), kind)
        values.setflags(write=False)
        cache[key] = values
    return cache[key]
