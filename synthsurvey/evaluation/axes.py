"""The fidelity axes of one fit: how close are LLM answers, raw and debiased, to the humans?

* marginal: distances between each predictor's population distribution and human answers it was
  not fit on, cross-fitted on the fit's folds, beside the *human floor* computed the same way (the
  other folds' answers alone against each held-out fold): distances between samples are biased
  upward, and the floor shows what "as good as the pilot" looks like at this sample size; no
  method beats it by construction (``marginal_axis``);
* individual: errors of cross-fitted predictions on the pilot (each pilot answer predicted by the
  model fit without its fold);
* subgroups: the marginal distances per level of chosen covariates, cross-fitted the same way
  (the floor a row of its own), worst group and gap;
* coherence: belief-action relations (correlation, logit slope), each at the individual level:
  in humans (the pilot's people with both answers, design-based), in raw LLM draws (belief and
  action from the same draw) and for the debiased action model (its cross-fitted probability of
  acting regressed on the same people's human beliefs, so the slope is comparable to the humans'
  and the difference is tested with the pilot shared).

Predictors: ``base`` (draw shares / draw means), ``scalar`` (the same family on ``llm_mean``,
``fit.baseline("scalar")``), ``debiased`` (the fit). Population distributions of scalar and
debiased are PPI++ share estimates (with the fit's level probabilities when its family has
them, else the LLM draw shares as predictions: then scalar and debiased coincide and only the
debiased row is shown).
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
from ..models.crossfit import fold_models
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


def marginal_axis(fit, folds=5, seed=0):
    """Per predictor, distances between its population distribution and human answers it was not
    fit on, with the human floor beside them, both cross-fitted on the fit's folds: for each fold
    k, every method estimates the population distribution without fold k's pilot answers (the
    fold-k model's predictions for everybody, rectified by PPI++ on the other folds' answers; the
    raw LLM uses no answers) and is compared with fold k's answers; the floor is the other folds'
    answers alone (the pilot-alone estimate) against fold k's. Distances are averaged over the
    folds. No method beats the floor by construction. Returns (metrics table, pmf table of the
    whole pilot's estimates, for display; empty for continuous items)."""
    answers = fit.frame.loc[fit.is_pilot, RESPONSE].to_numpy(dtype=float)
    fits = predictor_fits(fit)
    pilot_rows, fold, _ = fold_models(fit, folds, seed)
    if not fit.scale.is_discrete:
        return _continuous_marginal(fit, fits, answers, fold, folds, seed), pd.DataFrame()
    levels = np.asarray(fit.scale.levels)
    indicators = fit.scale.indicators(answers, where="the pilot's answers")
    draw_shares = fit.frame[fit.scale.share_names()].to_numpy(dtype=float)
    by_fold = {name: [] for name in ("base", *fits)}
    floors = []
    for k in range(folds):
        held, train = fold == k, fold != k
        human = indicators[held].mean(axis=0)
        floors.append(distribution_metrics(human, indicators[train].mean(axis=0), levels))
        by_fold["base"].append(distribution_metrics(human, draw_shares.mean(axis=0), levels))
        for name, predictor_fit in fits.items():
            shares = _fold_shares(predictor_fit, k, folds, seed, indicators[train], pilot_rows[train], draw_shares)
            by_fold[name].append(distribution_metrics(human, shares, levels))
    floor = pd.DataFrame(floors).mean()
    rows = []
    for name, parts in by_fold.items():
        if name == "scalar" and fit.family not in PROBABILITY_FAMILIES:
            continue  # without level probabilities, scalar and debiased both rectify the draw shares
        row = {"item": fit.item, "predictor": name, **pd.DataFrame(parts).mean().to_dict()}
        row.update({f"floor_{distance}": floor[distance] for distance in floor.index
                    if distance not in ("variance_ratio", "entropy_ratio")})
        rows.append(row)
    pmfs = {"base": draw_shares.mean(axis=0)}
    for name, predictor_fit in fits.items():
        estimate = np.clip(population_shares(predictor_fit, folds=folds, seed=seed).table()["estimate"], 0, None)
        pmfs[name] = estimate.to_numpy() / estimate.sum()
    shown = pd.DataFrame({"item": fit.item, "level": levels, "human pilot": pmf(answers, levels), **pmfs})
    return pd.DataFrame(rows), shown


def _fold_shares(predictor_fit, k, folds, seed, train_indicators, train_rows, draw_shares):
    """The population pmf estimated without fold k's answers: PPI++ on the other folds' answers
    with the fold-k model's level probabilities for everybody (the draw shares for a family without
    probabilities), clipped at 0 and renormalised."""
    predicted = fold_probabilities(predictor_fit, folds, seed, draw_shares)[k]
    estimate = ppi.mean(train_indicators, predicted[train_rows], predicted).estimate
    estimate = np.clip(estimate, 0, None)
    return estimate / estimate.sum()


def _continuous_marginal(fit, fits, answers, fold, folds, seed):
    """The cross-fitted marginal axis of a continuous item: each method's population values (the
    raw draw means; the fold-k model's predictions for everybody) against fold k's answers, the
    floor the other folds' answers against them; Wasserstein-1 and KS averaged over the folds."""
    values = {"base": lambda k: fit.frame["llm_mean"].to_numpy(dtype=float)}
    for name, predictor_fit in fits.items():
        values[name] = (lambda k, f=predictor_fit: fold_models(f, folds, seed)[2][k].mean(f.design_matrix()))
    floor = pd.DataFrame([sample_distances(answers[fold != k], answers[fold == k]) for k in range(folds)]).mean()
    rows = []
    for name, population in values.items():
        parts = [{**sample_distances(population(k), answers[fold == k]),
                  "variance_ratio": metrics.variance_ratio(answers[fold == k], population(k))} for k in range(folds)]
        rows.append({"item": fit.item, "predictor": name, **pd.DataFrame(parts).mean().to_dict(),
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


FLOOR = "human floor (pilot alone)"


def subgroup_axis(fit, by, folds=5, seed=0):
    """Marginal distances per level of each covariate in ``by`` (discrete items), cross-fitted as
    the marginal axis is: within each group and for each fold k, every method's group distribution
    is estimated without fold k's answers and compared with the group's fold-k answers, and the
    floor (a predictor row named ``FLOOR``) is the group's other-fold answers alone; distances are
    averaged over the folds where the group has answers on both sides. Returns a long table and a
    summary per (covariate, predictor) with the worst group and the best-worst gap in W1."""
    if not fit.scale.is_discrete:
        raise SynthsurveyError("subgroup fidelity needs a discrete item")
    pilot_rows, fold, _ = fold_models(fit, folds, seed)
    fold_of = np.full(fit.n_population, -1)
    fold_of[pilot_rows] = fold
    shares = fit.frame[fit.scale.share_names()].to_numpy(dtype=float)
    indicators = np.zeros((fit.n_population, fit.scale.n_levels))
    indicators[fit.is_pilot] = fit.scale.indicators(fit.frame.loc[fit.is_pilot, RESPONSE], "the pilot's answers")
    fits = {name: f for name, f in predictor_fits(fit).items()
            if name == "debiased" or fit.family in PROBABILITY_FAMILIES}
    predicted = {name: fold_probabilities(f, folds, seed, shares) for name, f in fits.items()}
    rows = []
    for column in by:
        if column not in fit.frame.columns:
            raise SynthsurveyError(f"by={column!r} is not a column of the fit's frame")
        for value in sorted(fit.frame[column].dropna().unique().tolist()):
            rows_in = (fit.frame[column] == value).to_numpy()
            parts = {name: [] for name in ("base", *fits, FLOOR)}
            for k in range(folds):
                held, train = rows_in & (fold_of == k), rows_in & (fold_of >= 0) & (fold_of != k)
                if held.sum() < 1 or train.sum() < 2:
                    continue
                human = indicators[held].mean(axis=0)
                parts["base"].append(metrics.distances(human, shares[rows_in].mean(axis=0)))
                parts[FLOOR].append(metrics.distances(human, indicators[train].mean(axis=0)))
                for name, by_fold in predicted.items():
                    values = by_fold[k]
                    estimate = np.clip(ppi.mean(indicators[train], values[train], values[rows_in]).estimate, 0, None)
                    parts[name].append(metrics.distances(human, estimate / estimate.sum()))
            if not parts["base"]:
                continue
            n_pilot = int((rows_in & fit.is_pilot).sum())
            for name, distances in parts.items():
                rows.append({"item": fit.item, "by": column, "group": value, "predictor": name, "n_pilot": n_pilot,
                             **pd.DataFrame(distances).mean().to_dict()})
    table = pd.DataFrame(rows)
    summary = []
    for (column, name), group in table.groupby(["by", "predictor"], sort=False):
        worst = group.loc[group["wasserstein"].idxmax()]
        summary.append({"item": fit.item, "by": column, "predictor": name, "worst_group": worst["group"],
                        "worst_wasserstein": worst["wasserstein"],
                        "gap_wasserstein": group["wasserstein"].max() - group["wasserstein"].min()})
    return table, pd.DataFrame(summary)


def fold_probabilities(predictor_fit, folds, seed, draw_shares):
    """The K fold models' level probabilities for every row of the fit's frame (a list of (N, C)
    arrays; the draw shares K times for a family without probabilities), cached on the fit."""
    if predictor_fit.family not in PROBABILITY_FAMILIES:
        return [draw_shares] * folds
    key = ("fold probabilities", int(folds), int(seed))
    cache = predictor_fit.crossfit_cache.predictions
    if key not in cache:
        matrix = predictor_fit.design_matrix()
        cache[key] = [model.probs(matrix) for model in fold_models(predictor_fit, folds, seed)[2]]
    return cache[key]


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
        if "source" in draws.columns:  # several LLM sources: the raw draws of the source the fit reads
            draws = draws[draws["source"] == belief_fit.source]
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
