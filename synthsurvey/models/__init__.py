"""Stage 3: models. Formulas (the only patsy user), families over statsmodels, the item frame,
the debiasing model and its immutable results, cross-fitting, default formulas, and the Dask
adapter. ``debias`` is the public entry point; it dispatches Dask samples to the adapter
(``models.distributed``), which the in-memory modules never import.
"""

from ..featurize import dask as dask_features_adapter
from ..featurize.table import DEFAULT_QUANTILES
from . import distributed
from .defaults import default_formula
from .model import DebiasModel
from .results import DebiasResults
from .sampling import Design, as_design


def debias(formula, samples, humans, covariates=None, family="ols", key="id", scales=None,
           link="logit", q=0.5, quantiles=DEFAULT_QUANTILES, features=None, split_respondents=False, design=None,
           cluster=None, strata=None):
    """Fit a debiasing regression of one item's human answers on its LLM draw features.

    formula: ``"item ~ llm_mean + llm_sd + age + C(educ)"``; ``llm_*`` names are the
        item's draw features (see ``ss.features``), other names are covariates.
    samples: long LLM draws (``key``, item, draw, response).
    humans: long human pilot answers (id, item, response); a subset of the population.
    covariates: one row per person (``id`` plus covariates; plus ``key`` for persona keys).
    family: ``"ols"``, ``"ordinal"`` (``link`` logit or probit), ``"logit"`` (binary items),
        ``"mnlogit"`` or ``"quantreg"`` (quantile ``q``).
    features: optional precomputed ``ss.features(samples)`` table (then ``samples`` may be None).
    design: how the pilot was drawn from the population (an ``ss.Design``; simple random by
        default); ``cluster="UserID"`` and ``strata="region"`` are shortcuts naming covariate
        columns. Cross-fitting folds hold whole clusters and every estimate from the fit uses the
        design (see ``models.sampling``).

    Returns a DebiasResults (``DebiasModel(...).fit()``). Rows excluded for a legitimate reason
    (no draws for the item, missing covariates) are counted in ``result.exclusions``; bad input
    raises SynthsurveyError.

    samples may be a Dask DataFrame: only the pilot's features come into memory and a
    DistributedFit is returned (see ``models.distributed``); ``split_respondents`` says whether a
    respondent's draws may span partitions.
    """
    design = as_design(design, cluster, strata)
    if features is None and dask_features_adapter.is_dask(samples):
        return distributed.debias_dask(formula, samples, humans, covariates, family, key, scales, link, q,
                                       quantiles, split_respondents, design)
    return DebiasModel(formula, samples, humans, covariates, family=family, key=key, scales=scales, link=link,
                       q=q, quantiles=quantiles, features=features, design=design).fit()


__all__ = ["debias", "default_formula", "DebiasModel", "DebiasResults", "Design"]
