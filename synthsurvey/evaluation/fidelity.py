"""``fidelity``: the three-axis fidelity report of one or more debias fits (see ``axes``), with
coefficient recovery (``recovery``) as the structural axis and repeated random subpilots."""

import numpy as np
import pandas as pd

from ..common.checks import as_names, check_alpha, check_count
from ..common.errors import SynthsurveyError
from ..common.results import Result, Summary, frame_or_empty
from ..models.formula import parse as parse_formula
from . import axes
from .recovery import recover

AXES = ("marginal", "individual", "subgroups", "coherence", "structural")


class FidelityReport(Result):
    """The fidelity tables (DataFrames: ``marginal``, ``individual``, ``subgroups``,
    ``subgroup_summary``, ``coherence``, ``distributions``, ``resampled``) and the recovery result
    ``structural`` (None without an analyst formula). ``table()`` stacks every metric of every
    axis in one long tidy table (axis, item, the row's labels, term = the metric, estimate = its
    value); ``tables()`` gives the wide tables by name."""

    def __init__(self, marginal, individual, subgroups=None, subgroup_summary=None, coherence=None,
                 structural=None, distributions=None, resampled=None, notes=(), alpha=0.05):
        self.marginal, self.individual = marginal, individual
        self.subgroups = pd.DataFrame() if subgroups is None else subgroups
        self.subgroup_summary = pd.DataFrame() if subgroup_summary is None else subgroup_summary
        self.coherence = pd.DataFrame() if coherence is None else coherence
        self.structural = structural
        self.distributions = pd.DataFrame() if distributions is None else distributions
        self.resampled = dict(resampled or {})
        parts = [_long(self.marginal, "marginal"), _long(self.individual, "individual"),
                 _long(self.subgroups, "subgroups"), _long(self.coherence, "coherence")]
        if structural is not None:
            parts.append(_long(structural.overall(), "structural"))
        estimates = frame_or_empty([part for part in parts if len(part)])
        estimates.attrs["keys"] = tuple(c for c in estimates.columns
                                        if c not in ("term", "estimate", "std_error", "df"))
        self._set_estimates(estimates, alpha, notes)
        self._freeze()

    def tables(self):
        """Every wide table by name (the structural ones as ``structural_terms``,
        ``structural_overall`` and ``structural_coefficients``)."""
        out = {"marginal": self.marginal, "individual": self.individual, "subgroups": self.subgroups,
               "subgroup_summary": self.subgroup_summary, "coherence": self.coherence,
               "distributions": self.distributions}
        if self.structural is not None:
            out.update(structural_terms=self.structural.per_term(), structural_overall=self.structural.overall(),
                       structural_coefficients=self.structural.table())
        out.update({f"resampled_{name}": table for name, table in self.resampled.items()})
        return out

    def _title(self):
        return "Fidelity of LLM answers, raw and debiased, to the human pilot"

    def summary(self, alpha=None):
        """Printable: the marginal (with the human floor), individual, subgroup, coherence and
        structural tables."""
        shown = {name: table for name, table in (
            ("marginal (held-out folds; floor_* = the other folds' answers alone)", self.marginal),
            ("individual (held-out folds)", self.individual),
            ("subgroups", self.subgroup_summary), ("coherence", self.coherence)) if len(table)}
        if self.structural is not None:
            shown["structural"] = self.structural.overall()
        return Summary(self._title(), [], self.table().iloc[0:0], self.notes, tables=shown)


def _long(wide, axis):
    """A wide metrics table as long rows: its text columns as labels, each numeric column a term."""
    if wide is None or len(wide) == 0:
        return pd.DataFrame()
    labels = [c for c in wide.columns if not pd.api.types.is_numeric_dtype(wide[c]) or c in ("group",)]
    values = [c for c in wide.columns if c not in labels]
    stacked = wide.melt(id_vars=labels, value_vars=values, var_name="term", value_name="estimate")
    stacked["estimate"] = pd.to_numeric(stacked["estimate"], errors="coerce")
    stacked.insert(0, "axis", axis)
    stacked["std_error"] = np.nan
    return stacked


def fidelity(fits, formula=None, recovery_family="ols", by=None, coherence=None, folds=5, seed=0,
             replications=0, fraction=0.8, alpha=0.05):
    """The fidelity report of one or more debias fits (one per item).

    formula: optional analyst model for the structural axis (its item must be one of the fits').
    by: covariate name(s) for the subgroup axis. coherence: optional (belief item, action item)
    pair of item names among the fits. The human floor is cross-fitted on the fits' folds, like
    every method (see ``axes.marginal_axis``). replications: number of repeated random subpilots
    (each a share ``fraction`` of the pilot people, every fit refit on it) over which the mean and
    sd of every marginal, individual and structural metric are reported in ``resampled`` (0: none).
    Returns a FidelityReport.
    """
    fits = [fits] if not isinstance(fits, (list, tuple)) else list(fits)
    alpha, by = check_alpha(alpha), as_names(by)
    replications = check_count(replications, "replications", minimum=0)
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
    marginal, individual, shown, subgroups, summaries = [], [], [], [], []
    notes = [f"{fit.item}: {note}" for fit in fits for note in fit.notes]
    for fit in fits:
        table, pmfs = axes.marginal_axis(fit, folds, seed)
        marginal.append(table)
        shown.append(pmfs)
        individual.append(axes.individual_axis(fit, folds, seed))
        if by and fit.scale.is_discrete:
            groups, summary = axes.subgroup_axis(fit, by, folds, seed)
            subgroups.append(groups)
            summaries.append(summary)
    structural = None
    if formula is not None:
        structural = recover(by_item[item], formula, family=recovery_family, alpha=alpha, folds=folds, seed=seed)
    coherence_table = pd.DataFrame()
    if coherence is not None:
        belief, action = coherence
        coherence_table = axes.coherence_axis(by_item[belief], by_item[action], alpha, folds, seed)
        if by_item[belief].samples is None or by_item[action].samples is None:
            notes.append("coherence: a fit was made from a feature table, without raw draws, so the raw LLM "
                         "(same draw) row is left out")
    if structural is not None:
        notes += [f"structural: {note}" for note in structural.notes]
    resampled = _resampled(fits, formula, recovery_family, folds, seed, replications, fraction,
                           alpha) if replications else {}
    return FidelityReport(frame_or_empty(marginal), frame_or_empty(individual), frame_or_empty(subgroups),
                          frame_or_empty(summaries), coherence_table, structural, frame_or_empty(shown), resampled,
                          notes, alpha=alpha)


def _resampled(fits, formula, recovery_family, folds, seed, replications, fraction, alpha):
    """Mean and sd of every marginal, individual and structural metric over ``replications`` random
    subpilots (the same people for every item)."""
    rng = np.random.default_rng(seed)
    pilot_ids = np.unique(np.concatenate([fit.frame.loc[fit.is_pilot, "id"].to_numpy() for fit in fits]))
    tables = {"marginal": [], "individual": [], "structural": []}
    for replication in range(replications):
        chosen = rng.choice(pilot_ids, int(round(fraction * len(pilot_ids))), replace=False)
        subfits = [fit.with_pilot(fit.frame["id"].isin(chosen).to_numpy()) for fit in fits]
        report = fidelity(subfits, formula, recovery_family, folds=folds, seed=seed, alpha=alpha)
        tables["marginal"].append(report.marginal.assign(replication=replication))
        tables["individual"].append(report.individual.assign(replication=replication))
        if report.structural is not None:
            tables["structural"].append(report.structural.overall().assign(replication=replication))
    out = {}
    for name, parts in tables.items():
        if not parts:
            continue
        stacked = pd.concat(parts, ignore_index=True).drop(columns="replication")
        keys = [c for c in ("item", "predictor", "estimator") if c in stacked.columns]
        numeric = stacked.drop(columns=keys).select_dtypes("number").columns
        grouped = stacked.groupby(keys, sort=False)[list(numeric)]
        out[name] = grouped.mean().add_suffix("_mean").join(grouped.std(ddof=1).add_suffix("_sd")).reset_index()
    return out
