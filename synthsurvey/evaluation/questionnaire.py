"""The results of a whole questionnaire (``ss.debias_items``): every item's fit, one table of
population estimates for all items, fidelity and the report.

``study["q1"]`` is item q1's fit; ``study.population()`` one PopulationResult with a row per item,
estimand (mean, share) and method (PPI++ beside the pilot alone and the base LLM), with ``item``,
``formula``, ``family``, ``note`` and the population each row describes; ``study.summary()`` one
row per item; ``study.fidelity(...)`` the fidelity report of the fitted items; ``study.report(path)``
the methodologist's HTML report. Items that could not be fitted appear with the pilot alone and
the reason. Population results are computed when first asked for and kept (by their options).
"""

import pandas as pd

from ..common.checks import check_alpha
from ..common.errors import SynthsurveyError, preview
from ..common.results import Result, Summary
from .estimates import overview, population_by_item
from .fidelity import fidelity
from .recovery import recover
from .report import write_report


class QuestionnaireResults(Result):
    """Fits of many items (see the module docstring). Attributes: ``fits`` {item: fit},
    ``failures`` {item: reason}, ``items`` (every item, in order), ``formulas``, ``families``,
    ``scales`` (by item), ``fitted`` (the models stage's FittedItems: features, samples, humans,
    covariates), ``alpha``, ``folds``, ``seed``."""

    label_columns = ("item", "estimand", "method", "term")

    def __init__(self, fitted, alpha=0.05, folds=5, seed=0):
        self.fitted = fitted
        self.fits, self.failures = dict(fitted.fits), dict(fitted.failures)
        self.items, self.formulas, self.families = fitted.items, dict(fitted.formulas), dict(fitted.families)
        self.scales = dict(fitted.scales)
        self.alpha, self.folds, self.seed = check_alpha(alpha), int(folds), int(seed)
        self.notes = tuple(f"{item}: not fitted ({reason})" for item, reason in self.failures.items())
        self._cache = {}  # population results by their options (the fits cache their predictions)
        self._freeze()

    def __getitem__(self, item):
        if item in self.fits:
            return self.fits[item]
        if item in self.failures:
            raise SynthsurveyError(f"item {item!r} was not fitted: {self.failures[item]}")
        raise SynthsurveyError(f"{item!r} is not an item of this questionnaire; items: {preview(self.items, 12)}")

    def __contains__(self, item):
        return item in self.fits

    def __len__(self):
        return len(self.items)

    def __iter__(self):
        return iter(self.items)

    def population(self, alpha=None, shares=True, design="subsample", weights=None, pilot_weights=None,
                   finite_population=True):
        """One PopulationResult: a row per item, estimand and method (see ``evaluation.estimates``)."""
        alpha = self.alpha if alpha is None else check_alpha(alpha)
        hashable = all(w is None or isinstance(w, str) for w in (weights, pilot_weights))
        key = (alpha, bool(shares), design, weights, pilot_weights, bool(finite_population))
        if hashable and key in self._cache:
            return self._cache[key]
        failures = {item: (self.scales[item], *self.fitted.pilot_only[item], reason)
                    for item, reason in self.failures.items()}
        result = population_by_item(self.fits, failures, alpha, self.folds, self.seed, shares, design=design,
                                    weights=weights, pilot_weights=pilot_weights,
                                    finite_population=finite_population)
        if hashable:
            self._cache[key] = result
        return result

    def table(self, alpha=None):
        """The population table (``population(alpha).table()``)."""
        return self.population(alpha).table()

    def conf_int(self, alpha=None):
        return self.population(alpha).conf_int()

    def overview(self, alpha=None):
        """One row per item: scale, family, pilot size, population, base LLM mean, the pilot alone
        and PPI++ with their intervals, n_effective, note (a DataFrame)."""
        return overview(self.population(alpha), self.scales)

    def summary(self, alpha=None):
        """Printable: one row per item (``overview``) and the notes."""
        alpha = self.alpha if alpha is None else alpha
        table = self.overview(alpha)
        info = [("Items", len(self.items)), ("Fitted", len(self.fits)),
                ("Not fitted (pilot alone)", len(self.failures)),
                ("Confidence level", f"{100 * (1 - alpha):g}%")]
        return Summary(f"Questionnaire: population means of {len(self.items)} item(s)", info, table, self.notes)

    def in_memory_fits(self):
        """The fits as in-memory results (a distributed fit computes its item's feature table)."""
        return {item: (fit if fit.in_memory else fit.to_memory()) for item, fit in self.fits.items()}

    def fidelity(self, items=None, **options):
        """The fidelity report (``ss.fidelity``) of the fitted items (or ``items``), with this
        study's folds and seed unless given in ``options``."""
        fits = self.in_memory_fits()
        chosen = [fits[item] for item in (items or fits) if item in fits]
        if not chosen:
            raise SynthsurveyError("no item of this questionnaire was fitted: there is no fidelity to report")
        options = {"folds": self.folds, "seed": self.seed, "alpha": self.alpha, **options}
        return fidelity(chosen, **options)

    def report(self, path, title="synthsurvey questionnaire report", analyst=None, by=None, coherence=None,
               **options):
        """Write the methodologist's HTML report to ``path`` and return the path: the population
        estimates of every item first, a forest plot, then a section per item (see
        ``evaluation.report``). analyst: optional {item: analyst formula} for the structural axis;
        by: covariates for subgroups; coherence: a (belief item, action item) pair."""
        analyst = dict(analyst or {})
        unknown = [item for item in analyst if item not in self.fits]
        if unknown:
            raise SynthsurveyError(f"analyst formulas name items that were not fitted: {preview(unknown)}")
        report = self.fidelity(by=by, coherence=coherence, **options) if self.fits else None
        fits = self.in_memory_fits()
        structural = {item: recover(fits[item], formula, folds=self.folds, seed=self.seed, alpha=self.alpha)
                      for item, formula in analyst.items()}
        exclusions = pd.concat([fit.exclusions.assign(item=item) for item, fit in self.fits.items()],
                               ignore_index=True) if self.fits else pd.DataFrame()
        return write_report(path, self.population(), self.overview(), report, structural, self.scales,
                            exclusions, title)

    def __repr__(self):
        return (f"<QuestionnaireResults: {len(self.items)} item(s), {len(self.fits)} fitted, "
                f"{len(self.failures)} pilot alone; .population(), .summary(), .report(path)>")
