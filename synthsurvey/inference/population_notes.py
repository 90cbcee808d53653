"""What a population estimate says about itself: the population it describes, and the cases
where its normal-approximation interval deserves doubt or needs help.

* The population: every estimate states N (the people its population frame holds), the people in
  the input and each exclusion with its count (``statement``), so the numbers add up to the
  input's: N = n_input - the people excluded (reasons in the fit's ``exclusions``).
* Few pilot answers (fewer than ``MIN_PILOT``): the normal approximation of the interval is
  doubtful; a ``SynthsurveyWarning`` and a note say so.
* A level no pilot respondent chose: the share's normal interval collapses to [0, 0] (classical)
  or nearly so; its upper end is raised to at least the exact binomial (Clopper-Pearson) upper
  bound for 0 successes in n answers, 1 - (alpha/2)^(1/n), with a note.
* Weights: at least one pilot answer must have a positive weight (and the population's weights
  must not all be 0), else the estimate is 0/0.
"""

import warnings

import numpy as np

from ..common.errors import SynthsurveyError, SynthsurveyWarning
from ..common.results import critical_values
from ..models.frame import POPULATION

MIN_PILOT = 30  # pilot answers below which normal-approximation intervals are flagged


def check_weights(population_weights, pilot_weights):
    """Raise unless some pilot answer has a positive weight and the population weights (when
    given) do not all vanish. Arrays over the population / the pilot rows, or None."""
    if population_weights is not None and not np.any(np.asarray(population_weights) > 0):
        raise SynthsurveyError("every weight in weights= is 0: at least one person needs a positive weight")
    if pilot_weights is not None and not np.any(np.asarray(pilot_weights) > 0):
        raise SynthsurveyError(
            f"every pilot answer has weight 0 ({len(pilot_weights)} pilot rows): at least one needs a positive "
            "weight (check pilot_weights=, the pilot's sampling weights, and weights=)")


STATEMENT_COLUMNS = ("n_input", "n_excluded", "excluded", "answers_not_used")


def statement(fit):
    """Columns that state a fit's population, one value each: ``n_input`` (people in the input),
    ``n_excluded`` (people left out of the population), ``excluded`` (each exclusion with its
    count, as text) and ``answers_not_used`` (pilot answers left out, missing or a missing code:
    those people stay in the population without an answer). NaN/'' where a fit cannot count them
    (a distributed fit's input stays in Dask)."""
    table = getattr(fit, "exclusions", None)
    n_input = getattr(fit, "n_input", None)
    if n_input is None or table is None:
        return {"n_input": np.nan, "n_excluded": np.nan, "excluded": "", "answers_not_used": ""}
    scope = table["scope"].fillna(POPULATION) if "scope" in table else np.full(len(table), POPULATION)
    left = np.asarray(scope == POPULATION)
    text = ["; ".join(f"{row.n_rows} {row.reason}" for row, keep in zip(table.itertuples(), left) if keep == wanted)
            for wanted in (True, False)]
    return {"n_input": int(n_input), "n_excluded": int(table.loc[left, "n_rows"].sum()), "excluded": text[0],
            "answers_not_used": text[1]}


def describe(rows, notes, fit, alpha):
    """``rows`` (dicts of a PopulationResult) with the population statement added, and ``notes``
    with the population's exclusions and a warning on few pilot answers."""
    stated = statement(fit)
    rows = [{**row, **stated} for row in rows]
    notes = list(notes)
    if not np.isnan(stated["n_input"]):
        notes.append(f"Population: {population_sentence(stated)}")
    if stated["answers_not_used"]:
        notes.append(f"Pilot answers not used (those people stay in the population without an answer): "
                     f"{stated['answers_not_used']}")
    small = sorted({int(row["n_labeled"]) for row in rows if row.get("n_labeled", MIN_PILOT) < MIN_PILOT})
    if small:
        message = (f"{'/'.join(map(str, small))} pilot answer(s) (under {MIN_PILOT}): normal-approximation "
                   f"intervals at {100 * (1 - alpha):g}% are doubtful")
        warnings.warn(f"item {getattr(fit, 'item', '?')!r}: {message}", SynthsurveyWarning, stacklevel=3)
        notes.append(message)
    return rows, notes


def population_sentence(stated):
    """'1,841 people: the 2,000 in the input minus 159 excluded (159 no LLM draws for item 'q1')'."""
    size = f"{stated['n_input'] - stated['n_excluded']:,} people: "
    excluded = f" ({stated['excluded']})" if stated["excluded"] else ""
    return f"{size}the {stated['n_input']:,} in the input minus {stated['n_excluded']:,} excluded{excluded}"


def shown(summary):
    """A PopulationResult's Summary with the statement columns left out of its text (they are in
    its info lines and notes)."""
    summary.columns = [column for column in summary.table.columns if column not in STATEMENT_COLUMNS]
    return summary


def info(table):
    """The summary's (label, value) line on the population, from a PopulationResult's table."""
    if "n_input" not in table or table["n_input"].isna().all():
        return []
    row = table.iloc[0]
    return [("People in the input", int(row["n_input"])), ("People excluded", int(row["n_excluded"]))]


def zero_share_intervals(rows, indicators, alpha, weights=None):
    """(rows, notes): share rows of levels no pilot answer chose get an interval from
    min(0, estimate) to at least the Clopper-Pearson upper bound for 0 of n (n the pilot's
    effective size under ``weights``), in place of their normal interval; std_error becomes NaN
    and the row carries its own interval at ``alpha``."""
    counts = np.asarray(indicators).sum(axis=0)
    if not np.any(counts == 0):
        return rows, []
    n = len(indicators)
    if weights is not None:
        weights = np.asarray(weights, dtype=float)
        n = weights.sum() ** 2 / np.sum(weights ** 2)
    upper = 1 - (alpha / 2) ** (1 / n)
    quantile = float(critical_values(alpha, np.inf))
    notes = []
    for row, count in zip(rows, counts):
        if count:
            continue
        normal_high = row["estimate"] + quantile * row["std_error"]
        row.update(ci_low=min(0.0, row["estimate"]), ci_high=float(np.nanmax([normal_high, upper])), std_error=np.nan)
        notes.append(f"{row['term']}: no pilot respondent chose this level; its interval reaches at least "
                     f"{upper:.3g}, the exact binomial (Clopper-Pearson) upper bound for 0 of {n:.4g} answers, "
                     "since the normal approximation collapses to [0, 0]")
    return rows, notes
