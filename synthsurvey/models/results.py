"""``DebiasResults``: a fitted debiasing regression of one item, immutable.

It holds its model (formula, family, data), the design built on the pilot rows, the fitted
family, and, by design, caches: the baselines' fits and the cross-fitting store
(``crossfit_cache``). Coefficients follow the results protocol (``common.results``):
``table(alpha)``, ``conf_int(alpha)``, ``summary()``; plus ``params``, ``std_error``, ``vcov()``.
Predictions: ``predict(kind, predictor, newdata)`` for everybody or new rows, ``baselines()`` for
every predictor side by side, ``predictions(kind, cross_fit, folds, seed)`` as arrays (the
cross-fitted ones population estimates use).
"""

import numpy as np
import pandas as pd

from ..common.errors import SynthsurveyError
from ..common.results import Result, Summary
from . import crossfit
from . import formula as formulas
from .families import PROBABILITY_FAMILIES, n_parameters
from .frame import IS_PILOT, RESPONSE, exclusion_notes

PREDICTORS = ("debiased", "base", "scalar", "pilot")
KINDS = ("response", "probs", "class", "link")


class DebiasResults(Result):
    """A fitted debiasing regression for one item.

    Attributes: ``model`` (the DebiasModel), ``item``, ``formula``, ``family``, ``scale``, ``frame``
    (the population rows used: id, covariates, features, response, is_pilot), ``exclusions``
    (reason, n_rows, n_pilot), ``is_pilot``, ``nobs`` (pilot rows fitted), ``n_population``,
    ``design`` (the formula's design built on the pilot rows), ``fitted`` (the fitted family;
    ``fitted.result`` is the statsmodels result), ``crossfit_cache``.
    """

    in_memory = True  # the population frame is a pandas DataFrame (see models.distributed for the other kind)

    def __init__(self, model):
        self.model = model
        self.is_pilot = model.is_pilot
        self.nobs = int(self.is_pilot.sum())
        self.n_population = len(model.frame)
        self.design = self._checked_design()
        self.fitted = model.fit_rows(self.is_pilot, self.design)
        self.crossfit_cache = crossfit.CrossFitCache()
        self._baseline_fits = {}
        estimates = pd.DataFrame({"term": self.fitted.params.index.astype(str),
                                  "estimate": self.fitted.params.to_numpy(),
                                  "std_error": self.fitted.std_error.to_numpy(), "df": self.fitted.df})
        self._set_estimates(estimates, 0.05, exclusion_notes(model.exclusions))
        self._freeze()

    # the model's attributes, read through -----------------------------------------------
    item = property(lambda self: self.model.item)
    formula = property(lambda self: self.model.formula)
    spec = property(lambda self: self.model.spec)
    family = property(lambda self: self.model.family)
    link = property(lambda self: self.model.link)
    q = property(lambda self: self.model.q)
    key = property(lambda self: self.model.key)
    scale = property(lambda self: self.model.scale)
    frame = property(lambda self: self.model.frame)
    exclusions = property(lambda self: self.model.exclusions)
    samples = property(lambda self: self.model.samples)
    has_covariates = property(lambda self: self.model.has_covariates)
    pilot_design = property(lambda self: self.model.pilot_design)

    def _checked_design(self):
        model = self.model
        pilot_rows = model.frame.loc[self.is_pilot]
        if len(pilot_rows) == 0:
            raise SynthsurveyError(f"no pilot answers for item {model.item!r} remain to fit")
        design = formulas.build(model.spec.rhs, pilot_rows)
        n_params = n_parameters(model.family, design.matrix.shape[1], model.scale.n_levels)
        if self.nobs <= n_params:
            raise SynthsurveyError(
                f"the pilot has {self.nobs} usable answer(s) for item {model.item!r} but the "
                f"{model.family} model of {model.formula!r} has {n_params} parameters")
        problem = formulas.rank_deficiency(design.matrix)
        if problem:
            raise SynthsurveyError(f"formula {model.formula!r} is rank-deficient: {problem}")
        return design

    # refits -------------------------------------------------------------------------------
    def refit(self, formula):
        """The same item, family and population frame fit with another formula (no features
        recomputed): e.g. the scalar baseline ``refit("item ~ llm_mean")``."""
        return self.model.with_formula(formula).fit()

    def with_pilot(self, keep):
        """This model refit with only the pilot rows where boolean mask ``keep`` is true."""
        return self.model.with_pilot(keep).fit()

    def with_design(self, design):
        """This model refit with another pilot design (an ``ss.Design``: strata, clusters,
        inclusion probabilities), which every estimate from the new fit uses."""
        return self.model.with_design(design).fit()

    def fit_rows(self, rows, design=None):
        """The family fit on the pilot rows of boolean mask ``rows`` (cross-fitting uses this)."""
        return self.model.fit_rows(rows, design or self.design)

    def design_matrix(self, frame=None):
        """Design matrix (DataFrame) of the fitted formula on ``frame`` (default: all rows)."""
        return formulas.rebuild(self.design, self.frame if frame is None else frame)

    # coefficients -------------------------------------------------------------------------
    @property
    def params(self):
        """Coefficients (a Series by term)."""
        return self.fitted.params

    @property
    def std_error(self):
        """Standard errors of the coefficients (a Series by term)."""
        return self.fitted.std_error

    def vcov(self):
        """Covariance matrix of the coefficients (DataFrame indexed by term)."""
        return self.fitted.covariance()

    def statistics(self):
        """Model-level statistics (see ``families.FittedFamily.statistics``)."""
        return self.fitted.statistics()

    def _title(self):
        return f"Debiasing regression of item {self.item!r}"

    def _info(self):
        family = self.family + (f" ({self.link} link)" if self.family == "ordinal" else "") \
            + (f" (q={self.q:g})" if self.family == "quantreg" else "")
        info = [("Formula", self.formula), ("Family", family), ("Scale", self.scale.describe()),
                ("Pilot answers fitted", self.nobs), ("Population predicted", self.n_population)]
        labels = {"r_squared": "R-squared", "adj_r_squared": "Adj. R-squared", "sigma": "Residual std. error",
                  "df_resid": "Residual df", "f_statistic": "F-statistic", "f_p_value": "F p-value",
                  "pseudo_r_squared": "Pseudo R-squared", "log_likelihood": "Log-likelihood", "aic": "AIC",
                  "bic": "BIC", "deviance": "Residual deviance", "null_deviance": "Null deviance"}
        info += [(label, self.statistics()[name]) for name, label in labels.items() if name in self.statistics()]
        return info

    def summary(self, alpha=None):
        """A printable Summary: the model's statistics and the coefficient ``table(alpha)``."""
        summary = super().summary(alpha)
        notes = list(summary.notes)
        unseen = self.scale.n_levels - len(self.fitted.observed) if self.scale.is_discrete else 0
        if self.family in PROBABILITY_FAMILIES and unseen:
            notes.append(f"{unseen} level(s) never answered in the pilot get predicted probability 0")
        return Summary(summary.title, summary.info, summary.table, notes)

    # predictions --------------------------------------------------------------------------
    def baseline(self, predictor):
        """The fit of a baseline predictor, cached: ``"scalar"`` (the same family on ``llm_mean``
        alone) or ``"pilot"`` (the same family on the formula's covariates alone)."""
        if predictor not in ("scalar", "pilot"):
            raise SynthsurveyError(f"baseline {predictor!r} is not one of ('scalar', 'pilot')")
        if predictor not in self._baseline_fits:
            rhs = "llm_mean" if predictor == "scalar" else formulas.covariate_rhs(self.spec)
            self._baseline_fits[predictor] = self.refit(f"{formulas.item_lhs(self.item)} ~ {rhs}")
        return self._baseline_fits[predictor]

    def predict(self, kind="response", predictor="debiased", newdata=None):
        """Predictions for every person in the population (or ``newdata``'s rows).

        kind: ``"response"`` (expected answer in the item's units; conditional quantile for
            quantreg), ``"probs"`` (one ``prob_<level>`` column per level), ``"class"`` (the
            most probable level), ``"link"`` (the linear predictor).
        predictor: ``"debiased"`` (this fit), ``"base"`` (uncorrected LLM: draw mean / shares),
            ``"scalar"`` (same family on ``llm_mean`` alone), ``"pilot"`` (same family on the
            formula's covariates alone, no LLM features).
        Returns a DataFrame: ``id``, ``is_pilot`` (when known) and the prediction column(s).
        """
        if kind not in KINDS:
            raise SynthsurveyError(f"kind {kind!r} is not one of {KINDS}")
        if predictor not in PREDICTORS:
            raise SynthsurveyError(f"predictor {predictor!r} is not one of {PREDICTORS}")
        frame = self.frame if newdata is None else newdata
        out = pd.DataFrame({"id": frame["id"].to_numpy()})
        if IS_PILOT in frame.columns:
            out[IS_PILOT] = frame[IS_PILOT].to_numpy()
        values = self.predict_values(kind, predictor, frame)
        if kind == "probs":
            for name, column in zip(self.prob_names(), values.T):
                out[name] = column
        else:
            out["prediction"] = values
        return out

    def prob_names(self):
        """Column names of ``predict(kind="probs")``: ``prob_<level>``."""
        return [name.replace("llm_p", "prob_", 1) for name in self.scale.share_names()]

    def predict_values(self, kind, predictor, frame):
        """The predictions of ``predict`` as an array: (n,) or, for ``"probs"``, (n, C)."""
        if predictor == "base":
            return self._base_values(kind, frame)
        if predictor != "debiased":
            return self.baseline(predictor).predict_values(kind, "debiased", frame)
        matrix = formulas.rebuild(self.design, frame)
        if kind == "response":
            return self.fitted.mean(matrix)
        if kind == "link":
            return self.fitted.link_values(matrix)
        probs = self.fitted.probs(matrix)
        return probs if kind == "probs" else np.asarray(self.scale.levels)[probs.argmax(axis=1)]

    def _base_values(self, kind, frame):
        if kind == "response":
            return frame["llm_mean"].to_numpy(dtype=float)
        if not self.scale.is_discrete or kind == "link":
            raise SynthsurveyError(f"the base LLM predictor gives no {kind!r} for a {self.scale.describe()} item")
        shares = frame[self.scale.share_names()].to_numpy(dtype=float)
        return shares if kind == "probs" else np.asarray(self.scale.levels)[shares.argmax(axis=1)]

    def baselines(self):
        """DataFrame with one row per person: id, is_pilot, response (NaN outside the pilot)
        and the ``response`` prediction of every predictor side by side."""
        out = self.frame[["id", IS_PILOT, RESPONSE]].copy()
        for predictor in ("base", "scalar", "pilot", "debiased"):
            out[predictor] = self.predict_values("response", predictor, self.frame)
        return out

    def predictions(self, kind="response", cross_fit=True, folds=5, seed=0):
        """Predictions for the population frame's rows as a read-only array ((N,) for
        ``"response"``, (N, C) for ``"probs"``): cross-fitted (no pilot row predicted by a model
        trained on it; see ``crossfit``) or, with ``cross_fit=False``, in-sample. Cached."""
        return crossfit.predictions(self, kind, cross_fit, folds, seed)

    def estimation_frame(self, kind="response", cross_fit=True, folds=5, seed=0, columns=()):
        """(frame, predictions): what population estimators need, the frame's rows (id, covariates,
        response, is_pilot) and their predictions (see ``predictions``). ``columns`` are the
        covariates the estimator reads (all of the frame's are there)."""
        return self.frame, self.predictions(kind, cross_fit, folds, seed)

    def __repr__(self):
        return (f"<DebiasResults item={self.item!r} family={self.family} pilot={self.nobs} "
                f"population={self.n_population}>")
