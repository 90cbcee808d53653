"""Debiasing regression families, each a thin layer over a statsmodels model.

A fitted family gives, for any design matrix with the training columns:
``mean`` (the expected human answer, in the item's own units; for ``quantreg``
the conditional q-quantile) and, for discrete families, ``probs`` (an (n, C)
array over the item's levels that sums to 1 by row).
"""

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

from .errors import SynthsurveyError

FAMILIES = ("ols", "ordinal", "logit", "mnlogit", "quantreg")
PROBABILITY_FAMILIES = ("ordinal", "logit", "mnlogit")  # those that predict level probabilities
LINKS = {"logit": "logit", "probit": "probit"}


def n_parameters(family, n_columns, n_levels):
    """Number of free parameters of a family with ``n_columns`` design columns (incl. intercept)."""
    if family == "ordinal":
        return n_columns - 1 + n_levels - 1
    if family == "mnlogit":
        return n_columns * (n_levels - 1)
    return n_columns


class FittedFamily:
    """A fitted statsmodels result plus the item's levels (empty for continuous items)."""

    def __init__(self, family, result, levels, observed, columns):
        self.family = family
        self.result = result
        self.levels = np.asarray(levels, dtype=float)
        self.observed = observed  # positions of the levels the training answers used
        self.columns = list(columns)

    @property
    def params(self):
        """Coefficients as a Series. mnlogit: indexed 'level:term' (level against the lowest
        answered level). ordinal: the slopes, then the first cut-point ``'1|2'`` and the log
        gaps between successive cut-points ``'log(2|3 - 1|2)'`` (statsmodels' parametrisation)."""
        return self._named(self.result.params)

    @property
    def std_errors(self):
        return self._named(self.result.bse)

    def covariance(self):
        """Covariance matrix of ``params`` (DataFrame labelled like ``params``)."""
        cov = np.asarray(self.result.cov_params(), dtype=float)
        if self.family == "mnlogit":  # statsmodels orders equation-major; params are term-major
            n_terms = len(self.columns)
            n_equations = cov.shape[0] // n_terms
            order = [eq * n_terms + t for t in range(n_terms) for eq in range(n_equations)]
            cov = cov[np.ix_(order, order)]
        names = list(self.params.index)
        return pd.DataFrame(cov, index=names, columns=names)

    def _named(self, values):
        values = _flatten(values)
        if self.family == "ordinal":
            values.index = [self._threshold_name(name) for name in values.index]
        if self.family == "mnlogit":
            used = self.levels[self.observed]
            values.index = [f"{used[int(level)]:g}:{term}" for level, term in
                            (name.split(":", 1) for name in values.index)]
        return values

    def _threshold_name(self, name):
        parts = str(name).split("/")
        if len(parts) != 2 or not all(p.isdigit() for p in parts) or name in self.columns:
            return name
        used = self.levels[self.observed]
        low, high = int(parts[0]), int(parts[1])
        cut = f"{used[low]:g}|{used[high]:g}"
        if low == 0:
            return cut
        return f"log({cut} - {used[low - 1]:g}|{used[low]:g})"

    def linear_design(self, matrix):
        if self.family == "ordinal":
            return matrix.drop(columns="Intercept", errors="ignore")
        return matrix

    def probs(self, matrix):
        """(n, C) predicted probabilities over all levels; levels unseen in training get 0."""
        if self.family in ("ols", "quantreg"):
            raise SynthsurveyError(
                f"family {self.family!r} gives no per-level probabilities; use 'ordinal', 'logit' or 'mnlogit'"
            )
        design = self.linear_design(matrix)
        if self.family == "logit":
            p = np.asarray(self.result.predict(design), dtype=float)
            fitted = np.column_stack([1 - p, p])
        else:
            fitted = np.asarray(self.result.predict(design), dtype=float)
        probs = np.zeros((len(matrix), len(self.levels)))
        probs[:, self.observed] = fitted
        return probs

    def mean(self, matrix):
        """Expected answer (ols, discrete families) or conditional quantile (quantreg), shape (n,)."""
        if self.family in ("ols", "quantreg"):
            return np.asarray(self.result.predict(matrix), dtype=float)
        return self.probs(matrix) @ self.levels


def _flatten(values):
    if isinstance(values, pd.DataFrame):
        stacked = values.stack()
        stacked.index = [f"{position + 1}:{term}" for term, position in stacked.index]
        return stacked
    return pd.Series(values)


def fit_family(family, response, matrix, scale, link="logit", q=0.5):
    """Fit ``family`` to the pilot answers ``response`` (n,) on design ``matrix`` (DataFrame).

    Returns a FittedFamily. Discrete families model the answers as one of the scale's
    levels; levels no pilot answer used get probability 0 (the fit notes this).
    """
    if family not in FAMILIES:
        raise SynthsurveyError(f"family {family!r} is not one of {FAMILIES}")
    response = np.asarray(response, dtype=float)
    if family in ("ols", "quantreg"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = sm.OLS(response, matrix) if family == "ols" else sm.QuantReg(response, matrix)
            result = model.fit() if family == "ols" else model.fit(q=q)
        return FittedFamily(family, result, scale.levels, np.arange(scale.n_levels), matrix.columns)
    if not scale.is_discrete:
        raise SynthsurveyError(f"family {family!r} needs a discrete item; this item is {scale.describe()}")
    levels = np.asarray(scale.levels)
    codes = np.argmin(np.abs(response[:, None] - levels[None, :]), axis=1)
    observed = np.unique(codes)
    dense = np.searchsorted(observed, codes)
    if len(observed) < 2:
        raise SynthsurveyError(f"the pilot's answers use a single level ({levels[observed[0]]:g}); nothing to model")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (ConvergenceWarning, HessianInversionWarning, RuntimeWarning))
        if family == "logit":
            if scale.n_levels != 2:
                raise SynthsurveyError(f"family 'logit' needs a binary item; this item is {scale.describe()}")
            result = sm.Logit(dense.astype(float), matrix).fit(disp=0, maxiter=200)
        elif family == "mnlogit":
            result = sm.MNLogit(dense, matrix).fit(disp=0, maxiter=200)
        else:
            if link not in LINKS:
                raise SynthsurveyError(f"link {link!r} is not one of {tuple(LINKS)}")
            design = matrix.drop(columns="Intercept", errors="ignore")
            labels = pd.Series(pd.Categorical(dense, categories=range(len(observed)), ordered=True),
                               index=design.index)
            result = OrderedModel(labels, design, distr=link).fit(method="bfgs", disp=False, maxiter=1000)
    return FittedFamily(family, result, levels, observed, matrix.columns)
