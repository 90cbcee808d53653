"""Stage 3: models. Formulas (the only patsy user), families over statsmodels, the item frame,
the debiasing model and its immutable results, cross-fitting, default formulas, and the Dask
adapter. ``debias`` is the public entry point; it dispatches Dask samples to the adapter
(``models.distributed``), which the in-memory modules never import.
"""

from ..common.errors import SynthsurveyError
from ..featurize import dask as dask_features_adapter
from ..featurize.table import DEFAULT_QUANTILES
from . import distributed
from .defaults import default_formula
from .items import fit_items as fit_items_in_memory
from .formula import parse as formula_spec
from .model import DebiasModel
from .results import DebiasResults
from .sampling import Design, as_design


def debias(formula, samples, humans, covariates=None, family="ols", key="id", scales=None,
           link="logit", q=0.5, quantiles=DEFAULT_QUANTILES, features=None, split_respondents=False,
           unseen_levels="error", source=None, tuned_on=None, design=None, cluster=None, strata=None):
    """Fit a debiasing regression of one item's human answers on its LLM draw features.

    formula: ``"item ~ llm_mean + llm_sd + age + C(educ)"``; ``llm_*`` names are the
        item's draw features (see ``ss.features``), other names are covariates.
    samples: long LLM draws (``key``, item, draw, response).
    humans: long human pilot answers (id, item, response); a subset of the population.
    covariates: one row per person (``id`` plus covariates; plus ``key`` for persona keys).
    family: ``"ols"``, ``"ordinal"`` (``link`` logit or probit), ``"logit"`` (binary items),
        ``"mnlogit"`` or ``"quantreg"`` (quantile ``q``).
    features: optional precomputed ``ss.features(samples)`` table (then ``samples`` may be None;
        given both, the features are used and the raw draws kept for recovery and coherence).
    scales: declarations by item (``{"q1": ss.Scale("ordinal", (1, 2, 3, 4, 5), missing=(99,))}``)
        or one for every item; answers and draws equal to a missing code are left out and counted.
    unseen_levels: ``"error"`` (default) when a categorical covariate has a level no pilot
        respondent has, or ``"exclude"`` to leave those people out of the population (counted).
    source: with several LLM sources (a ``source`` column in samples), the one plain names such as
        ``llm_mean`` read; ``llm_mean[gpt4o]`` names another, ``llm_mean[q2]`` another item's
        feature, ``llm_auto`` the features chosen by cross-validation (see ``models.sources``).
    tuned_on: ids a source was tuned (fine-tuned) on, ``{source: ids}`` (or the ids, with one
        source): their pilot answers neither fit nor correct the debiaser (the fit's notes say how
        many untouched pilot answers remain); population means and OLS coefficients still use them,
        stacked over the tuned source (``inference.tuned``).
    design: how the pilot was drawn from the population (an ``ss.Design``; simple random by
        default); ``cluster="UserID"`` and ``strata="region"`` are shortcuts naming covariate
        columns. Cross-fitting folds hold whole clusters and every estimate from the fit uses the
        design (see ``models.sampling``).

    Returns a DebiasResults (``DebiasModel(...).fit()``). People excluded for a legitimate reason
    (no draws for the item, missing covariates) and pilot answers not used (missing, or a missing
    code) are counted in ``result.exclusions``, so the population is the input minus them; a
    missing answer to another item never blocks the fit; bad input raises SynthsurveyError.

    samples may be a Dask DataFrame: only the pilot's features come into memory and a
    DistributedFit is returned (see ``models.distributed``); ``split_respondents`` says whether a
    respondent's draws may span partitions.
    """
    design = as_design(design, cluster, strata)
    if features is None and dask_features_adapter.is_dask(samples):
        if source is not None or tuned_on is not None or "source" in samples.columns:
            raise SynthsurveyError("several LLM sources (source=, tuned_on=, a 'source' column) need in-memory "
                                   "samples or a precomputed features= table")
        if any("[" in name for name in formula_spec(formula).llm_features):
            raise SynthsurveyError(f"{formula!r} reads another item's features: Dask samples give only the formula "
                                   "item's; pass in-memory samples or a precomputed features= table")
        return distributed.debias_dask(formula, samples, humans, covariates, family, key, scales, link, q,
                                       quantiles, split_respondents, unseen_levels, design)
    return DebiasModel(formula, samples, humans, covariates, family=family, key=key, scales=scales, link=link,
                       q=q, quantiles=quantiles, features=features, unseen_levels=unseen_levels, source=source,
                       tuned_on=tuned_on, design=design).fit()


def fit_items(samples, humans, covariates=None, items=None, formulas=None, families=None, scales=None,
              covariate_terms=(), key="id", link="logit", quantiles=DEFAULT_QUANTILES, errors="fallback",
              unseen_levels="error", features=None, split_respondents=False):
    """Fit every item (see ``models.items``); Dask samples go to the adapter
    (``models.distributed.fit_items_dask``). Returns a FittedItems."""
    options = dict(items=items, formulas=formulas, families=families, scales=scales,
                   covariate_terms=covariate_terms, key=key, link=link, quantiles=quantiles, errors=errors,
                   unseen_levels=unseen_levels)
    if features is None and dask_features_adapter.is_dask(samples):
        return distributed.fit_items_dask(samples, humans, covariates, split_respondents=split_respondents,
                                          **options)
    return fit_items_in_memory(samples, humans, covariates, features=features, **options)


__all__ = ["debias", "fit_items", "default_formula", "DebiasModel", "DebiasResults", "Design"]
