"""Debiasing regression families, each a thin layer over a statsmodels model.

A fitted family gives, for any design matrix with the training columns:
``mean`` (the expected human answer, in the item's own units; for ``quantreg``
the conditional q-quantile) and, for discrete families, ``probs`` (an (n, C)
array over the item's levels that sums to 1 by row).

Coefficient names: OLS, quantreg and logit as the design's columns; mnlogit
``<level>:<term>`` (each answered level against the lowest answered one); ordinal the
slopes, then the cutpoints ``1|2``, ``2|3`` ... as ``MASS::polr`` reports them
(P(Y <= k) = F(cut_k - x'beta); statsmodels estimates the first cutpoint and the log gaps
between successive ones, transformed here with the delta method).
"""

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning, SingularMatrixWarning

from ..common.errors import SynthsurveyError, SynthsurveyWarning
from .ordinal import fit_ordinal

FAMILIES = ("ols", "ordinal", "logit", "mnlogit", "quantreg")
PROBABILITY_FAMILIES = ("ordinal", "logit", "mnlogit")  # those that predict level probabilities
LINKS = ("logit", "probit")  # links of the ordinal family


def check_family(family, link="logit"):
    """Raise unless ``family`` is one of FAMILIES and ``link`` one of LINKS."""
    if family not in FAMILIES:
        raise SynthsurveyError(f"family {family!r} is not one of {FAMILIES}")
    if link not in LINKS:
        raise SynthsurveyError(f"link {link!r} is not one of {LINKS}")


def n_parameters(family, n_columns, n_levels):
    """Number of free parameters of a family with ``n_columns`` design columns (incl. intercept)."""
    if family == "ordinal":
        return n_columns - 1 + n_levels - 1
    if family == "mnlogit":
        return n_columns * (n_levels - 1)
    return n_columns


class FittedFamily:
    """A fitted statsmodels result plus the item's levels (empty for continuous items).

    ``params`` and ``covariance()`` use the names of the module docstring; ``result`` is the
    statsmodels results object itself."""

    def __init__(self, family, result, levels, observed, columns):
        self.family = family
        self.result = result
        self.levels = np.asarray(levels, dtype=float)
        self.observed = observed  # positions of the levels the training answers used
        self.columns = list(columns)
        self._params, self._covariance = self._named_estimates()

    @property
    def params(self):
        """Coefficients as a Series (names: see the module docstring)."""
        return self._params.copy()

    @property
    def std_error(self):
        """Standard errors of ``params`` (a Series)."""
        return pd.Series(np.sqrt(np.diag(self._covariance.to_numpy())), index=self._params.index)

    def covariance(self):
        """Covariance matrix of ``params`` (DataFrame labelled like ``params``)."""
        return self._covariance.copy()

    @property
    def df(self):
        """Degrees of freedom of the coefficients' t reference (residual df for ols and quantreg;
        inf, i.e. the normal, for the likelihood families)."""
        if self.family in ("ols", "quantreg"):
            return float(self.result.df_resid)
        return np.inf

    def _named_estimates(self):
        params = np.asarray(self.result.params, dtype=float)
        covariance = np.asarray(self.result.cov_params(), dtype=float)
        if self.family == "mnlogit":  # statsmodels orders equation-major; we order term-major
            frame = self.result.params
            n_terms, n_equations = frame.shape
            used = self.levels[self.observed]
            names = [f"{used[eq + 1]:g}:{term}" for term in frame.index for eq in range(n_equations)]
            order = [eq * n_terms + t for t in range(n_terms) for eq in range(n_equations)]
            params = np.asarray(frame, dtype=float).ravel()  # term-major
            covariance = covariance[np.ix_(order, order)]
        elif self.family == "ordinal":
            names, params, covariance = self._cutpoints(params, covariance)
        else:
            names = list(self.columns)
        return (pd.Series(params, index=names),
                pd.DataFrame(covariance, index=names, columns=names))

    def _cutpoints(self, params, covariance):
        """Slopes and polr-style cutpoints with their delta-method covariance."""
        n_slopes = len(params) - (len(self.observed) - 1)
        raw = params[n_slopes:]
        increments = np.r_[raw[0], np.exp(raw[1:])]
        cuts = np.cumsum(increments)
        jacobian = np.eye(len(params))
        block = np.tril(np.ones((len(raw), len(raw)))) * np.r_[1.0, np.exp(raw[1:])][None, :]
        jacobian[n_slopes:, n_slopes:] = block
        used = self.levels[self.observed]
        names = [c for c in self.columns if c != "Intercept"][:n_slopes]
        names += [f"{used[k]:g}|{used[k + 1]:g}" for k in range(len(used) - 1)]
        return names, np.r_[params[:n_slopes], cuts], jacobian @ covariance @ jacobian.T

    def statistics(self):
        """Model-level statistics as {name: value}: for ols R², adjusted R², F and its p-value,
        residual standard error and df, and the residual sum of squares as ``deviance`` (R's
        ``deviance.lm``); for the likelihood families log-likelihood, AIC, BIC, deviance
        (-2 log-likelihood) and (logit) null deviance; ``nobs`` always."""
        result = self.result
        out = {"nobs": int(result.nobs)}
        if self.family == "ols":
            out.update(r_squared=float(result.rsquared), adj_r_squared=float(result.rsquared_adj),
                       sigma=float(np.sqrt(result.scale)), df_resid=float(result.df_resid),
                       df_model=float(result.df_model), f_statistic=float(result.fvalue),
                       f_p_value=float(result.f_pvalue), log_likelihood=float(result.llf),
                       aic=float(result.aic), bic=float(result.bic), deviance=float(result.ssr))
        elif self.family == "quantreg":
            out.update(pseudo_r_squared=float(result.prsquared), df_resid=float(result.df_resid))
        else:
            out.update(log_likelihood=float(result.llf), aic=float(result.aic), bic=float(result.bic),
                       deviance=float(-2 * result.llf))
            if self.family == "logit":
                out.update(null_deviance=float(-2 * result.llnull), df_resid=float(result.df_resid))
        return out

    def start_values(self):
        """Raw parameters to warm-start another fit of this model (ordinal only; else None)."""
        return np.asarray(self.result.params, dtype=float) if self.family == "ordinal" else None

    def linear_design(self, matrix):
        if self.family == "ordinal" and "Intercept" in matrix.columns:
            return matrix.loc[:, matrix.columns != "Intercept"]
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

    def std_error_of(self, matrix, kind="response"):
        """Delta-method standard errors of the predictions at the rows of ``matrix`` (their
        coefficients' uncertainty only, as R's ``predict(se.fit = TRUE)``): of x'beta for
        ``kind="link"``, of the expected answer for ``"response"`` (logit: the link's times
        (high - low) p (1 - p)). ols, quantreg and logit only (one linear predictor)."""
        if self.family not in ("ols", "quantreg", "logit"):
            raise SynthsurveyError(f"standard errors of predictions exist for the ols, quantreg and logit families, "
                                   f"not {self.family!r}")
        design = matrix.to_numpy(dtype=float)
        covariance = self._covariance.to_numpy()
        link = np.sqrt(np.einsum("ij,jk,ik->i", design, covariance, design))
        if kind == "link" or self.family != "logit":
            return link
        p = 1 / (1 + np.exp(-(design @ self._params.to_numpy())))
        return link * p * (1 - p) * float(np.ptp(self.levels))

    def residuals(self, kind="response"):
        """Residuals of the pilot answers the family was fit on, as R's ``residuals()`` gives them:
        y - fitted for ols and quantreg (every kind); for logit ``"response"`` (y - p, y in 0/1),
        ``"deviance"`` (R's default for a glm), ``"pearson"`` or ``"working"`` ((y - p) / (p (1 - p)))."""
        if self.family in ("ols", "quantreg"):
            return np.asarray(self.result.resid, dtype=float)
        if self.family != "logit":
            raise SynthsurveyError(f"family {self.family!r} has no residuals (one answer, several level "
                                   "probabilities): use the level probabilities")
        result = self.result
        y, p = np.asarray(result.model.endog, dtype=float), np.asarray(result.predict(), dtype=float)
        values = {"response": y - p, "deviance": np.asarray(result.resid_dev, dtype=float),
                  "pearson": np.asarray(result.resid_pearson, dtype=float), "working": (y - p) / (p * (1 - p))}
        if kind not in values:
            raise SynthsurveyError(f"residual kind {kind!r} is not one of {tuple(values)}")
        return values[kind]

    def link_values(self, matrix):
        """The linear predictor x'beta (ordinal: without cutpoints; mnlogit: not defined)."""
        if self.family == "mnlogit":
            raise SynthsurveyError("a multinomial fit has one linear predictor per level: use kind='probs'")
        design = self.linear_design(matrix).to_numpy(dtype=float)
        slopes = self._params.to_numpy()[:design.shape[1]]
        return design @ slopes


def _warn_if_constant(matrix):
    """Warn, naming them, when columns other than the intercept are constant on the rows fitted (a
    cross-fitting fold whose training rows all share a value of a feature nearly constant in the
    pilot): least squares then sets their coefficients by the minimum-norm solution."""
    values = matrix.to_numpy(dtype=float)
    if len(values) < 2:
        return
    constant = [c for c, column in zip(matrix.columns, values.T) if c != "Intercept" and np.ptp(column) == 0]
    if constant:
        warnings.warn(f"column(s) {', '.join(map(repr, constant))} are constant on the {len(values)} pilot rows "
                      "of a fit (a cross-fitting fold's training rows, when the whole pilot passed the rank check): "
                      "their coefficients there are the minimum-norm solution; a formula without them is safer",
                      SynthsurveyWarning, stacklevel=4)


def fit_family(family, response, matrix, scale, link="logit", q=0.5, start=None):
    """Fit ``family`` to the pilot answers ``response`` (n,) on design ``matrix`` (DataFrame).

    Returns a FittedFamily. Discrete families model the answers as one of the scale's
    levels; levels no pilot answer used get probability 0 (the fit notes this). The ordinal
    family is fit by Newton's method with analytic derivatives (``models.ordinal``; statsmodels'
    ``OrderedModel`` if that fails), warm-started from ``start`` (raw parameters of another fit
    of the same model, e.g. the whole pilot's for a cross-fitting fold) when given.
    """
    check_family(family, link)
    response = np.asarray(response, dtype=float)
    if family in ("ols", "quantreg"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", (ConvergenceWarning, SingularMatrixWarning))
            model = sm.OLS(response, matrix) if family == "ols" else sm.QuantReg(response, matrix)
            result = model.fit() if family == "ols" else model.fit(q=q)
        _warn_if_constant(matrix)
        return FittedFamily(family, result, scale.levels, np.arange(scale.n_levels), matrix.columns)
    if not scale.is_discrete:
        raise SynthsurveyError(f"family {family!r} needs a discrete item; this item is {scale.describe()}")
    codes = scale.codes(response, where="the pilot's answers")
    observed = np.unique(codes)
    dense = np.searchsorted(observed, codes)
    if len(observed) < 2:
        raise SynthsurveyError(
            f"the pilot's answers use a single level ({scale.levels[observed[0]]:g}); nothing to model")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (ConvergenceWarning, HessianInversionWarning, RuntimeWarning))
        if family == "logit":
            if scale.n_levels != 2:
                raise SynthsurveyError(f"family 'logit' needs a binary item; this item is {scale.describe()}")
            result = sm.Logit(dense.astype(float), matrix).fit(disp=0, maxiter=200)
        elif family == "mnlogit":
            result = sm.MNLogit(dense, matrix).fit(disp=0, maxiter=200)
        else:
            design = matrix.drop(columns="Intercept", errors="ignore")
            result = fit_ordinal(dense, design, len(observed), link, start)
            if result is None:  # Newton's method failed (e.g. separation): statsmodels' optimiser
                labels = pd.Series(pd.Categorical(dense, categories=range(len(observed)), ordered=True),
                                   index=design.index)
                result = OrderedModel(labels, design, distr=link).fit(method="bfgs", disp=False, maxiter=1000)
    return FittedFamily(family, result, scale.levels, observed, matrix.columns)
