"""The fidelity axes of one fit: how close are LLM answers, raw and debiased, to the humans?

* marginal: distances between the human answer distribution (the pilot) and each predictor's
  population distribution, beside the *human floor*: the same distance between two random
  halves of the pilot (distances between samples are biased upward; the floor shows what
  "as good as humans" looks like at this sample size);
* individual: errors of cross-fitted predictions on the pilot (held-out folds);
* subgroups: the marginal distances per level of chosen covariates, worst group and gap;
* coherence: belief-action relations (correlation, logit slope), each at the individual level:
  in humans (the pilot's people with both answers, design-based), in raw LLM draws (belief and
  action from the same draw) and for the debiased action model (its cross-fitted probability of
  acting regressed on the same people's human beliefs, so the slope is comparable to the humans'
  and the difference is tested with the pilot shared).

Predictors: ``base`` (draw shares / draw means), ``scalar`` (the same family on ``llm_mean``,
``fit.baseline("scalar")``), ``debiased`` (the fit). Population distributions of scalar and
debiased are PPI++ share estimates (with the fit's level probabilities when its family has
them, else the LLM draw shares as predictions).
"""

import numpy as np
import pandas as pd
import scipy.stats
import statsmodels.api as sm

from ..common.errors import SynthsurveyError
from ..common.results import critical_values
from ..featurize.scales import level_codes
from ..inference import designs, ppi, regression
from ..inference.population import population_shares
from ..models.families import PROBABILITY_FAMILIES
from ..models.frame import IS_PILOT, RESPONSE
from . import metrics

PREDICTORS = ("base", "scalar", "debiased")


def predictor_fits(fit):
    """The fits of the model-based predictors: {"scalar": ..., "debiased": fit}."""
    return {"scalar": fit.baseline("scalar"), "debiased": fit}


def pmf(answers, levels):
    """The empirical pmf of ``answers`` over ``levels`` (an array of shares summing to 1)."""
    codes = level_codes(answers, levels, where="answers")
    return np.bincount(codes, minlength=len(levels)) / max(len(codes), 1)


def _variance(shares, levels):
    mean = shares @ levels
    return float(shares @ (levels - mean) ** 2)


def _entropy(shares):
    return float(scipy.stats.entropy(shares, base=2))


def distribution_metrics(human, other, levels):
    """Distances between pmfs ``human`` and ``other`` on ``levels`` plus variance and entropy ratios."""
    row = metrics.distances(human, other)
    row["variance_ratio"] = _variance(other, levels) / _variance(human, levels)
    human_entropy = _entropy(human)
    row["entropy_ratio"] = _entropy(other) / human_entropy if human_entropy > 0 else np.nan
    return row


def sample_distances(first, second):
    """Distances between two samples of a continuous answer: Wasserstein-1 and KS."""
    return {"wasserstein": scipy.stats.wasserstein_distance(first, second),
            "ks": scipy.stats.ks_2samp(first, second).statistic}


def human_floor(answers, distances, replications=20, seed=0):
    """Mean of ``distances(half_a, half_b)`` (a dict of distances between two samples of answers)
    over ``replications`` random splits of ``answers`` into halves: what humans achieve against
    humans at this sample size."""
    rng = np.random.default_rng(seed)
    answers = np.asarray(answers, dtype=float)
    half = len(answers) // 2
    rows = []
    for _ in range(replications):
        order = rng.permutation(len(answers))
        rows.append(distances(answers[order[:half]], answers[order[half:2 * half]]))
    return pd.DataFrame(rows).mean().to_dict()


def marginal_axis(fit, folds=5, seed=0, floor_replications=20):
    """Per predictor: distances to the human pilot distribution, with the human floor beside them.
    Returns (metrics table, pmf table; empty for continuous items)."""
    answers = fit.frame.loc[fit.is_pilot, RESPONSE].to_numpy(dtype=float)
    fits = predictor_fits(fit)
    if not fit.scale.is_discrete:
        return _continuous_marginal(fit, fits, answers, folds, seed, floor_replications), pd.DataFrame()
    levels = np.asarray(fit.scale.levels)
    pmfs = {"base": fit.frame[fit.scale.share_names()].to_numpy(dtype=float).mean(axis=0)}
    for name, predictor_fit in fits.items():
        estimate = np.clip(population_shares(predictor_fit, folds=folds, seed=seed).table()["estimate"], 0, None)
        pmfs[name] = estimate.to_numpy() / estimate.sum()
    human = pmf(answers, levels)
    floor = human_floor(answers, lambda a, b: metrics.distances(pmf(a, levels), pmf(b, levels)),
                        floor_replications, seed)
    rows = []
    for name, shares in pmfs.items():
        row = {"item": fit.item, "predictor": name, **distribution_metrics(human, shares, levels)}
        row.update({f"floor_{distance}": value for distance, value in floor.items()})
        rows.append(row)
    shown = pd.DataFrame({"item": fit.item, "level": levels, "human pilot": human, **pmfs})
    return pd.DataFrame(rows), shown


def _continuous_marginal(fit, fits, answers, folds, seed, floor_replications):
    values = {"base": fit.frame["llm_mean"].to_numpy(dtype=float)}
    for name, predictor_fit in fits.items():
        values[name] = predictor_fit.predictions("response", True, folds, seed)
    floor = human_floor(answers, sample_distances, floor_replications, seed)
    rows = []
    for name, predicted in values.items():
        rows.append({"item": fit.item, "predictor": name, **sample_distances(answers, predicted),
                     "variance_ratio": metrics.variance_ratio(answers, predicted),
                     **{f"floor_{distance}": value for distance, value in floor.items()}})
    return pd.DataFrame(rows)


def individual_axis(fit, folds=5, seed=0):
    """Held-out errors on the pilot: RMSE, MAE, exact and within-one accuracy (discrete items),
    ranked probability score and Brier score where a predictor gives level probabilities."""
    answers = fit.frame.loc[fit.is_pilot, RESPONSE].to_numpy(dtype=float)
    levels = np.asarray(fit.scale.levels) if fit.scale.is_discrete else None
    predictions = {"base": fit.frame.loc[fit.is_pilot, "llm_mean"].to_numpy(dtype=float)}
    probabilities = {}
    if levels is not None:
        probabilities["base"] = fit.frame.loc[fit.is_pilot, fit.scale.share_names()].to_numpy(dtype=float)
    for name, predictor_fit in predictor_fits(fit).items():
        predictions[name] = predictor_fit.predictions("response", True, folds, seed)[fit.is_pilot]
        if levels is not None and predictor_fit.family in PROBABILITY_FAMILIES:
            probabilities[name] = predictor_fit.predictions("probs", True, folds, seed)[fit.is_pilot]
    rows = []
    for name, predicted in predictions.items():
        row = {"item": fit.item, "predictor": name, "n": len(answers),
               "rmse": metrics.rmse(answers, predicted), "mae": metrics.mae(answers, predicted)}
        if levels is not None:
            nearest = levels[level_codes(predicted, levels, exact=False)]
            row["accuracy"] = metrics.accuracy(answers, nearest)
            row["within_one"] = metrics.accuracy(answers, nearest, within=float(np.min(np.diff(levels))))
            probs = probabilities.get(name)
            row["rps"] = metrics.ranked_probability_score(answers, probs, levels) if probs is not None else np.nan
            row["brier"] = metrics.brier(answers, probs, levels) if probs is not None else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def subgroup_axis(fit, by, folds=5, seed=0):
    """Marginal distances per level of each covariate in ``by`` (discrete items): a long table
    and a summary per (covariate, predictor) with the worst group and the best-worst gap in W1."""
    if not fit.scale.is_discrete:
        raise SynthsurveyError("subgroup fidelity needs a discrete item")
    shares = fit.frame[fit.scale.share_names()].to_numpy(dtype=float)
    indicators = np.zeros((fit.n_population, fit.scale.n_levels))
    indicators[fit.is_pilot] = fit.scale.indicators(fit.frame.loc[fit.is_pilot, RESPONSE], "the pilot's answers")
    predictions = {name: (predictor_fit.predictions("probs", True, folds, seed)
                          if predictor_fit.family in PROBABILITY_FAMILIES else shares)
                   for name, predictor_fit in predictor_fits(fit).items()}
    rows = []
    sampling = designs.resolve(fit.pilot_design, fit.frame, fit.is_pilot)  # groups are domains of the fit's design
    for column in by:
        if column not in fit.frame.columns:
            raise SynthsurveyError(f"by={column!r} is not a column of the fit's frame")
        for value in sorted(fit.frame[column].dropna().unique().tolist()):
            rows_in = (fit.frame[column] == value).to_numpy()
            pilot = rows_in & fit.is_pilot
            if pilot.sum() < 2:
                continue
            human = indicators[pilot].mean(axis=0)
            pmfs = {"base": shares[rows_in].mean(axis=0)}
            for name, predicted in predictions.items():
                estimate = ppi.mean(indicators[fit.is_pilot], predicted[fit.is_pilot], predicted, "ppi++", sampling,
                                    domain=rows_in[fit.is_pilot], domain_all=rows_in).estimate
                estimate = np.clip(estimate, 0, None)
                pmfs[name] = estimate / estimate.sum()
            for name, shown in pmfs.items():
                rows.append({"item": fit.item, "by": column, "group": value, "predictor": name,
                             "n_pilot": int(pilot.sum()), **metrics.distances(human, shown)})
    table = pd.DataFrame(rows)
    summary = []
    for (column, name), group in table.groupby(["by", "predictor"], sort=False):
        worst = group.loc[group["wasserstein"].idxmax()]
        summary.append({"item": fit.item, "by": column, "predictor": name, "worst_group": worst["group"],
                        "worst_wasserstein": worst["wasserstein"],
                        "gap_wasserstein": group["wasserstein"].max() - group["wasserstein"].min()})
    return table, pd.DataFrame(summary)


def coherence_axis(belief_fit, action_fit, alpha=0.05, folds=5, seed=0):
    """Belief-action coherence, individual-level slopes in every source: the logit slope of the
    (binary) action on the belief among the pilot's people with both answers (standard errors
    under the belief fit's pilot design); in raw LLM draws (belief and action from the same draw;
    standard errors clustered by respondent); and for the debiased action model (its cross-fitted
    probability of acting on the same people's human beliefs, a fractional logit under the same
    design). Each slope's difference from the humans' has a CI: paired (the design variance of
    the difference) for the debiased row, which shares the pilot; independent for the raw LLM."""
    if action_fit.scale.n_levels != 2:
        raise SynthsurveyError(f"coherence needs a binary action item; {action_fit.item!r} is "
                               f"{action_fit.scale.describe()}")
    low, high = action_fit.scale.levels
    action_pred = action_fit.predictions("response", True, folds, seed)
    action_frame = action_fit.frame[["id", RESPONSE, IS_PILOT]].assign(predicted=(action_pred - low) / (high - low))
    merged = belief_fit.frame.merge(action_frame, on="id", how="left", suffixes=("", "_action"))
    both = (merged[IS_PILOT] & merged[f"{IS_PILOT}_action"].fillna(False).astype(bool)).to_numpy()
    sampling = designs.resolve(belief_fit.pilot_design, merged.assign(**{IS_PILOT: both}), both)
    belief = merged.loc[both, RESPONSE].to_numpy(dtype=float)
    x = np.column_stack([np.ones(len(belief)), belief])
    human_action = (merged.loc[both, f"{RESPONSE}_action"].to_numpy() == high).astype(float)
    predicted = np.clip(merged.loc[both, "predicted"].to_numpy(dtype=float), 0, 1)
    human = regression.logistic(x, human_action, predicted, x, predicted, "classical", sampling)
    debiased = regression.logistic(x, predicted, predicted, x, predicted, "classical", sampling)
    rows = [_row("humans", belief, human_action, human), _row("debiased (action predicted, on human belief)",
                                                              belief, predicted, debiased)]
    paired = float(np.sqrt(sampling.pilot.variance(debiased.influence - human.influence)[1, 1]))
    if belief_fit.samples is not None and action_fit.samples is not None:
        key = belief_fit.key
        draws = belief_fit.samples
        pairs = draws[draws["item"] == belief_fit.item].merge(
            draws[draws["item"] == action_fit.item], on=[key, "draw"], suffixes=("_belief", "_action"))
        rows.insert(1, _coherence_row("raw LLM (same draw)", pairs[f"{RESPONSE}_belief"],
                                      (pairs[f"{RESPONSE}_action"] == high) * 1.0, groups=pairs[key]))
    table = pd.DataFrame(rows)
    reference = table.iloc[0]
    table["slope_diff"] = table["logit_slope"] - reference["logit_slope"]
    diff_se = np.where(table["answers"].str.startswith("debiased"), paired,
                       np.hypot(table["slope_se"], reference["slope_se"]))
    z = float(critical_values(alpha, np.inf))
    table["slope_diff_ci_low"] = table["slope_diff"] - z * diff_se
    table["slope_diff_ci_high"] = table["slope_diff"] + z * diff_se
    table.loc[0, ["slope_diff_ci_low", "slope_diff_ci_high"]] = np.nan
    return table


def _correlation(belief, action):
    return np.corrcoef(belief, action)[0, 1] if np.std(belief) > 0 and np.std(action) > 0 else np.nan


def _row(answers, belief, action, estimate):
    return {"answers": answers, "n": len(belief), "correlation": _correlation(belief, action),
            "logit_slope": float(estimate.estimate[1]), "slope_se": float(estimate.std_error[1])}


def _coherence_row(answers, belief, action, groups):
    belief, action = np.asarray(belief, dtype=float), np.asarray(action, dtype=float)
    result = sm.Logit(action, sm.add_constant(belief)).fit(disp=0, cov_type="cluster",
                                                           cov_kwds={"groups": pd.factorize(groups)[0]})
    return {"answers": answers, "n": len(belief), "correlation": _correlation(belief, action),
            "logit_slope": float(np.asarray(result.params)[1]), "slope_se": float(np.asarray(result.bse)[1])}
