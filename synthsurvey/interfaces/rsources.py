"""The R package's calls for several LLM sources (``r-package/R/sources.R``): the source comparison,
its report, and the ``source=``/``tuned_on=`` options of ``ss_debias`` as R sends them. Imported
by ``rapi`` (the module R loads); no statistics here."""

import numpy as np

from ..evaluation.report import report as write_report
from ..evaluation.sources import compare_sources as compare
from ..io.simulate_sources import simulate_sources as simulate
from .rbridge import frame_to_spec


def tuned_ids(tuned_on):
    """R's ``tuned_on`` (a vector of ids, or a named list of them by source) as the core takes it;
    whole-number doubles (R's default numbers) become integers."""
    if tuned_on is None:
        return None

    def ids(values):
        values = np.atleast_1d(np.asarray(values))
        if values.dtype.kind == "f" and np.all(np.mod(values, 1) == 0):
            values = values.astype(np.int64)
        return values.tolist()

    if isinstance(tuned_on, dict):
        return {source: ids(values) for source, values in tuned_on.items()}
    return ids(tuned_on)


def compare_sources(fits, formula, by, coherence, draws, half_width, cost_human, cost_draw, cost_person, folds, seed):
    """ss_compare_sources: every table of the comparison (frame specs), its notes, and the object."""
    draws = [None if value is None or (isinstance(value, float) and np.isnan(value)) else int(value)
             for value in np.atleast_1d(draws if draws is not None else []).tolist()]
    result = compare(list(fits), formula=formula, by=list(by or []),
                                        coherence=None if coherence is None else tuple(coherence), draws=tuple(draws),
                                        half_width=half_width, cost_human=float(cost_human),
                                        cost_draw=float(cost_draw), cost_person=float(cost_person), folds=int(folds),
                                        seed=int(seed))
    return {"tables": {name: frame_to_spec(table) for name, table in result.tables().items()},
            "notes": list(result.notes), "py": result}


def sources_report(comparison, path, title):
    """ss_report of an ss_sources comparison: write its HTML page; returns the path."""
    return str(write_report(comparison, path, title=title))


def simulate_sources(n_people, n_pilot, seed):
    """ss_simulate_sources: the three-source simulated study as frame specs plus its tuned-on ids."""
    study = simulate(int(n_people), int(n_pilot), int(seed))
    return {"tables": {name: frame_to_spec(getattr(study, name)) for name in ("samples", "pilot", "covariates",
                                                                             "holdout")},
            "tuned_on": {source: [int(i) for i in ids] for source, ids in study.tuned_on.items()}}
