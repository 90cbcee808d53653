"""Pilots chosen from the draws: every person's LLM draws and covariates exist before anyone is
recruited, so the pilot can be a stratified sample designed from them.

``design_pilot(samples, covariates, n, item, by=...)`` forms strata from the subgroups the analyst
names (``by``: every level gets at least ``min_per_group`` pilot answers, so none is absent) crossed
with bands of predicted residual spread (each person's draws' sd for ``key="id"``; a persona's
for persona keys, where the persona is then the natural stratum; or a ``spread`` column the
analyst supplies, e.g. from an earlier wave), and allocates the n answers by Neyman's rule on the
predicted spreads, n_h proportional to N_h s_h, under a guard: no stratum gets fewer than its
proportional share divided by (1 + ``max_widening``)^2. The variance of a stratified mean is
then at most (1 + max_widening)^2 times proportional allocation's whatever the true spreads are
(sum_h W_h^2 S_h^2 / n_h <= max_h(n_h^prop / n_h) x sum_h W_h^2 S_h^2 / n_h^prop), and proportional
allocation is never worse than a simple random pilot beyond finite-sample terms: the plan is never
more than 2% wider than a simple random pilot, even where the draws' spread misleads (on some
Smartvote questions it runs against the candidates'), and it gains where they point the right way,
by at most what moving ~4% of each stratum's share allows.

Honest expectations (benchmarks/inference.py, README): the allocation gains what the draws can
predict, within the guard's bound (a stratum can give up only about 4% of its proportional share,
so small pilots with many strata stay close to proportional). On the bundled study the squared
residual is barely predictable from the features (R^2 ~0.02). On Smartvote the candidates' own
within-party spreads would narrow the mean's CI by a median 4% (Neyman with those spreads), but
GPT-4's draws' spread by party barely tracks them, and on some questions runs against them (an
unguarded Neyman allocation on the draws is then up to 5% wider); there the strata themselves
(by party) are what narrows PPI++'s interval, by removing the parties' mean differences its
predictions miss.

The result gives whom to recruit and the design ``ss.debias`` takes back:
``ss.debias(formula, samples, humans, plan.covariates, design=plan.design)``.
"""

import numpy as np
import pandas as pd

from ..common.checks import as_names, check_count, require_columns, require_frame
from ..common.errors import SynthsurveyError, preview
from ..common.results import Result, Summary
from ..featurize.table import feature_table
from ..models.sampling import Design

STRATUM = "pilot_stratum"


class PilotDesign(Result):
    """A planned stratified pilot (see the module docstring). ``table()``: one row per stratum
    (term = its label, estimate = its pilot size n_h, the ``by`` levels, spread_band, N,
    predicted_sd, probability n_h / N_h). Attributes: ``recruit`` (id, stratum, probability, weight
    of each person to recruit), ``covariates`` (the covariates with the stratum column
    ``pilot_stratum``), ``design`` (``ss.Design(strata="pilot_stratum")``), ``n``, ``item``,
    ``predicted_width_ratio`` (the CI width against a simple random pilot if the draws' spreads were
    the truth), ``worst_width_ratio`` (its bound whatever the true spreads, sqrt(max_h n_h^prop / n_h))."""

    def __init__(self, strata, population, recruit, covariates, item, by, predicted, worst, notes):
        self.item, self.by, self.n = item, tuple(by), int(strata["n"].sum())
        self.recruit, self.covariates = recruit, covariates
        self._population = population  # id and stratum of everybody with draws
        self.design = Design(strata=STRATUM)
        self.predicted_width_ratio, self.worst_width_ratio = float(predicted), float(worst)
        estimates = strata.rename(columns={"stratum": "term", "n": "estimate"}).assign(std_error=np.nan)
        estimates.attrs["keys"] = tuple(by)
        self._set_estimates(estimates, 0.05, notes)
        self._freeze()

    def draw(self, seed):
        """Another draw of the people to recruit under the same allocation (a DataFrame like
        ``recruit``): for repeated pilots, or a replacement draw."""
        return _draw(self._population, self._estimates.rename(columns={"term": "stratum", "estimate": "n"}), seed)

    def summary(self, alpha=None):
        info = [("Item", self.item), ("Pilot size", self.n), ("Strata", len(self._estimates)),
                ("Predicted CI width vs simple random", self.predicted_width_ratio),
                ("Worst case (any spreads) vs simple random", self.worst_width_ratio)]
        return Summary("Pilot design", info, self.table(), self.notes,
                       columns=[*self.by, "term", "estimate", "N", "predicted_sd", "probability"])

    def __repr__(self):
        return (f"<PilotDesign: {self.n} people of {int(self._estimates['N'].sum())} in {len(self._estimates)} "
                f"strata; CI width x{self.predicted_width_ratio:.3f} vs a simple random pilot if the draws' "
                "spreads hold>")


def _population(samples, covariates, item, key, scales, spread):
    """Covariates of the people with draws for ``item``, with their predicted spread (column
    ``_spread``), and the number of people left out for lack of draws."""
    require_frame(samples, "samples")
    require_columns(covariates, ["id"] + ([key] if key != "id" else []), "covariates")
    rows = samples[samples["item"] == item]
    if rows.empty:
        raise SynthsurveyError(f"samples have no draws for item {item!r}")
    if isinstance(scales, dict):  # only this item's features are computed
        scales = {name: value for name, value in scales.items() if name == item}
    table = feature_table(rows, key=key, scales=scales)[0]
    merged = covariates.merge(table[[key, "llm_sd"]], on=key, how="left")
    missing = merged["llm_sd"].isna().to_numpy()
    population = merged.loc[~missing].reset_index(drop=True)
    if spread is not None:
        if spread not in covariates.columns:
            raise SynthsurveyError(f"spread={spread!r} is not a column of covariates")
        population["_spread"] = population[spread].astype(float)
    else:
        population["_spread"] = population["llm_sd"].astype(float)
    return population, int(missing.sum())


def _strata(population, by, bands):
    """Stratum label and spread band of every person: the ``by`` groups, each cut into up to
    ``bands`` quantile bands of the predicted spread when it varies within the group."""
    labels = np.empty(len(population), dtype=object)
    band = np.zeros(len(population), dtype=int)
    groups = population.groupby(list(by), sort=True, observed=True, dropna=False) if by else [((), population)]
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        name = ", ".join(f"{column}={value}" for column, value in zip(by, key)) or "all"
        values = group["_spread"].to_numpy()
        cuts = min(bands, len(group) // 4)
        codes = np.zeros(len(group), dtype=int)
        if cuts > 1 and np.ptp(values) > 0:
            codes = pd.qcut(pd.Series(values).rank(method="first"), cuts, labels=False).to_numpy()
        band[group.index] = codes
        labels[group.index] = [f"{name} | spread {code + 1}" if cuts > 1 and np.ptp(values) > 0 else name
                               for code in codes]
    return labels, band


def _bounded(target, lower, upper, n):
    """Real allocation closest to ``target``'s proportions with lower <= n_h <= upper summing to n
    (fixing the strata that hit a bound and re-spreading the rest)."""
    alloc = np.zeros(len(target))
    free = np.ones(len(target), dtype=bool)
    for _ in range(len(target) + 1):
        remaining = n - alloc[~free].sum()
        share = target[free] / target[free].sum() * remaining
        low, high = share < lower[free], share > upper[free]
        if not (low.any() or high.any()):
            alloc[free] = share
            return alloc
        index = np.flatnonzero(free)
        fixed = index[low | high]
        alloc[fixed] = np.where(low, lower[free], upper[free])[low | high]
        free[fixed] = False
    return alloc


def _integers(alloc, lower, upper, n):
    """Round an allocation to integers summing to n within the bounds (largest remainders)."""
    whole = np.clip(np.floor(alloc), lower, upper).astype(int)
    order = np.argsort(-(alloc - np.floor(alloc)))
    while whole.sum() < n:
        for index in order:
            if whole.sum() < n and whole[index] < upper[index]:
                whole[index] += 1
    while whole.sum() > n:
        for index in order[::-1]:
            if whole.sum() > n and whole[index] > lower[index]:
                whole[index] -= 1
    return whole


def _width_ratio(sizes, alloc, spreads):
    """CI width of a stratified mean with allocation ``alloc`` over a simple random sample of the
    same size, if the strata have sd ``spreads`` and equal means."""
    weights = sizes / sizes.sum()
    n = alloc.sum()
    stratified = np.sum(weights ** 2 * spreads ** 2 * (1 / alloc - 1 / sizes))
    simple = np.sum(weights * spreads ** 2) * (1 / n - 1 / sizes.sum())
    return float(np.sqrt(stratified / simple))


def design_pilot(samples, covariates, n, item, by=None, key="id", scales=None, spread=None, spread_bands=3,
                 min_per_group=10, power=1.0, max_widening=0.02, seed=0):
    """Plan a stratified pilot of ``n`` people for ``item`` from the LLM draws (see the module
    docstring). ``by``: covariate name(s) whose every level gets at least ``min_per_group`` pilot
    answers; ``spread``: optional covariate column of predicted residual sd (default: the draws' sd);
    ``spread_bands``: quantile bands of spread within each ``by`` group; ``power``: 1 for Neyman
    allocation on the predicted spreads, 0 for proportional, in between to shrink; ``max_widening``:
    the largest CI widening over proportional allocation (about a simple random pilot) allowed
    whatever the true spreads; ``seed``: the draw of the people.
    Returns a PilotDesign."""
    require_frame(covariates, "covariates")
    by = as_names(by)
    missing = [column for column in by if column not in covariates.columns]
    if missing:
        raise SynthsurveyError(f"by={preview(missing)} is not a column of covariates")
    population, no_draws = _population(samples, covariates, item, key, scales, spread)
    total = len(population)
    n = check_count(n, "n", minimum=2)
    if n > total:
        raise SynthsurveyError(f"n={n} is more than the {total} people with draws for {item!r}")
    min_per_group = check_count(min_per_group, "min_per_group", minimum=1)
    labels, band = _strata(population, by, check_count(spread_bands, "spread_bands", minimum=1))
    population[STRATUM] = labels
    grouped = population.groupby(STRATUM, sort=False)
    strata = grouped.agg(N=("id", "size"), predicted_sd=("_spread", lambda v: float(np.sqrt(np.mean(v ** 2)))))
    strata = strata.reset_index().rename(columns={STRATUM: "stratum"})
    for column in by:
        strata[column] = grouped[column].first().to_numpy()
    strata["spread_band"] = grouped["_spread"].size().index.map(dict(zip(labels, band + 1))).to_numpy()
    sizes = strata["N"].to_numpy(dtype=float)
    group_of = strata[list(by)].astype(str).agg("|".join, axis=1) if by else pd.Series("all", index=strata.index)
    group_sizes = strata.groupby(group_of)["N"].transform("sum").to_numpy(dtype=float)
    lower = np.minimum(np.maximum(np.ceil(min_per_group * sizes / group_sizes), 2), sizes)
    if lower.sum() > n:
        raise SynthsurveyError(f"n={n} cannot give every group of {'/'.join(by) or 'the population'} "
                               f"{min_per_group} answers and every stratum 2 (that needs {int(lower.sum())})")
    spreads = strata["predicted_sd"].to_numpy(dtype=float)
    usable = np.where(spreads > 0, spreads, spreads[spreads > 0].min() if (spreads > 0).any() else 1.0)
    notes = [f"{no_draws} people without draws for {item!r} are not in the population"] if no_draws else []
    # the guard: no stratum loses more than a fraction 1 - 1/(1 + max_widening)^2 of its proportional
    # share (proportional allocation rounded to whole people), so that whatever the true spreads the
    # variance is at most (1 + max_widening)^2 times proportional allocation's
    proportional = _integers(_bounded(sizes, np.zeros(len(sizes)), sizes, n), np.zeros(len(sizes), dtype=int),
                             sizes.astype(int), n)
    keep = 1.0 / (1 + max_widening) ** 2
    guarded = np.minimum(np.maximum(lower, proportional - np.floor(proportional * (1 - keep))), sizes)
    if guarded.sum() > n:
        guarded = lower
    alloc = _bounded(sizes * usable ** power, guarded, sizes, n)
    counts = _integers(alloc, guarded.astype(int), sizes.astype(int), n)
    worst = float(np.sqrt(np.max(proportional / counts)))
    if worst > 1 + max_widening + 1e-9:
        notes.append(f"if the true spreads ran against the draws', this allocation could be up to {100 * (worst - 1):.1f}% "
                     f"wider than a simple random pilot: the minimum of {min_per_group} answers per group")
    strata["n"] = counts
    strata["probability"] = counts / sizes
    people = population[["id", STRATUM]].rename(columns={STRATUM: "stratum"})
    out = covariates.merge(population[["id", STRATUM]], on="id", how="left")
    predicted = _width_ratio(sizes, counts.astype(float), usable)
    columns = [*by, "stratum", "spread_band", "N", "n", "predicted_sd", "probability"]
    strata = strata[columns].sort_values([*by, "spread_band"], kind="stable").reset_index(drop=True)
    return PilotDesign(strata, people, _draw(people, strata, seed), out, item, by, predicted, worst, notes)


def _draw(people, strata, seed):
    """A stratified simple random draw of ``strata["n"]`` people per stratum (id, stratum,
    probability, weight), in the order of ``people``."""
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(np.flatnonzero(people["stratum"].to_numpy() == row.stratum), row.n, replace=False)
              for row in strata.itertuples()]
    recruit = people.iloc[np.sort(np.concatenate(chosen))].reset_index(drop=True)
    probability = dict(zip(strata["stratum"], strata["probability"]))
    recruit["probability"] = recruit["stratum"].map(probability).to_numpy()
    recruit["weight"] = 1.0 / recruit["probability"]
    return recruit
