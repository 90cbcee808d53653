"""Would the analyst's regression come out the same? Coefficients of one model estimated
from several sources side by side, against the human pilot.

Sources (all on the fit's population frame):
* ``human pilot``       the pilot's answers alone (classical estimate, sandwich SEs);
* ``LLM one draw``      each person's first LLM draw as their answer (a simulated respondent);
* ``LLM draw mean``     each person's mean of draws as their answer;
* ``debiased (naive)``  the debiasing model's predictions plugged in as answers, naive SEs;
* ``PPI++``             cross-fitted prediction-powered estimate (the valid one).
The comparison treats each source and the human pilot as independent when testing their
difference (z = (b - b_human) / sqrt(se^2 + se_human^2)).
"""

import numpy as np
import pandas as pd
import scipy.stats
import statsmodels.api as sm

from .coefficients import analyst_design, population_logit, population_ols
from .errors import SynthsurveyError
from .study import exclusion_notes

SOURCES = ("human pilot", "LLM one draw", "LLM draw mean", "debiased (naive)", "PPI++")
FAMILIES = ("ols", "logit")


def first_draws(fit):
    """Each population row's first LLM draw (smallest draw label) for the fit's item, or None
    when the fit was made from precomputed features."""
    if fit.samples is None:
        return None
    rows = fit.samples.loc[fit.samples["item"] == fit.item, [fit.key, "draw", "response"]]
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


class RecoveryResult:
    """Coefficients by source (``table()``) and their agreement with the human pilot
    (``summary()``: per term and overall)."""

    def __init__(self, table, alpha, notes=()):
        self._table = table
        self.alpha = alpha
        self.notes = tuple(notes)

    def table(self):
        """Tidy: term, source, estimate, std_error, ci_low, ci_high."""
        return self._table.copy()

    def summary(self):
        """(per_term, overall) DataFrames. Per term and source: ratio to the human estimate,
        sign agreement, whether the estimate is inside the human CI, z test of equality.
        Overall per source (intercept left out): attenuation slope (least squares through the
        origin of source on human coefficients), correlation of the coefficient vectors, sign
        and significance agreement rates, RMSE of coefficients standardised by the human
        standard errors."""
        z = scipy.stats.norm.ppf(1 - self.alpha / 2)
        table = self._table
        human = table[table["source"] == "human pilot"].set_index("term")
        rows = []
        for row in table[table["source"] != "human pilot"].itertuples():
            h = human.loc[row.term]
            diff_se = np.hypot(row.std_error, h["std_error"])
            z_diff = (row.estimate - h["estimate"]) / diff_se
            rows.append({
                "term": row.term, "source": row.source, "estimate": row.estimate,
                "human_estimate": h["estimate"], "ratio": row.estimate / h["estimate"],
                "sign_agree": np.sign(row.estimate) == np.sign(h["estimate"]),
                "in_human_ci": h["ci_low"] <= row.estimate <= h["ci_high"],
                "z_diff": z_diff, "p_diff": 2 * scipy.stats.norm.sf(abs(z_diff)),
            })
        per_term = pd.DataFrame(rows)
        overall = []
        for source, group in per_term[per_term["term"] != "Intercept"].groupby("source", sort=False):
            b, h = group["estimate"].to_numpy(), group["human_estimate"].to_numpy()
            human_rows = human.loc[group["term"]]
            source_rows = table[(table["source"] == source)].set_index("term").loc[group["term"]]
            significant_source = np.abs(source_rows["estimate"] / source_rows["std_error"]) > z
            significant_human = np.abs(human_rows["estimate"] / human_rows["std_error"]) > z
            overall.append({
                "source": source,
                "attenuation_slope": float(b @ h / (h @ h)),
                "coef_correlation": float(np.corrcoef(b, h)[0, 1]) if len(b) > 1 else np.nan,
                "sign_agreement": float(group["sign_agree"].mean()),
                "significance_agreement": float(np.mean(
                    (significant_source.to_numpy() == significant_human.to_numpy())
                    & (~significant_source.to_numpy() | group["sign_agree"].to_numpy()))),
                "rmse_standardized": float(np.sqrt(np.mean(((b - h) / human_rows["std_error"].to_numpy()) ** 2))),
                "share_in_human_ci": float(group["in_human_ci"].mean()),
            })
        return per_term, pd.DataFrame(overall)

    def __repr__(self):
        _, overall = self.summary()
        return "Coefficient recovery against the human pilot\n" + overall.to_string(
            index=False, float_format=lambda v: f"{v:.3f}")


def recover(formula, fit, family="ols", alpha=0.05, folds=5, seed=0):
    """Estimate the analyst's model (``formula``, its left-hand side the fit's item) from every
    source in ``SOURCES``; family ``"ols"`` or ``"logit"`` (binary items). Returns a RecoveryResult."""
    if family not in FAMILIES:
        raise SynthsurveyError(f"family {family!r} is not one of {FAMILIES}")
    matrix, usable, exclusions = analyst_design(formula, fit)
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
    for source, method in (("human pilot", "classical"), ("PPI++", "ppi++")):
        table = estimator(formula, fit, method=method, **options).table()
        tables.append(table[["term", "estimate", "std_error"]].assign(source=source))
    plain = {
        "LLM draw mean": as_outcome(fit.frame["llm_mean"].to_numpy(dtype=float)),
        "debiased (naive)": as_outcome(fit.predict()["prediction"].to_numpy(dtype=float)),
    }
    draws = first_draws(fit)
    if draws is None:
        notes.append("no raw draws kept (fit made from features): the one-draw source is left out")
    else:
        plain["LLM one draw"] = as_outcome(draws)
    for source in ("LLM one draw", "LLM draw mean", "debiased (naive)"):
        if source not in plain:
            continue
        y = plain[source][usable]
        if family == "logit":
            y = np.clip(y, 0, 1)
        estimate, std_error = _plain_fit(y, x, family, binary=source == "LLM one draw")
        tables.append(pd.DataFrame({"term": matrix.columns, "estimate": estimate, "std_error": std_error,
                                    "source": source}))
    table = pd.concat(tables, ignore_index=True)
    z = scipy.stats.norm.ppf(1 - alpha / 2)
    table["ci_low"] = table["estimate"] - z * table["std_error"]
    table["ci_high"] = table["estimate"] + z * table["std_error"]
    order = {source: position for position, source in enumerate(SOURCES)}
    table = table.sort_values("source", key=lambda s: s.map(order), kind="stable")
    table = table[["term", "source", "estimate", "std_error", "ci_low", "ci_high"]].reset_index(drop=True)
    return RecoveryResult(table, alpha, notes)
