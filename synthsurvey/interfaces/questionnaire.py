"""``ss.debias_items``: a whole questionnaire in one call.

It composes two stages and so lives here, after both: the models stage fits every item
(``models.fit_items``, which sends Dask samples to the Dask adapter, as ``ss.debias`` does), and the
evaluation stage wraps the fits in a ``QuestionnaireResults`` (population estimates of every item,
fidelity, the report). No statistics are computed here.
"""

from ..evaluation.questionnaire import QuestionnaireResults
from ..featurize.table import DEFAULT_QUANTILES
from ..models import fit_items


def debias_items(samples, humans, covariates=None, items=None, formulas=None, families=None, scales=None,
                 covariate_terms=(), key="id", alpha=0.05, folds=5, seed=0, errors="fallback",
                 unseen_levels="error", link="logit", quantiles=DEFAULT_QUANTILES, features=None,
                 split_respondents=False):
    """Debias every item of a questionnaire (or the ``items`` named) and return a
    QuestionnaireResults (``study["q1"]``, ``study.population()``, ``study.summary()``,
    ``study.fidelity()``, ``study.report(path)``).

    samples, humans, covariates: as for ``ss.debias`` (long draws; long pilot answers, in which a
        missing answer (NaN) or a missing code is left out of its item only, and counted).
    formulas: None (each item's ``ss.default_formula`` with ``covariate_terms``, features constant
        for the item left out), a dict by item, or one template (``"{item} ~ llm_mean + age"`` or a
        right-hand side ``"~ llm_mean + age"``).
    families: None (``logit`` for binary items, ``ols`` otherwise), a dict by item, or one family.
    scales: declarations by item, or one for every item (``{"missing": [8, 9]}`` declares
        missing codes and leaves the levels to inference; see ``ss.Scale``).
    covariate_terms: covariate terms of the default formulas (patsy strings: ``"age"``, ``"C(educ)"``).
    errors: ``"fallback"`` (an item that cannot be fitted gets the pilot-alone estimate and its rows
        say why) or ``"raise"``.
    unseen_levels: see ``ss.debias``. alpha, folds, seed: of the population estimates and fidelity.
    The features of every item are computed once (Dask samples: each partition once, persisted)
    and the raw draws are kept (recovery and coherence use them).
    """
    fitted = fit_items(samples, humans, covariates, items=items, formulas=formulas, families=families,
                       scales=scales, covariate_terms=covariate_terms, key=key, link=link, quantiles=quantiles,
                       errors=errors, unseen_levels=unseen_levels, features=features,
                       split_respondents=split_respondents)
    return QuestionnaireResults(fitted, alpha=alpha, folds=folds, seed=seed)
