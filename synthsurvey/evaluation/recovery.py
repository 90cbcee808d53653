"""Would the analyst's regression come out the same? Coefficients of one model estimated from
several sources side by side, every one an estimate of the same kind of quantity: the census
regression over the fit's population frame (the rows the formula can use), of its source's
answers, under the fit's pilot design.

Sources (``estimator``):
* ``human pilot``       the pilot's answers alone (classical, design-based sandwich);
* ``LLM one draw``      each person's first LLM draw as their answer;
* ``LLM draw mean``     each person's mean of draws as their answer;
* ``debiased (naive)``  the debiasing model's predictions (fit on the whole pilot) as answers;
* ``PPI++``             cross-fitted prediction-powered estimate of the humans' coefficients.

The LLM sources are known for every person, so their coefficients are the frame's own: no
sampling error (std_error 0). The naive debiased coefficients depend on the pilot through the
debiasing fit: their standard error is its estimation error carried through (delta method,
under the design) for an ols debiasing family, and NaN (no interval, noted) for the others;
they are biased for the humans' coefficients whenever the debiaser attenuates, which is why
they are "naive".

The reference is PPI++ (the humans' population coefficients, valid under the design). Every
comparison (``per_term``) tests a source's coefficient against it with the standard error of the
difference: the reference's alone for the LLM sources (fixed), and the design variance of the
difference of influence values for the sources that share the pilot (human pilot, naive).
The attenuation slope (``overall``) is the least-squares slope through the origin of a source's
standardised coefficients (coefficient x the covariate's sd over the frame: free of units) on the
reference's, with the reference's noise removed from the denominator (h'h - trace Var(h), an
errors-in-variables correction, so the slope of the true coefficients is 1), and a delta-method CI.
"""

import numpy as np
import pandas as pd
import scipy.stats
import statsmodels.api as sm

from ..common.checks import check_alpha
from ..common.errors import SynthsurveyError
from ..common.results import Result, Summary, critical_values
from ..inference import regression
from ..inference.coefficients import analyst_design, check_fit_first, coefficient_estimate, logit_estimator
from ..models.frame import exclusion_notes

ESTIMATORS = ("human pilot", "LLM one draw", "LLM draw mean", "debiased (naive)", "PPI++")
REFERENCE = "PPI++"
FAMILIES = ("ols", "logit")


def first_draws(fit):
    """Each population row's first LLM draw (smallest draw label) for the fit's item, or None
    when the fit was made from precomputed features."""
    if fit.samples is None:
        return None
    rows = fit.samples
    if "source" in rows.columns:  # several LLM sources: the draws of the source the fit reads
        rows = rows[rows["source"] == fit.source]
    rows = rows.loc[rows["item"] == fit.item, [fit.key, "draw", "response"]]
    first = rows.sort_values([fit.key, "draw"], kind="stable").drop_duplicates(fit.key)
    mapped = fit.frame[[fit.key]].merge(first, on=fit.key, how="left")
    return mapped["response"].to_numpy(dtype=float)


def _census(y, matrix, family):
    """Coefficients of the regression of ``y`` on ``matrix`` over the whole frame (a census)."""
    if family == "ols":
        return np.linalg.lstsq(matrix, y, rcond=None)[0]
    return np.asarray(sm.GLM(np.clip(y, 0, 1), matrix, family=sm.families.Binomial()).fit().params)


class RecoveryResult(Result):
    """Coefficients by source (``table()``: estimator, term, estimate, std_error, statistic, p_value,
    ci_low, ci_high, df) and their agreement with the reference, PPI++ (``per_term()``,
    ``overall()``; both in ``summary()``). ``comparisons`` holds, per (estimator, term), the
    standard error of the difference from the reference (paired where the pilot is shared) and
    ``attenuation`` the slope's standard error per estimator."""

    label_columns = ("estimator", "term")

    def __init__(self, estimates, alpha, notes=(), formula="", comparisons=None, attenuation=None):
        estimates = estimates.copy()
        estimates.attrs["keys"] = ("estimator",)
        self.formula = formula
        self.comparisons = {} if comparisons is None else dict(comparisons)
        self.attenuation = {} if attenuation is None else dict(attenuation)
        self._set_estimates(estimates, alpha, notes)
        self._freeze()

    def per_term(self):
        """Per source and term: the reference's estimate, ratio, sign agreement, whether the estimate
        is inside the reference's CI, and the z test of equality with the paired standard error of
        the difference (DataFrame)."""
        table = self.table()
        reference = table[table["estimator"] == REFERENCE].set_index("term")
        rows = []
        for row in table[table["estimator"] != REFERENCE].itertuples():
            ref = reference.loc[row.term]
            diff_se = self.comparisons.get((row.estimator, row.term), np.nan)
            z_diff = (row.estimate - ref["estimate"]) / diff_se if diff_se > 0 else np.nan
            rows.append({
                "estimator": row.estimator, "term": row.term, "estimate": row.estimate,
                "reference_estimate": ref["estimate"], "ratio": row.estimate / ref["estimate"],
                "sign_agree": np.sign(row.estimate) == np.sign(ref["estimate"]),
                "in_reference_ci": ref["ci_low"] <= row.estimate <= ref["ci_high"],
                "diff_se": diff_se, "z_diff": z_diff,
                "p_diff": 2 * scipy.stats.norm.sf(abs(z_diff)) if np.isfinite(z_diff) else np.nan,
            })
        return pd.DataFrame(rows)

    def overall(self):
        """Per source (intercept left out): the attenuation slope on standardised coefficients
        against the reference with its CI (see the module docstring), the correlation of the
        coefficient vectors, sign and significance agreement, RMSE of the differences standardised
        by the reference's standard errors, and the share inside the reference's CI (DataFrame)."""
        table = self.table()
        per_term = self.per_term()
        reference = table[table["estimator"] == REFERENCE].set_index("term")
        critical = float(critical_values(self.alpha, np.inf))
        overall = []
        for estimator, group in per_term[per_term["term"] != "Intercept"].groupby("estimator", sort=False):
            b, h = group["estimate"].to_numpy(), group["reference_estimate"].to_numpy()
            ref_rows = reference.loc[group["term"]]
            own = table[table["estimator"] == estimator].set_index("term").loc[group["term"]]
            with np.errstate(divide="ignore", invalid="ignore"):
                significant_own = np.abs(own["estimate"] / own["std_error"]).to_numpy() > critical
                significant_ref = np.abs(ref_rows["estimate"] / ref_rows["std_error"]).to_numpy() > critical
            slope, slope_se = self.attenuation.get(estimator, (np.nan, np.nan))
            overall.append({
                "estimator": estimator, "attenuation_slope": slope, "attenuation_se": slope_se,
                "attenuation_ci_low": slope - critical * slope_se, "attenuation_ci_high": slope + critical * slope_se,
                "coef_correlation": float(np.corrcoef(b, h)[0, 1]) if len(b) > 1 else np.nan,
                "sign_agreement": float(group["sign_agree"].mean()),
                "significance_agreement": float(np.mean(
                    (significant_own == significant_ref) & (~significant_own | group["sign_agree"].to_numpy()))),
                "rmse_standardized": float(np.sqrt(np.mean(((b - h) / ref_rows["std_error"].to_numpy()) ** 2))),
                "share_in_reference_ci": float(group["in_reference_ci"].mean()),
            })
        return pd.DataFrame(overall)

    def _title(self):
        return f"Coefficient recovery against the humans' population coefficients (PPI++): {self.formula}"

    def summary(self, alpha=None):
        """Printable: the coefficients by source, then the overall and per-term agreement."""
        base = super().summary(alpha)
        return Summary(base.title, base.info, base.table, base.notes,
                       tables={"overall agreement (intercept left out)": self.overall(),
                               "per term": self.per_term()})


def _naive_influence(fit, inputs, x_all, family, slope, estimate):
    """Influence values over the pilot rows (of ``inputs``) of the naive estimator beta_N(g_hat)
    for an ols debiasing family: g_hat = Z gamma_hat is linear in gamma_hat, so beta_N(g_hat) moves
    by J d_gamma with J = dbeta/dg x slope x Z (OLS: (X'X)^-1 X'; logit on fractional outcomes:
    (X'VX)^-1 X' at the naive estimate), and gamma_hat's influence is (Z_p'Z_p)^-1 z_i e_i (the
    unweighted OLS of the pilot; (Z_p'Z_p + n diag(penalty))^-1 z_i e_i for llm_auto's ridge; rows
    the analyst's formula cannot use are left out). None for other families."""
    if fit.family != "ols":
        return None
    columns = list(fit.params.index) if hasattr(fit.fitted, "selection") else None  # llm_auto's chosen columns
    penalty = getattr(fit.fitted, "penalty", None)  # a ridge choice: gamma_hat = (Z'Z + n diag(penalty))^-1 Z'y

    def design(frame):
        matrix = fit.design_matrix(frame)
        return (matrix if columns is None else matrix[columns]).to_numpy(dtype=float)

    pilot_frame = inputs.frame.loc[inputs.is_pilot]
    z_pilot = design(pilot_frame)
    residual = pilot_frame["response"].to_numpy(dtype=float) - z_pilot @ fit.params.to_numpy()
    full_pilot = design(fit.frame.loc[fit.is_pilot])
    bread = full_pilot.T @ full_pilot
    if penalty is not None:  # at the chosen penalty (its choice from the data is not carried through)
        bread = bread + len(full_pilot) * np.diag(penalty)
    u_gamma = (z_pilot * residual[:, None]) @ np.linalg.inv(bread)
    z_all = design(inputs.frame) * slope
    if family == "ols":
        jacobian = np.linalg.solve(x_all.T @ x_all, x_all.T @ z_all)
    else:
        p = 1 / (1 + np.exp(-(x_all @ estimate)))
        jacobian = np.linalg.solve((x_all * (p * (1 - p))[:, None]).T @ x_all, x_all.T @ z_all)
    return u_gamma @ jacobian.T


def _attenuation(estimate, reference, covariance, scale, u_source, u_reference, sampling):
    """(slope, standard error) of the errors-in-variables corrected slope of standardised
    ``estimate`` on standardised ``reference`` (terms already without the intercept)."""
    b, h = estimate * scale, reference * scale
    denominator = h @ h - np.trace(covariance * np.outer(scale, scale))
    if not denominator > 0:
        return np.nan, np.nan
    slope = (b @ h) / denominator
    gradient_h = (b - 2 * slope * h) * scale / denominator
    influence = u_reference @ gradient_h
    if u_source is not None:
        influence = influence + u_source @ (h * scale / denominator)
    return float(slope), float(np.sqrt(sampling.pilot.variance(influence[:, None])[0, 0]))


def recover(fit, formula, family="ols", alpha=0.05, folds=5, seed=0):
    """Estimate the analyst's model (``formula``, its left-hand side the fit's item) from every
    source in ``ESTIMATORS`` under the fit's pilot design; family ``"ols"`` or ``"logit"`` (binary
    items). Returns a RecoveryResult."""
    check_fit_first(fit, formula, "recover")
    alpha = check_alpha(alpha)
    if family not in FAMILIES:
        raise SynthsurveyError(f"family {family!r} is not one of {FAMILIES}")
    binary = fit.scale.n_levels == 2
    if family == "logit" and not binary:
        raise SynthsurveyError(f"logit recovery needs a binary item; {fit.item!r} is {fit.scale.describe()}")
    low, high = (fit.scale.levels if binary else (0.0, 1.0))
    slope = 1.0 / (high - low) if family == "logit" else 1.0

    def as_outcome(values):
        return (values - low) * slope if family == "logit" else values

    if family == "logit":
        kind, kernel, outcome = logit_estimator(fit)
    else:
        kind, kernel, outcome = "response", regression.ols, (lambda values: values)
    estimates = {}
    for name, method in (("human pilot", "classical"), (REFERENCE, "ppi++")):
        estimates[name] = coefficient_estimate(kernel, fit, formula, kind, outcome, method, "subsample", True, folds,
                                               seed, None, None, True)
    reference, terms, inputs, exclusions = estimates[REFERENCE]
    classical = estimates["human pilot"][0]
    x_all = analyst_design(fit, formula, inputs.frame)[0].to_numpy(dtype=float)
    rows = [pd.DataFrame({"estimator": name, "term": terms, "estimate": result[0].estimate,
                          "std_error": result[0].std_error, "df": result[0].df})
            for name, result in estimates.items()]
    comparisons = {("human pilot", term): float(np.sqrt(max(variance, 0.0))) for term, variance in zip(
        terms, np.diag(inputs.sampling.pilot.variance(classical.influence - reference.influence)))}
    influences = {"human pilot": classical.influence}
    notes = exclusion_notes(exclusions)
    census = {"LLM draw mean": inputs.frame["llm_mean"].to_numpy(dtype=float),
              "debiased (naive)": fit.predict_values("response", "debiased", inputs.frame)}
    draws = first_draws(fit)
    if draws is None:
        notes.append("no raw draws kept (fit made from features): the one-draw estimator is left out")
    else:
        census["LLM one draw"] = draws[inputs.frame.index.to_numpy()]
    for name, values in census.items():
        estimate = _census(as_outcome(values), x_all, family)
        if name == "debiased (naive)":
            influence = _naive_influence(fit, inputs, x_all, family, slope, estimate)
            if influence is None:
                std_error, difference = np.full(len(terms), np.nan), np.full(len(terms), np.nan)
                notes.append(f"debiased (naive): no interval for a {fit.family} debiasing fit (its estimation error "
                             "is not carried through); it is biased wherever the debiaser attenuates")
            else:
                influences[name] = influence
                std_error = np.sqrt(np.diag(inputs.sampling.pilot.variance(influence)))
                difference = np.sqrt(np.diag(inputs.sampling.pilot.variance(influence - reference.influence)))
        else:
            std_error, difference = np.zeros(len(terms)), reference.std_error
        rows.append(pd.DataFrame({"estimator": name, "term": terms, "estimate": estimate, "std_error": std_error,
                                  "df": np.inf if name != "debiased (naive)" else classical.df}))
        comparisons.update({(name, term): float(value) for term, value in zip(terms, difference)})
    notes.append("LLM sources are known for every person: their coefficients are the frame's own (std_error 0); "
                 "comparisons are against PPI++, with paired standard errors for sources sharing the pilot")
    table = pd.concat(rows, ignore_index=True)
    order = {name: position for position, name in enumerate(ESTIMATORS)}
    table = table.sort_values("estimator", key=lambda s: s.map(order), kind="stable")
    table = table[["estimator", "term", "estimate", "std_error", "df"]].reset_index(drop=True)
    slopes = _slopes(table, terms, reference, influences, inputs, x_all)
    return RecoveryResult(table, alpha, notes, formula, comparisons, slopes)


def _slopes(table, terms, reference, influences, inputs, x_all):
    """The attenuation slope and its standard error of every non-reference source."""
    keep = np.array([term != "Intercept" for term in terms])
    if keep.sum() < 1:
        return {}
    scale = x_all[:, keep].std(axis=0, ddof=1)
    covariance = reference.covariance[np.ix_(keep, keep)]
    slopes = {}
    for estimator, group in table[table["estimator"] != REFERENCE].groupby("estimator", sort=False):
        estimate = group.set_index("term").loc[terms, "estimate"].to_numpy()[keep]
        source = influences.get(estimator)
        if estimator == "debiased (naive)" and source is None:
            slopes[estimator] = (np.nan, np.nan)
            continue
        slopes[estimator] = _attenuation(estimate, reference.estimate[keep], covariance, scale,
                                         None if source is None else source[:, keep], reference.influence[:, keep],
                                         inputs.sampling)
    return slopes
