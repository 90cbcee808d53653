"""How many LLM draws per person are worth paying for? The draws curve and the cost view.

The draws curve refits a debiaser on the first m draws of every (person, item, source), for m in
a grid (1, 2, 5, 10, ... all), drawn in one random order per ``seed`` so the draws at m are among
those at any larger m, and reports what the population mean (and the analyst's coefficients) are
then worth: ``n_effective``, pilot answers alone the estimate equals. The pilot and the
cross-fitting folds stay the same, so the curve shows the draws' value, not pilot noise.

The cost view turns each point of the curve into the cheapest study reaching a target CI
half-width (``inference.budget``: the mixed-subjects power analysis of ``ppi_py.ppi_power``),
with the prediction-answer correlation measured at m draws and m draws' cost per person.
"""

import numpy as np
import pandas as pd

from ..common.errors import SynthsurveyError
from ..featurize.sources import SOURCE, source_feature_table
from ..featurize.table import feature_table
from ..inference.budget import cheapest_design, required_effective_n
from ..inference.coefficients import population_logit, population_ols
from ..inference.population import population_mean
from ..models.frame import RESPONSE

DRAWS = (1, 2, 5, 10, 20, None)  # None: every draw


def first_draws(samples, key, count, seed=0):
    """The rows of ``count`` draws per (key, item[, source]) of ``samples``, chosen in one random order
    per ``seed`` (nested: the draws kept at a smaller count are among those kept at a larger one)."""
    order = np.random.default_rng(seed).permutation(len(samples))
    shuffled = samples.iloc[order]
    groups = [key, "item"] + ([SOURCE] if SOURCE in samples.columns else [])
    rank = shuffled.groupby(groups, sort=False, observed=True).cumcount().to_numpy()
    return shuffled.iloc[np.flatnonzero(rank < count)].sort_values(groups + ["draw"], kind="stable")


def draws_curve(variants, rebuild, formula=None, recovery_family="ols", draws=DRAWS, folds=5, seed=0,
                alpha=0.05):
    """One row per (variant, draws): draws (per person and source, None: all), draws_per_person (summed
    over the variant's sources), n_effective_mean, half_width, rho (cross-fitted predictions against
    the pilot's answers), sd (of the answers), n_labeled, and n_effective_coef (median over the
    analyst's non-intercept terms) with ``formula``.

    variants: {name: a fit of the variant} (the formula item's fit); rebuild(fit, features) refits a
    variant on another feature table."""
    first = next(iter(variants.values()))
    samples, model = first.samples, first.model
    if samples is None:
        raise SynthsurveyError("the draws curve needs the raw draws: fit from samples, not from a feature table")
    rows, notes = [], []
    for count in draws:
        kept = samples if count is None else first_draws(samples, model.key, int(count), seed)
        summarise = source_feature_table if SOURCE in samples.columns else feature_table
        features, _ = summarise(kept, key=model.key, scales=model.scales)
        per_source = _draws_per_source(kept, model.key)
        for name, fit in variants.items():
            try:
                refit = rebuild(fit, features)
            except SynthsurveyError as error:
                notes.append(f"{name} at {count} draw(s): {error}")
                continue
            rows.append(_point(name, count, refit, per_source, formula, recovery_family, folds, seed, alpha))
    return pd.DataFrame(rows), notes


def _draws_per_source(samples, key):
    groups = [key, "item"] + ([SOURCE] if SOURCE in samples.columns else [])
    counts = samples.groupby(groups, observed=True).size().reset_index(name="n")
    if SOURCE not in counts.columns:
        return {None: float(counts["n"].mean())}
    return counts.groupby(SOURCE, observed=True)["n"].mean().to_dict()


def _point(name, count, fit, per_source, formula, recovery_family, folds, seed, alpha):
    mean = population_mean(fit, alpha=alpha, folds=folds, seed=seed).table().iloc[0]
    predicted = fit.predictions("response", True, folds, seed)[fit.is_pilot]
    answers = fit.frame.loc[fit.is_pilot, RESPONSE].to_numpy(dtype=float)
    read = fit.model.plan.sources_read or (None,)
    row = {"variant": name, "draws": np.nan if count is None else count,
           "draws_per_person": float(sum(per_source.get(source, 0.0) for source in read)),
           "n_labeled": int(mean["n_labeled"]), "n_effective_mean": float(mean["n_effective"]),
           "half_width": float(mean["ci_high"] - mean["estimate"]),
           "rho": float(np.corrcoef(answers, predicted)[0, 1]) if np.std(predicted) > 0 else 0.0,
           "sd": float(np.std(answers, ddof=1))}
    if formula is not None:
        estimator = population_ols if recovery_family == "ols" else population_logit
        table = estimator(fit, formula, alpha=alpha, folds=folds, seed=seed).table()
        terms = table[table["term"] != "Intercept"]
        row["n_effective_coef"] = float(np.median(terms["n_effective"])) if len(terms) else np.nan
    return row


def cost_view(curve, half_width, cost_human, cost_draw, cost_person=0.0, n_max=None, alpha=0.05):
    """The cheapest study reaching CI half-width ``half_width`` of the mean at each point of the draws
    ``curve``: one row per (variant, draws) with draws_per_person, rho, n (pilot answers),
    n_unlabeled (people with predictions only), cost and ``best`` (the variant's cheapest), plus a
    row per variant for the pilot alone (``draws`` 0). ``n_max``: people there are (default: none)."""
    rows = []
    for variant, points in curve.groupby("variant", sort=False):
        sd = float(points["sd"].iloc[0])
        needed = required_effective_n(half_width, sd, alpha)
        alone = int(np.ceil(needed)) if n_max is None else min(int(np.ceil(needed)), int(n_max))
        rows.append({"variant": variant, "draws": 0, "draws_per_person": 0.0, "rho": 0.0, "n": alone,
                     "n_unlabeled": 0, "cost": alone * (cost_human + cost_person),
                     "n_effective": float(alone)})
        for point in points.itertuples():
            design = cheapest_design(float(np.clip(point.rho, -0.999999, 0.999999)), cost_human,
                                     point.draws_per_person * cost_draw, needed, cost_person, n_max)
            rows.append({"variant": variant, "draws": point.draws, "draws_per_person": point.draws_per_person,
                         "rho": point.rho, "n": design["n"], "n_unlabeled": design["n_unlabeled"],
                         "cost": design["cost"], "n_effective": design["n_effective"]})
    table = pd.DataFrame(rows)
    table["half_width"] = half_width
    table["best"] = False
    table.loc[table.groupby("variant", sort=False)["cost"].idxmin().to_numpy(), "best"] = True  # first cheapest
    return table
