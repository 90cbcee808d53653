"""Would the analyst's regression come out the same? Coefficients of one model estimated
with several estimators side by side, against the human pilot.

Estimators (all on the fit's population frame):
* ``human pilot``       the pilot's answers alone (classical estimate, sandwich SEs);
* ``LLM one draw``      each person's first LLM draw as their answer (a simulated respondent);
* ``LLM draw mean``     each person's mean of draws as their answer;
* ``debiased (naive)``  the debiasing model's predictions plugged in as answers, naive SEs;
* ``PPI++``             cross-fitted prediction-powered estimate (the valid one).
The comparison treats each estimator and the human pilot as independent when testing their
difference (z = (b - b_human) / sqrt(se^2 + se_human^2)).
"""

import numpy as np
import pandas as pd
import scipy.stats
import statsmodels.api as sm

from ..common.checks import check_alpha
from ..common.errors import SynthsurveyError
from ..common.results import Result, Summary, critical_values
from ..inference.coefficients import analyst_design, check_fit_first, population_logit, population_ols
from ..models.frame import exclusion_notes

ESTIMATORS = ("human pilot", "LLM one draw", "LLM draw mean", "debiased (naive)", "PPI++")
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


def _plain_fit(y, matrix, family, binary):
    """Estimates and HC0 standard errors of OLS, or of a logit (fractional answers: binomial GLM)."""
    if family == "ols":
        result = sm.OLS(y, matrix).fit(cov_type="HC0")
    elif binary:
        result = sm.Logit(y, matrix).fit(disp=0, cov_type="HC0")
    else:
        result = sm.GLM(y, matrix, family=sm.families.Binomial()).fit(cov_type="HC0")
    return np.asarray(result.params), np.asarray(result.bse)


class RecoveryResult(Result):
    """Coefficients by estimator (``table()``: estimator, term, estimate, std_error, statistic,
    p_value, ci_low, ci_high) and their agreement with the human pilot (``per_term()``,
    ``overall()``; both in ``summary()``)."""

    label_columns = ("estimator", "term")

    def __init__(self, estimates, alpha, notes=(), formula=""):
        estimates = estimates.copy()
        estimates.attrs["keys"] = ("estimator",)
        self.formula = formula
        self._set_estimates(estimates, alpha, notes)
        self._freeze()

    def per_term(self):
        """Per term and estimator: ratio to the human estimate, sign agreement, whether the
        estimate is inside the human CI, z test of equality (DataFrame)."""
        table = self.table()
        human = table[table["estimator"] == "human pilot"].set_index("term")
        rows = []
        for row in table[table["estimator"] != "human pilot"].itertuples():
            h = human.loc[row.term]
            diff_se = np.hypot(row.std_error, h["std_error"])
            z_diff = (row.estimate - h["estimate"]) / diff_se
            rows.append({
                "estimator": row.estimator, "term": row.term, "estimate": row.estimate,
                "human_estimate": h["estimate"], "ratio": row.estimate / h["estimate"],
                "sign_agree": np.sign(row.estimate) == np.sign(h["estimate"]),
                "in_human_ci": h["ci_low"] <= row.estimate <= h["ci_high"],
                "z_diff": z_diff, "p_diff": 2 * scipy.stats.norm.sf(abs(z_diff)),
            })
        return pd.DataFrame(rows)

    def overall(self):
        """Per estimator (intercept left out): attenuation slope (least squares through the origin
        of the estimator's on the human coefficients), correlation of the coefficient vectors,
        sign and significance agreement rates, RMSE of coefficients standardised by the human
        standard errors, share inside the human CI (DataFrame)."""
        table = self.table()
        per_term = self.per_term()
        human = table[table["estimator"] == "human pilot"].set_index("term")
        crit = float(critical_values(self.alpha, np.inf))
        overall = []
        for estimator, group in per_term[per_term["term"] != "Intercept"].groupby("estimator", sort=False):
            b, h = group["estimate"].to_numpy(), group["human_estimate"].to_numpy()
            human_rows = human.loc[group["term"]]
            own_rows = table[table["estimator"] == estimator].set_index("term").loc[group["term"]]
            significant_own = np.abs(own_rows["estimate"] / own_rows["std_error"]).to_numpy() > crit
            significant_human = np.abs(human_rows["estimate"] / human_rows["std_error"]).to_numpy() > crit
            overall.append({
                "estimator": estimator,
                "attenuation_slope": float(b @ h / (h @ h)),
                "coef_correlation": float(np.corrcoef(b, h)[0, 1]) if len(b) > 1 else np.nan,
                "sign_agreement": float(group["sign_agree"].mean()),
                "significance_agreement": float(np.mean(
                    (significant_own == significant_human) & (~significant_own | group["sign_agree"].to_numpy()))),
                "rmse_standardized": float(np.sqrt(np.mean(((b - h) / human_rows["std_error"].to_numpy()) ** 2))),
                "share_in_human_ci": float(group["in_human_ci"].mean()),
            })
        return pd.DataFrame(overall)

    def _title(self):
        return f"Coefficient recovery against the human pilot: {self.formula}"

    def summary(self, alpha=None):
        """Printable: the coefficients by estimator, then the overall and per-term agreement."""
        base = super().summary(alpha)
        return Summary(base.title, base.info, base.table, base.notes,
                       tables={"overall agreement (intercept left out)": self.overall(),
                               "per term": self.per_term()})


def recover(fit, formula, family="ols", alpha=0.05, folds=5, seed=0):
    """Estimate the analyst's model (``formula``, its left-hand side the fit's item) with every
    estimator in ``ESTIMATORS``; family ``"ols"`` or ``"logit"`` (binary items). Returns a
    RecoveryResult."""
    check_fit_first(fit, formula, "recover")
    alpha = check_alpha(alpha)
    if family not in FAMILIES:
        raise SynthsurveyError(f"family {family!r} is not one of {FAMILIES}")
    matrix, usable, exclusions = analyst_design(fit, formula, fit.frame, fit.has_covariates)
    x = matrix.to_numpy(dtype=float)
    binary = fit.scale.n_levels == 2
    if family == "logit" and not binary:
        raise SynthsurveyError(f"logit recovery needs a binary item; {fit.item!r} is {fit.scale.describe()}")
    low, high = (fit.scale.levels if binary else (0.0, 1.0))

    def as_outcome(values):
        return (values - low) / (high - low) if family == "logit" else values

    estimator = population_ols if family == "ols" else population_logit
    options = dict(alpha=alpha, folds=folds, seed=seed)
    tables, notes = [], exclusion_notes(exclusions)
    for name, method in (("human pilot", "classical"), ("PPI++", "ppi++")):
        table = estimator(fit, formula, method=method, **options).table()
        tables.append(table[["term", "estimate", "std_error"]].assign(estimator=name))
    plain = {
        "LLM draw mean": as_outcome(fit.frame["llm_mean"].to_numpy(dtype=float)),
        "debiased (naive)": as_outcome(fit.predict_values("response", "debiased", fit.frame)),
    }
    draws = first_draws(fit)
    if draws is None:
        notes.append("no raw draws kept (fit made from features): the one-draw estimator is left out")
    else:
        plain["LLM one draw"] = as_outcome(draws)
    for name in ("LLM one draw", "LLM draw mean", "debiased (naive)"):
        if name not in plain:
            continue
        y = plain[name][usable]
        if family == "logit":
            y = np.clip(y, 0, 1)
        estimate, std_error = _plain_fit(y, x, family, binary=name == "LLM one draw")
        tables.append(pd.DataFrame({"term": matrix.columns, "estimate": estimate, "std_error": std_error,
                                    "estimator": name}))
    table = pd.concat(tables, ignore_index=True)
    order = {name: position for position, name in enumerate(ESTIMATORS)}
    table = table.sort_values("estimator", key=lambda s: s.map(order), kind="stable")
    table = table[["estimator", "term", "estimate", "std_error"]].reset_index(drop=True)
    return RecoveryResult(table, alpha, notes, formula)
