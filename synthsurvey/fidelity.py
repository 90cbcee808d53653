"""Three-axis fidelity of LLM answers, raw and debiased, against the human pilot.

* marginal: distances between the human answer distribution (the pilot) and each method's
  population distribution, beside the *human floor*: the same distance between two random
  halves of the pilot (distances between samples are biased upward; the floor shows what
  "as good as humans" looks like at this sample size);
* structural: coefficient recovery of an analyst's model (see ``recovery``);
* individual: errors of cross-fitted predictions on the pilot (held-out folds);
* subgroups: the marginal distances per level of chosen covariates, worst group and gap;
* coherence: belief-action relations (correlation, logit slope) in humans, in raw LLM
  draws (belief and action from the same draw) and in debiased predictions.

Methods: ``base LLM`` (draw shares / draw means), ``scalar`` (the same family on
``llm_mean``), ``debiased`` (the fit). Population distributions of scalar and debiased are
PPI++ share estimates (with the fit's level probabilities when its family has them, else
the LLM draw shares as predictions).
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.stats
import statsmodels.api as sm

from . import metrics, ppi
from .crossfit import predictions as cached_predictions
from .errors import SynthsurveyError
from .families import PROBABILITY_FAMILIES
from .formula import item_lhs, parse as parse_formula
from .population import population_shares
from .recovery import recover

METHODS = ("base LLM", "scalar", "debiased")


@dataclass
class FidelityReport:
    """The fidelity tables (DataFrames) and the recovery result, if a formula was given."""

    marginal: pd.DataFrame
    individual: pd.DataFrame
    subgroups: pd.DataFrame = field(default_factory=pd.DataFrame)
    subgroup_summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    coherence: pd.DataFrame = field(default_factory=pd.DataFrame)
    structural: object = None
    distributions: pd.DataFrame = field(default_factory=pd.DataFrame)
    resampled: dict = field(default_factory=dict)
    notes: tuple = ()

    def tables(self):
        """Every table by name (the structural ones as ``structural_terms``/``structural_overall``)."""
        out = {"marginal": self.marginal, "individual": self.individual, "subgroups": self.subgroups,
               "subgroup_summary": self.subgroup_summary, "coherence": self.coherence,
               "distributions": self.distributions}
        if self.structural is not None:
            terms, overall = self.structural.summary()
            out.update(structural_terms=terms, structural_overall=overall,
                       structural_coefficients=self.structural.table())
        out.update({f"resampled_{name}": table for name, table in self.resampled.items()})
        return out


def _pmf(answers, levels):
    answers = np.asarray(answers, dtype=float)
    return np.array([(np.isclose(answers, level)).mean() for level in levels])


def _variance(pmf, levels):
    mean = pmf @ levels
    return float(pmf @ (levels - mean) ** 2)


def _entropy(pmf):
    return float(scipy.stats.entropy(pmf, base=2))


def distribution_metrics(human, other, levels):
    """Distances between pmfs ``human`` and ``other`` on ``levels`` plus variance and entropy ratios."""
    row = metrics.distances(human, other)
    row["variance_ratio"] = _variance(other, levels) / _variance(human, levels)
    human_entropy = _entropy(human)
    row["entropy_ratio"] = _entropy(other) / human_entropy if human_entropy > 0 else np.nan
    return row


def human_floor(answers, levels, n_splits=20, seed=0):
    """Mean distances between the pmfs of two random halves of ``answers``, over ``n_splits`` splits."""
    rng = np.random.default_rng(seed)
    answers = np.asarray(answers, dtype=float)
    rows = []
    for _ in range(n_splits):
        order = rng.permutation(len(answers))
        half = len(answers) // 2
        rows.append(metrics.distances(_pmf(answers[order[:half]], levels), _pmf(answers[order[half:2 * half]], levels)))
    return pd.DataFrame(rows).mean().to_dict()


def _method_fits(fit):
    return {"scalar": fit.refit(f"{item_lhs(fit.item)} ~ llm_mean"), "debiased": fit}


def _population_pmfs(fit, fits, folds, seed):
    levels = np.asarray(fit.scale.levels)
    pmfs = {"base LLM": fit.frame[fit.scale.share_names()].to_numpy(dtype=float).mean(axis=0)}
    for method, method_fit in fits.items():
        pmfs[method] = population_shares(method_fit, folds=folds, seed=seed).table()["estimate"].to_numpy()
    return levels, {method: np.clip(pmf, 0, None) / np.clip(pmf, 0, None).sum() for method, pmf in pmfs.items()}


def marginal_axis(fit, fits, folds=5, seed=0, n_splits=20):
    """Per method: distances to the human pilot distribution, with the human floor beside them.
    Returns (metrics table, pmf table)."""
    answers = fit.frame.loc[fit.is_pilot, "response"].to_numpy(dtype=float)
    if not fit.scale.is_discrete:
        return _continuous_marginal(fit, fits, answers, folds, seed, n_splits), pd.DataFrame()
    levels, pmfs = _population_pmfs(fit, fits, folds, seed)
    human = _pmf(answers, levels)
    floor = human_floor(answers, levels, n_splits, seed)
    rows = []
    for method, pmf in pmfs.items():
        row = {"item": fit.item, "method": method, **distribution_metrics(human, pmf, levels)}
        row.update({f"floor_{name}": value for name, value in floor.items()})
        rows.append(row)
    table = pd.DataFrame(rows)
    shown = pd.DataFrame({"item": fit.item, "level": levels, "human pilot": human,
                          **{method: pmf for method, pmf in pmfs.items()}})
    return table, shown


def _continuous_marginal(fit, fits, answers, folds, seed, n_splits):
    rng = np.random.default_rng(seed)
    values = {"base LLM": fit.frame["llm_mean"].to_numpy(dtype=float)}
    for method, method_fit in fits.items():
        values[method] = cached_predictions(method_fit, "response", True, folds, seed)
    floor_w1, floor_ks = [], []
    for _ in range(n_splits):
        order = rng.permutation(len(answers))
        half = len(answers) // 2
        a, b = answers[order[:half]], answers[order[half:2 * half]]
        floor_w1.append(scipy.stats.wasserstein_distance(a, b))
        floor_ks.append(scipy.stats.ks_2samp(a, b).statistic)
    rows = []
    for method, predicted in values.items():
        rows.append({"item": fit.item, "method": method,
                     "wasserstein": scipy.stats.wasserstein_distance(answers, predicted),
                     "ks": scipy.stats.ks_2samp(answers, predicted).statistic,
                     "variance_ratio": np.var(predicted, ddof=1) / np.var(answers, ddof=1),
                     "floor_wasserstein": np.mean(floor_w1), "floor_ks": np.mean(floor_ks)})
    return pd.DataFrame(rows)


def individual_axis(fit, fits, folds=5, seed=0):
    """Held-out errors on the pilot: RMSE, MAE, exact and within-one accuracy (discrete items),
    ranked probability score and Brier score where a method gives level probabilities."""
    answers = fit.frame.loc[fit.is_pilot, "response"].to_numpy(dtype=float)
    levels = np.asarray(fit.scale.levels) if fit.scale.is_discrete else None
    predictions = {"base LLM": fit.frame.loc[fit.is_pilot, "llm_mean"].to_numpy(dtype=float)}
    probabilities = {}
    if levels is not None:
        probabilities["base LLM"] = fit.frame.loc[fit.is_pilot, fit.scale.share_names()].to_numpy(dtype=float)
    for method, method_fit in fits.items():
        predictions[method] = cached_predictions(method_fit, "response", True, folds, seed)[fit.is_pilot]
        if levels is not None and method_fit.family in PROBABILITY_FAMILIES:
            probabilities[method] = cached_predictions(method_fit, "probs", True, folds, seed)[fit.is_pilot]
    rows = []
    for method, predicted in predictions.items():
        row = {"item": fit.item, "method": method, "n": len(answers),
               "rmse": metrics.rmse(answers, predicted), "mae": metrics.mae(answers, predicted)}
        if levels is not None:
            nearest = levels[np.argmin(np.abs(predicted[:, None] - levels[None, :]), axis=1)]
            row["accuracy"] = metrics.accuracy(answers, nearest)
            row["within_one"] = metrics.accuracy(answers, nearest, within=float(np.min(np.diff(levels))))
            probs = probabilities.get(method)
            row["rps"] = metrics.ranked_probability_score(answers, probs, levels) if probs is not None else np.nan
            row["brier"] = metrics.brier(answers, probs, levels) if probs is not None else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def subgroup_axis(fit, fits, by, folds=5, seed=0):
    """Marginal distances per level of each covariate in ``by`` (discrete items): a long table
    and a summary per (covariate, method) with the worst group and the best-worst gap in W1."""
    if not fit.scale.is_discrete:
        raise SynthsurveyError("subgroup fidelity needs a discrete item")
    levels = np.asarray(fit.scale.levels)
    shares = fit.frame[fit.scale.share_names()].to_numpy(dtype=float)
    indicators = np.isclose(fit.frame["response"].to_numpy(dtype=float)[:, None], levels[None, :]).astype(float)
    predictions = {}
    for method, method_fit in fits.items():
        predictions[method] = (cached_predictions(method_fit, "probs", True, folds, seed)
                               if method_fit.family in PROBABILITY_FAMILIES else shares)
    rows = []
    for column in by:
        if column not in fit.frame.columns:
            raise SynthsurveyError(f"by={column!r} is not a column of the fit's frame")
        for value in sorted(fit.frame[column].dropna().unique().tolist()):
            rows_in = (fit.frame[column] == value).to_numpy()
            pilot = rows_in & fit.is_pilot
            if pilot.sum() < 2:
                continue
            human = indicators[pilot].mean(axis=0)
            pmfs = {"base LLM": shares[rows_in].mean(axis=0)}
            for method, predicted in predictions.items():
                estimate = ppi.mean(indicators[pilot], predicted[pilot], predicted[rows_in]).estimate
                estimate = np.clip(estimate, 0, None)
                pmfs[method] = estimate / estimate.sum()
            for method, pmf in pmfs.items():
                rows.append({"item": fit.item, "by": column, "group": value, "method": method,
                             "n_pilot": int(pilot.sum()), **metrics.distances(human, pmf)})
    table = pd.DataFrame(rows)
    summary = []
    for (column, method), group in table.groupby(["by", "method"], sort=False):
        worst = group.loc[group["wasserstein"].idxmax()]
        summary.append({"item": fit.item, "by": column, "method": method, "worst_group": worst["group"],
                        "worst_wasserstein": worst["wasserstein"],
                        "gap_wasserstein": group["wasserstein"].max() - group["wasserstein"].min()})
    return table, pd.DataFrame(summary)


def coherence_axis(belief_fit, action_fit, alpha=0.05, folds=5, seed=0):
    """Belief-action coherence: correlation and logit slope of the (binary) action on the belief
    in humans (pilot people with both answers), raw LLM draws (belief and action from the same
    draw; standard errors clustered by respondent) and debiased predictions; the difference of
    each slope from the human one with its CI (sources treated as independent)."""
    if action_fit.scale.n_levels != 2:
        raise SynthsurveyError(f"coherence needs a binary action item; {action_fit.item!r} is "
                               f"{action_fit.scale.describe()}")
    low, high = action_fit.scale.levels
    z = scipy.stats.norm.ppf(1 - alpha / 2)
    merged = belief_fit.frame[["id", "response", "is_pilot"]].merge(
        action_fit.frame[["id", "response", "is_pilot"]], on="id", suffixes=("_belief", "_action"))
    both = merged["is_pilot_belief"] & merged["is_pilot_action"]
    rows = []
    humans = merged.loc[both]
    rows.append(_coherence_row("humans", humans["response_belief"], (humans["response_action"] == high) * 1.0,
                               binary=True))
    if belief_fit.samples is not None and action_fit.samples is not None:
        key = belief_fit.key
        draws = belief_fit.samples
        pairs = draws[draws["item"] == belief_fit.item].merge(
            draws[draws["item"] == action_fit.item], on=[key, "draw"], suffixes=("_belief", "_action"))
        rows.append(_coherence_row("raw LLM (same draw)", pairs["response_belief"],
                                   (pairs["response_action"] == high) * 1.0, binary=True, groups=pairs[key]))
    belief_pred = cached_predictions(belief_fit, "response", True, folds, seed)
    action_pred = cached_predictions(action_fit, "response", True, folds, seed)
    predicted = belief_fit.frame[["id"]].assign(belief=belief_pred).merge(
        action_fit.frame[["id"]].assign(action=np.clip((action_pred - low) / (high - low), 0, 1)), on="id")
    rows.append(_coherence_row("debiased", predicted["belief"], predicted["action"], binary=False))
    table = pd.DataFrame(rows)
    human = table.iloc[0]
    table["slope_diff"] = table["logit_slope"] - human["logit_slope"]
    diff_se = np.hypot(table["slope_se"], human["slope_se"])
    table["slope_diff_ci_low"] = table["slope_diff"] - z * diff_se
    table["slope_diff_ci_high"] = table["slope_diff"] + z * diff_se
    table.loc[0, ["slope_diff_ci_low", "slope_diff_ci_high"]] = np.nan
    return table


def _coherence_row(source, belief, action, binary, groups=None):
    belief, action = np.asarray(belief, dtype=float), np.asarray(action, dtype=float)
    design = sm.add_constant(belief)
    if binary:
        model = sm.Logit(action, design)
        result = (model.fit(disp=0, cov_type="cluster", cov_kwds={"groups": pd.factorize(groups)[0]})
                  if groups is not None else model.fit(disp=0, cov_type="HC0"))
    else:
        result = sm.GLM(action, design, family=sm.families.Binomial()).fit(cov_type="HC0")
    correlation = np.corrcoef(belief, action)[0, 1] if np.std(belief) > 0 and np.std(action) > 0 else np.nan
    return {"source": source, "n": len(belief), "correlation": correlation,
            "logit_slope": float(np.asarray(result.params)[1]), "slope_se": float(np.asarray(result.bse)[1])}


def fidelity(fits, formula=None, recovery_family="ols", by=(), coherence=None, folds=5, seed=0, n_splits=20,
             resamples=0, fraction=0.8, alpha=0.05):
    """The fidelity report of one or more debias fits (one per item).

    formula: optional analyst model for the structural axis (its item must be one of the fits').
    by: covariate columns for the subgroup axis. coherence: optional (belief item, action item)
    pair of item names among the fits. resamples: number of repeated random subpilots (each a
    share ``fraction`` of the pilot people, every fit refit on it) over which the mean and sd of
    every marginal, individual and structural metric are reported in ``resampled`` (0: none).
    Returns a FidelityReport.
    """
    fits = [fits] if not isinstance(fits, (list, tuple)) else list(fits)
    by_item = {fit.item: fit for fit in fits}
    if formula is not None:
        item = parse_formula(formula).item
        if item not in by_item:
            raise SynthsurveyError(f"formula {formula!r} is about {item!r}, which none of the fits debiases")
    if coherence is not None:
        missing = [name for name in coherence if name not in by_item]
        if missing:
            raise SynthsurveyError(f"coherence names item(s) {missing} that none of the fits debiases")
        if by_item[coherence[1]].scale.n_levels != 2:
            raise SynthsurveyError(f"coherence needs a binary action item; {coherence[1]!r} is "
                                   f"{by_item[coherence[1]].scale.describe()}")
    marginal, individual, shown, subgroups, summaries, notes = [], [], [], [], [], []
    for fit in fits:
        method_fits = _method_fits(fit)
        table, pmfs = marginal_axis(fit, method_fits, folds, seed, n_splits)
        marginal.append(table)
        shown.append(pmfs)
        individual.append(individual_axis(fit, method_fits, folds, seed))
        if by and fit.scale.is_discrete:
            groups, summary = subgroup_axis(fit, method_fits, by, folds, seed)
            subgroups.append(groups)
            summaries.append(summary)
    structural = None
    if formula is not None:
        structural = recover(formula, by_item[item], family=recovery_family, alpha=alpha, folds=folds, seed=seed)
    coherence_table = pd.DataFrame()
    if coherence is not None:
        belief, action = coherence
        coherence_table = coherence_axis(by_item[belief], by_item[action], alpha, folds, seed)
    resampled = _resampled(fits, formula, recovery_family, folds, seed, n_splits, resamples, fraction, alpha) \
        if resamples else {}
    concat = lambda parts: pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()  # noqa: E731
    return FidelityReport(concat(marginal), concat(individual), concat(subgroups), concat(summaries),
                          coherence_table, structural, concat(shown), resampled, tuple(notes))


def _resampled(fits, formula, recovery_family, folds, seed, n_splits, resamples, fraction, alpha):
    """Mean and sd of every marginal, individual and structural metric over ``resamples`` random
    subpilots (the same people for every item)."""
    rng = np.random.default_rng(seed)
    pilot_ids = np.unique(np.concatenate([fit.frame.loc[fit.is_pilot, "id"].to_numpy() for fit in fits]))
    tables = {"marginal": [], "individual": [], "structural": []}
    for replication in range(resamples):
        chosen = rng.choice(pilot_ids, int(round(fraction * len(pilot_ids))), replace=False)
        subfits = [fit.with_pilot(fit.frame["id"].isin(chosen).to_numpy()) for fit in fits]
        report = fidelity(subfits, formula, recovery_family, folds=folds, seed=seed, n_splits=n_splits, alpha=alpha)
        tables["marginal"].append(report.marginal.assign(replication=replication))
        tables["individual"].append(report.individual.assign(replication=replication))
        if report.structural is not None:
            tables["structural"].append(report.structural.summary()[1].assign(replication=replication))
    out = {}
    for name, parts in tables.items():
        if not parts:
            continue
        stacked = pd.concat(parts, ignore_index=True).drop(columns="replication")
        keys = [c for c in ("item", "method", "source") if c in stacked.columns]
        numeric = stacked.drop(columns=keys).select_dtypes("number").columns
        grouped = stacked.groupby(keys, sort=False)[list(numeric)]
        out[name] = grouped.mean().add_suffix("_mean").join(grouped.std(ddof=1).add_suffix("_sd")).reset_index()
    return out
