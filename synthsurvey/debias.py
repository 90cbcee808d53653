"""``debias``: regress the pilot's human answers on LLM draw features and covariates,
then predict every person in the population.

Model object and results object follow statsmodels: ``debias`` builds the item's
frame, fits the family and returns a ``DebiasResults`` with ``params``,
``std_errors``, ``conf_int()``, ``table()``, ``summary()`` and ``predict()``.
"""

from functools import cached_property

import numpy as np
import pandas as pd
import scipy.stats

from . import formula as formulas
from .errors import SynthsurveyError, preview
from .families import PROBABILITY_FAMILIES, fit_family, n_parameters
from .features import feature_table, DEFAULT_QUANTILES
from .study import (IS_PILOT, RESPONSE, check_humans, check_levels, complete_rows, exclusion_notes,
                    item_frame)
from .validate import require_frame

METHODS = ("debiased", "base", "scalar", "pilot")
KINDS = ("response", "probs", "class")


def debias(formula, samples, humans, covariates=None, family="ols", key="id", scales=None,
           link="logit", q=0.5, quantiles=DEFAULT_QUANTILES, features=None, split_respondents=False):
    """Fit a debiasing regression of one item's human answers on its LLM draw features.

    formula: ``"item ~ llm_mean + llm_sd + age + C(educ)"``; ``llm_*`` names are the
        item's draw features (see ``ss.features``), other names are covariates.
    samples: long LLM draws (``key``, item, draw, response).
    humans: long human pilot answers (id, item, response); a subset of the population.
    covariates: one row per person (``id`` plus covariates; plus ``key`` for persona keys).
    family: ``"ols"``, ``"ordinal"`` (``link`` logit or probit), ``"logit"`` (binary items),
        ``"mnlogit"`` or ``"quantreg"`` (quantile ``q``).
    features: optional precomputed ``ss.features(samples)`` table (then ``samples`` may be None).
    samples may be a Dask DataFrame (see ``synthsurvey.scale_out``): only the pilot's features
    come into memory and a DistributedFit is returned, whose ``predict()`` is lazy and whose
    ``population_mean()`` sums over partitions. ``split_respondents``: whether a respondent's
    draws may span partitions.

    Returns a DebiasResults. Rows excluded for a legitimate reason (no draws for the item,
    missing covariates) are counted in ``result.exclusions``; bad input raises SynthsurveyError.
    """
    spec = formulas.parse(formula)
    require_frame(humans, "humans")
    if key != "id" and covariates is None:
        raise SynthsurveyError(
            f"key={key!r} links samples to personas: pass covariates with columns 'id' and {key!r}"
        )
    from .scale_out import is_dask

    if features is None and is_dask(samples):
        return _debias_dask(spec, formula, samples, humans, covariates, family, key, scales, link, q, quantiles,
                            split_respondents)
    if features is None:
        require_frame(samples, "samples")
        if "item" in humans.columns:
            extra = {i: g["response"].to_numpy(dtype=float)
                     for i, g in humans.groupby("item", observed=True) if "response" in g}
        else:
            extra = None
        features, scale_map = feature_table(samples, key=key, scales=scales, quantiles=quantiles,
                                            extra_values=extra)
    else:
        scale_map = _scales_of(features, scales, humans)
    if spec.item not in scale_map:
        raise SynthsurveyError(
            f"formula item {spec.item!r} is not an item of the samples; items: "
            f"{', '.join(map(repr, list(scale_map)[:12]))}"
        )
    scale = scale_map[spec.item]
    known_ids = covariates["id"] if key != "id" else features[key]
    pilot = check_humans(humans, known_ids.unique())
    check_levels(pilot.loc[pilot["item"] == spec.item], scale, spec.item)
    frame, exclusions = item_frame(spec.item, features, pilot, covariates, key=key)
    formulas.check_columns(spec, frame, f"the frame of item {spec.item!r}")
    used = complete_rows(frame, list(spec.llm_features + spec.covariates), exclusions)
    frame = frame.loc[used].reset_index(drop=True)
    result = DebiasResults(spec, family, scale, frame, exclusions.table(), key=key, link=link, q=q)
    result.samples = samples  # kept (not copied) for raw-draw comparisons; None with features=
    return result


def _debias_dask(spec, formula, samples, humans, covariates, family, key, scales, link, q, quantiles,
                 split_respondents):
    """debias on Dask samples: the item's features are computed partition by partition. With
    ``key="id"`` only the pilot's features come into memory and a DistributedFit is returned;
    with a persona key the (small) feature table is computed and the fit is the usual one."""
    from .scale_out import DistributedFit, dask_features

    extra = {i: g["response"].to_numpy(dtype=float) for i, g in humans.groupby("item", observed=True)}
    item_draws = samples[samples["item"] == spec.item]  # only this item's features are computed
    if isinstance(scales, dict):
        scales = {item: value for item, value in scales.items() if item == spec.item}
    lazy, scale_map = dask_features(item_draws, key, scales, quantiles, split_respondents,
                                    {spec.item: extra.get(spec.item, [])})
    pilot_ids = humans.loc[humans["item"] == spec.item, "id"].unique()
    if key == "id":  # the same check the in-memory path makes: every pilot id has LLM draws
        human_ids = humans["id"].unique()
        present = samples.loc[samples[key].isin(human_ids), key].unique().compute()
        unknown = pd.Index(human_ids).difference(pd.Index(present))
        if len(unknown):
            raise SynthsurveyError(
                f"humans has {len(unknown)} id(s) absent from the LLM samples/covariates, e.g. {preview(unknown)}")
    chosen = lazy if key != "id" else lazy[lazy[key].isin(pilot_ids)]
    table = chosen.compute().sort_values([key, "item"], kind="stable").reset_index(drop=True)
    spanning = table.duplicated([key, "item"], keep=False)
    if spanning.any():
        example = table.loc[spanning].iloc[0]
        raise SynthsurveyError(
            f"the draws of {int(spanning.sum() // 2)} or more ({key}, item) pairs span partitions, e.g. "
            f"{key}={example[key]!r}, item={example['item']!r}: partition the draws by {key}, or pass "
            "split_respondents=True"
        )
    if key != "id":
        return debias(formula, None, humans, covariates, family=family, key=key, scales=scale_map, link=link, q=q,
                      features=table)
    item_answers = humans[humans["item"] == spec.item]
    has_draws = item_answers["id"].isin(table[key])
    fit = debias(formula, None, item_answers[has_draws], covariates, family=family, key=key, scales=scale_map,
                 link=link, q=q, features=table)
    if (~has_draws).any():
        missing = int((~has_draws).sum())
        fit.exclusions = pd.concat([fit.exclusions, pd.DataFrame([{
            "reason": f"pilot respondents without LLM draws for item {spec.item!r}",
            "n_rows": missing, "n_pilot": missing}])], ignore_index=True)
    return DistributedFit(fit, lazy, covariates, formula, humans, scale_map, key=key)


def _scales_of(features, scales, humans):
    """Scales for a precomputed feature table: declared, else read off its share columns
    (``llm_p<level>``; items without shares are continuous). Declare the scale of an item
    with non-integer levels, whose share columns are positional."""
    from .scales import Scale, as_scale

    declared = scales if isinstance(scales, dict) else {}
    result = {}
    for item, rows in features.groupby("item", observed=True):
        shares = [c for c in rows.columns if c.startswith("llm_p") and rows[c].notna().any()]
        if item in declared:
            result[item] = as_scale(declared[item])
        elif shares:
            levels = tuple(float(c[len("llm_p"):].replace("m", "-")) for c in shares)
            kind = "binary" if levels == (0.0, 1.0) else "ordinal"
            result[item] = Scale(kind, levels, "read off the share columns of features")
        else:
            result[item] = Scale("continuous", (), "features have no share columns")
    return result


class DebiasResults:
    """A fitted debiasing regression for one item.

    Attributes: ``item``, ``formula``, ``family``, ``scale``, ``frame`` (the population
    rows used: id, covariates, features, response, is_pilot), ``exclusions`` (reason,
    n_rows, n_pilot), ``nobs`` (pilot rows fitted), ``n_population``.
    """

    def __init__(self, spec, family, scale, frame, exclusions, key="id", link="logit", q=0.5):
        self.spec = spec
        self.item = spec.item
        self.formula = spec.formula
        self.family = family
        self.scale = scale
        self.key = key
        self.link = link
        self.q = q
        self.frame = frame
        self.exclusions = exclusions
        self.samples = None
        self.is_pilot = frame[IS_PILOT].to_numpy()
        self.nobs = int(self.is_pilot.sum())
        self.n_population = len(frame)
        self.design = self._checked_design(spec.rhs)
        self.fitted = self.fit_rows(self.is_pilot)

    def _checked_design(self, rhs):
        pilot_rows = self.frame.loc[self.is_pilot]
        if len(pilot_rows) == 0:
            raise SynthsurveyError(f"no pilot answers for item {self.item!r} remain to fit")
        design = formulas.build(rhs, pilot_rows)
        n_params = n_parameters(self.family, design.matrix.shape[1], self.scale.n_levels)
        if self.nobs <= n_params:
            raise SynthsurveyError(
                f"the pilot has {self.nobs} usable answer(s) for item {self.item!r} but the "
                f"{self.family} model of {self.formula!r} has {n_params} parameters"
            )
        problem = formulas.rank_deficiency(design.matrix)
        if problem:
            raise SynthsurveyError(f"formula {self.formula!r} is rank-deficient: {problem}")
        return design

    def refit(self, formula):
        """A DebiasResults of another formula for the same item, family and population frame
        (no features recomputed): e.g. the scalar baseline ``refit("item ~ llm_mean")``."""
        spec = formulas.parse(formula)
        if spec.item != self.item:
            raise SynthsurveyError(f"refit must keep the item {self.item!r}, got {spec.item!r}")
        formulas.check_columns(spec, self.frame, f"the frame of item {self.item!r}")
        result = DebiasResults(spec, self.family, self.scale, self.frame, self.exclusions, key=self.key,
                               link=self.link, q=self.q)
        result.samples = self.samples
        return result

    def with_pilot(self, keep):
        """This model refit with only the pilot rows where boolean mask ``keep`` is true (the other
        pilot answers are treated as unknown): for repeated pilot resampling."""
        keep = np.asarray(keep, dtype=bool) & self.is_pilot
        frame = self.frame.copy()
        frame.loc[self.is_pilot & ~keep, RESPONSE] = np.nan
        frame[IS_PILOT] = keep
        result = DebiasResults(self.spec, self.family, self.scale, frame, self.exclusions, key=self.key,
                               link=self.link, q=self.q)
        result.samples = self.samples
        return result

    def design_matrix(self, frame=None, design=None):
        """Design matrix (DataFrame) of the fitted formula on ``frame`` (default: all rows)."""
        design = design or self.design
        return formulas.rebuild(design, self.frame if frame is None else frame)

    def fit_rows(self, rows, design=None):
        """Fit this model's family on the pilot rows selected by boolean mask ``rows``.
        Returns a FittedFamily (used for cross-fitting and baselines)."""
        design = design or self.design
        subset = self.frame.loc[rows & self.is_pilot]
        matrix = formulas.rebuild(design, subset)
        return fit_family(self.family, subset[RESPONSE].to_numpy(), matrix, self.scale,
                          link=self.link, q=self.q)

    # coefficients -----------------------------------------------------------------
    @property
    def params(self):
        return self.fitted.params

    @property
    def std_errors(self):
        return self.fitted.std_errors

    def vcov(self):
        """Covariance matrix of the coefficients (DataFrame indexed by term)."""
        return self.fitted.covariance()

    def conf_int(self, alpha=0.05):
        """DataFrame (ci_low, ci_high) by term: Wald intervals at level 1 - alpha."""
        table = self.table(alpha)
        return table.set_index("term")[["ci_low", "ci_high"]]

    def table(self, alpha=0.05):
        """Tidy coefficients: term, estimate, std_error, statistic, p_value, ci_low, ci_high.
        OLS uses t quantiles with the residual degrees of freedom, other families z."""
        estimate, std_error = self.params, self.std_errors
        statistic = estimate / std_error
        if self.family == "ols":
            dist = scipy.stats.t(self.fitted.result.df_resid)
        else:
            dist = scipy.stats.norm()
        crit = dist.ppf(1 - alpha / 2)
        return pd.DataFrame({
            "term": estimate.index.astype(str),
            "estimate": estimate.to_numpy(),
            "std_error": std_error.to_numpy(),
            "statistic": statistic.to_numpy(),
            "p_value": 2 * dist.sf(np.abs(statistic.to_numpy())),
            "ci_low": (estimate - crit * std_error).to_numpy(),
            "ci_high": (estimate + crit * std_error).to_numpy(),
        })

    def summary(self):
        """The statsmodels summary of the debiasing regression, with the item, its scale,
        the population size and any exclusions appended."""
        summary = self.fitted.result.summary()
        notes = [
            f"Item: {self.item!r}, {self.scale.describe()}; family {self.family}"
            + (f" ({self.link} link)" if self.family == "ordinal" else "")
            + (f" (q={self.q})" if self.family == "quantreg" else ""),
            f"Pilot answers fitted: {self.nobs}; population predicted: {self.n_population}",
        ]
        unseen = self.scale.n_levels - len(self.fitted.observed) if self.scale.is_discrete else 0
        if self.family in PROBABILITY_FAMILIES and unseen:
            notes.append(f"{unseen} level(s) never answered in the pilot get predicted probability 0")
        notes.extend(exclusion_notes(self.exclusions))
        summary.add_extra_txt(notes)
        return summary

    # predictions ------------------------------------------------------------------
    @cached_property
    def _baselines(self):
        scalar = formulas.build("llm_mean", self.frame.loc[self.is_pilot])
        pilot_only = formulas.build(formulas.covariate_rhs(self.spec), self.frame.loc[self.is_pilot])
        return {
            "scalar": (scalar, self.fit_rows(self.is_pilot, scalar)),
            "pilot": (pilot_only, self.fit_rows(self.is_pilot, pilot_only)),
        }

    def predict(self, kind="response", method="debiased", newdata=None):
        """Predictions for every person in the population (or ``newdata``'s rows).

        kind: ``"response"`` (expected answer in the item's units; conditional quantile for
            quantreg), ``"probs"`` (one ``prob_<level>`` column per level), ``"class"`` (the
            most probable level).
        method: ``"debiased"`` (this fit), ``"base"`` (uncorrected LLM: draw mean / shares),
            ``"scalar"`` (same family on ``llm_mean`` alone), ``"pilot"`` (same family on the
            formula's covariates alone, no LLM features).
        Returns a DataFrame: ``id``, ``is_pilot`` and the prediction column(s).
        """
        if kind not in KINDS:
            raise SynthsurveyError(f"kind {kind!r} is not one of {KINDS}")
        if method not in METHODS:
            raise SynthsurveyError(f"method {method!r} is not one of {METHODS}")
        frame = self.frame if newdata is None else newdata
        out = pd.DataFrame({"id": frame["id"].to_numpy()})
        if IS_PILOT in frame.columns:
            out[IS_PILOT] = frame[IS_PILOT].to_numpy()
        values = self._predict_values(kind, method, frame)
        if kind == "probs":
            for name, column in zip(self.prob_names(), values.T):
                out[name] = column
        else:
            out["prediction"] = values
        return out

    def prob_names(self):
        """Column names of ``predict(kind="probs")``: ``prob_<level>``."""
        return [name.replace("llm_p", "prob_", 1) for name in self.scale.share_names()]

    def _predict_values(self, kind, method, frame):
        if method == "base":
            if kind == "response":
                return frame["llm_mean"].to_numpy(dtype=float)
            shares = frame[self.scale.share_names()].to_numpy(dtype=float) if self.scale.is_discrete else None
            if shares is None:
                raise SynthsurveyError("base LLM probabilities need a discrete item")
            return shares if kind == "probs" else np.asarray(self.scale.levels)[shares.argmax(axis=1)]
        if method == "debiased":
            design, fitted = self.design, self.fitted
        else:
            design, fitted = self._baselines[method]
        matrix = formulas.rebuild(design, frame)
        if kind == "response":
            return fitted.mean(matrix)
        probs = fitted.probs(matrix)
        return probs if kind == "probs" else np.asarray(self.scale.levels)[probs.argmax(axis=1)]

    def baselines(self):
        """DataFrame with one row per person: id, is_pilot, response (NaN outside the pilot)
        and the ``response`` prediction of every method side by side."""
        out = self.frame[["id", IS_PILOT, RESPONSE]].copy()
        for method in ("base", "scalar", "pilot", "debiased"):
            out[method] = self._predict_values("response", method, self.frame)
        return out

    # population estimates (see synthsurvey.population) ---------------------------------
    def population_mean(self, by=None, **options):
        """Population mean of the item's human answers, with a PPI++ CI (see ``population.population_mean``)."""
        from .population import population_mean

        return population_mean(self, by=by, **options)

    def population_shares(self, **options):
        """Population share of each level, with PPI++ CIs (see ``population.population_shares``)."""
        from .population import population_shares

        return population_shares(self, **options)

    def population_quantile(self, q=0.5, **options):
        """Population q-quantile, with a PPI++ CI (see ``population.population_quantile``)."""
        from .population import population_quantile

        return population_quantile(self, q=q, **options)

    def __repr__(self):
        return (f"<DebiasResults item={self.item!r} family={self.family} pilot={self.nobs} "
                f"population={self.n_population}>")
