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

from ..common.checks import check_alpha
from ..common.errors import SynthsurveyError
from ..common.results import Result, Summary, critical_values
from . import crossfit
from . import formula as formulas
from .families import PROBABILITY_FAMILIES, n_parameters
from .frame import IS_PILOT, RESPONSE, exclusion_notes

PREDICTORS = ("debiased", "base", "scalar", "pilot")
KINDS = ("response", "probs", "class", "link")


def fit_notes(model):
    """The notes of a fit: its exclusions, the draws left out as missing, and what scale inference
    found suspicious."""
    notes = exclusion_notes(model.exclusions)
    missing = model.missing_draws or {}
    if missing.get("nan") or missing.get("codes"):
        parts = [f"{missing[name]} {label}" for name, label in (("nan", "missing (NaN)"),
                                                              ("codes", "with a missing-value code"))
                 if missing.get(name)]
        notes.append(f"Not used: LLM draws of item {model.item!r}: {' and '.join(parts)}")
    notes += [f"Scale of {model.item!r}: {note}" for note in model.scale.notes]
    return notes


class DebiasResults(Result):
    """A fitted debiasing regression for one item.

    Attributes: ``model`` (the DebiasModel), ``item``, ``formula``, ``family``, ``scale``, ``frame``
    (the population rows used: id, covariates, features, response, is_pilot), ``exclusions``
    (reason, n_rows, n_pilot, scope), ``n_input`` (people in the input: ``n_population`` plus the
    people excluded), ``missing_draws``, ``is_pilot``, ``nobs`` (pilot rows fitted), ``n_population``,
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
        self._companion = {}
        estimates = pd.DataFrame({"term": self.fitted.params.index.astype(str),
                                  "estimate": self.fitted.params.to_numpy(),
                                  "std_error": self.fitted.std_error.to_numpy(), "df": self.fitted.df})
        notes = fit_notes(model) + list(model.notes)
        if self.selection is not None:
            notes.append(self.selection.describe())
        self._set_estimates(estimates, 0.05, notes)
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
    n_input = property(lambda self: self.model.n_input)
    missing_draws = property(lambda self: self.model.missing_draws)
    samples = property(lambda self: self.model.samples)
    has_covariates = property(lambda self: self.model.has_covariates)
    source = property(lambda self: self.model.plan.primary)  # the source plain names and "base" read
    selection = property(lambda self: getattr(self.fitted, "selection", None))  # llm_auto's choice, or None

    def selections(self, folds=5, seed=0):
        """What ``llm_auto`` chose on the whole pilot and in each cross-fitting fold's training rows
        (DataFrame: fold (-1: the whole pilot), candidate, n_rows, cv_error); empty without it."""
        if self.selection is None:
            return pd.DataFrame(columns=["fold", "candidate", "n_rows", "cv_error"])
        fits = [(-1, self.fitted)] + list(enumerate(crossfit.fold_models(self, folds, seed)[2]))
        rows = []
        for fold, fitted in fits:
            table = fitted.selection.table
            rows.append({"fold": fold, "candidate": fitted.selection.chosen, "n_rows": fitted.selection.n,
                         "cv_error": float(table.loc[table["chosen"], "cv_error"].iloc[0])})
        return pd.DataFrame(rows)
    pilot_design = property(lambda self: self.model.pilot_design)

    def _checked_design(self):
        model = self.model
        pilot_rows = model.frame.loc[self.is_pilot]
        if len(pilot_rows) == 0:
            raise SynthsurveyError(f"no pilot answers for item {model.item!r} remain to fit")
        if model.prebuilt is None:
            design = formulas.build(model.spec.rhs, pilot_rows)
            matrix = design.matrix
        else:
            design = model.prebuilt
            matrix = formulas.rebuild(design, pilot_rows)
        n_params = n_parameters(model.family, matrix.shape[1], model.scale.n_levels)
        if self.nobs <= n_params:
            raise SynthsurveyError(
                f"the pilot has {self.nobs} usable answer(s) for item {model.item!r} but the "
                f"{model.family} model of {model.formula!r} has {n_params} parameters")
        problem = formulas.rank_deficiency(matrix)
        if problem:
            raise SynthsurveyError(f"formula {model.formula!r} is rank-deficient: {problem}")
        return design

    # refits -------------------------------------------------------------------------------
    def refit(self, formula):
        """The same item, family and population frame fit with another formula (no features
        recomputed): e.g. the scalar baseline ``refit("item ~ llm_mean")``."""
        return self.model.with_formula(formula).fit()

    def untuned_companion(self):
        """The fit of the pilot answers a tuned source cost (``DebiasModel.untuned_companion``; cached),
        or None when this fit masked none."""
        if "fit" not in self._companion:
            model = self.model.untuned_companion()
            self._companion["fit"] = None if model is None else model.fit()
        return self._companion["fit"]

    def with_pilot(self, keep):
        """This model refit with only the pilot rows where boolean mask ``keep`` is true."""
        return self.model.with_pilot(keep).fit()

    def with_design(self, design):
        """This model refit with another pilot design (an ``ss.Design``: strata, clusters,
        inclusion probabilities), which every estimate from the new fit uses."""
        return self.model.with_design(design).fit()

    def fit_rows(self, rows, design=None):
        """The family fit on the pilot rows of boolean mask ``rows`` (cross-fitting uses this),
        warm-started from the whole pilot's fit (ordinal). This fit's own patsy design was built on
        the pilot rows, so its matrix is sliced rather than rebuilt (the same matrix)."""
        start = self.fitted.start_values() if hasattr(self.fitted, "start_values") else None
        if design is None and isinstance(self.design, formulas.Design):
            matrix = self.design.matrix[np.asarray(rows)[self.is_pilot]]
            return self.model.fit_rows(rows, self.design, start=start, matrix=matrix)
        return self.model.fit_rows(rows, design or self.design, start=start)

    def design_matrix(self, frame=None, matrix=None):
        """Design matrix (DataFrame) of the fitted formula on ``frame`` (default: all rows); for a
        prebuilt design (``DebiasModel.with_matrix``), new rows bring theirs as ``matrix``."""
        return formulas.rebuild(self.design, self.frame if frame is None else frame, matrix)

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
                ("Pilot answers fitted", self.nobs), ("Population predicted", self.n_population),
                ("People in the input", self.n_input)]
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
            if predictor == "pilot" and self.model.prebuilt is not None:  # the design's covariate columns
                self._baseline_fits[predictor] = DebiasResults(self.model._derived(
                    prebuilt=self.model.prebuilt.covariate_part()))
            else:
                rhs = "llm_mean" if predictor == "scalar" else formulas.covariate_rhs(self.spec)
                self._baseline_fits[predictor] = self.refit(f"{formulas.item_lhs(self.item)} ~ {rhs}")
        return self._baseline_fits[predictor]

    def predict(self, kind="response", predictor="debiased", newdata=None, matrix=None):
        """Predictions for every person in the population (or ``newdata``'s rows).

        kind: ``"response"`` (expected answer in the item's units; conditional quantile for
            quantreg), ``"probs"`` (one ``prob_<level>`` column per level), ``"class"`` (the
            most probable level), ``"link"`` (the linear predictor).
        predictor: ``"debiased"`` (this fit), ``"base"`` (uncorrected LLM: draw mean / shares),
            ``"scalar"`` (same family on ``llm_mean`` alone), ``"pilot"`` (same family on the
            formula's covariates alone, no LLM features).
        matrix: for a fit on a prebuilt design (the R package's), the design of ``newdata``'s rows.
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
        values = self.predict_values(kind, predictor, frame, matrix)
        if kind == "probs":
            for name, column in zip(self.prob_names(), values.T):
                out[name] = column
        else:
            out["prediction"] = values
        return out

    def prediction_intervals(self, kind="response", newdata=None, matrix=None, interval="confidence", alpha=0.05):
        """The debiased predictions (``kind`` "response" or "link") for the population (or
        ``newdata``'s rows, with ``matrix`` for a prebuilt design) with their standard errors
        (``FittedFamily.std_error_of``) and limits at level 1 - ``alpha``: ``interval="confidence"``
        for the expected answer, ``"prediction"`` (ols only) for a new answer (adds the residual
        variance). Quantiles of t(residual df) for ols and quantreg, else the normal, as R's
        ``predict.lm``/``predict.glm``. Returns a DataFrame: id, prediction, std_error, df, ci_low,
        ci_high."""
        alpha = check_alpha(alpha)
        if kind not in ("response", "link"):
            raise SynthsurveyError(f"kind {kind!r} has no standard errors: use 'response' or 'link'")
        if interval not in ("confidence", "prediction"):
            raise SynthsurveyError(f"interval {interval!r} is not one of ('confidence', 'prediction')")
        if interval == "prediction" and self.family != "ols":
            raise SynthsurveyError(f"prediction intervals need the ols family (a residual variance), not "
                                   f"{self.family!r}")
        frame = self.frame if newdata is None else newdata
        design = self.design_matrix(frame, matrix)
        values = self.fitted.link_values(design) if kind == "link" else self.fitted.mean(design)
        std_error = self.fitted.std_error_of(design, kind)
        spread = np.sqrt(std_error ** 2 + self.statistics()["sigma"] ** 2) if interval == "prediction" else std_error
        df = self.fitted.df
        quantile = critical_values(alpha, df)
        return pd.DataFrame({"id": frame["id"].to_numpy(), "prediction": values, "std_error": std_error,
                             "df": df, "ci_low": values - quantile * spread, "ci_high": values + quantile * spread})

    def prob_names(self):
        """Column names of ``predict(kind="probs")``: ``prob_<level>``."""
        return [name.replace("llm_p", "prob_", 1) for name in self.scale.share_names()]

    def predict_values(self, kind, predictor, frame, matrix=None):
        """The predictions of ``predict`` as an array: (n,) or, for ``"probs"``, (n, C)."""
        if predictor == "base":
            return self._base_values(kind, frame)
        if predictor != "debiased":
            return self.baseline(predictor).predict_values(kind, "debiased", frame, matrix)
        matrix = self.design_matrix(frame, matrix)
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
