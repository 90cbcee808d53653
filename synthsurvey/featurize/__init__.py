"""Stage 2: features (``featurize``: the name ``features`` is the public function). Item scales
(declared with their missing codes, or inferred: ``scale_inference``), the feature table of each
respondent's draw vector (compiled kernels with a numpy fallback), named feature sets, and the
Dask adapter.

``features`` and ``infer_scales`` are the public entry points; they dispatch Dask inputs to the
adapter (``featurize.dask``), which the in-memory modules never import.
"""

import numpy as np

from ..common.checks import numeric_values, require_columns
from ..common.errors import SynthsurveyError
from . import dask as dask_adapter
from .scale_inference import resolve_scales
from .scales import Scale, answers_by_item, scales_table
from .sources import has_sources, source_feature_table
from .table import DEFAULT_QUANTILES, feature_table


def features(samples, key="id", scales=None, quantiles=DEFAULT_QUANTILES, split_respondents=False):
    """Summarise each (key, item) vector of LLM draws.

    samples: long DataFrame with columns ``key``, ``item``, ``draw``, ``response``
        (numeric responses; pass ``item`` as a Categorical for speed on large tables), and
        optionally ``source`` (the LLM, prompt or fine-tune a draw came from; see
        ``featurize.sources``): the table then has one row per (key, item, source).
    key: column linking draws to respondents (their own id) or to personas.
    scales: optional ``{item: declaration}`` (see ``Scale`` and ``scales.as_scale``);
        undeclared items are inferred (``infer_scales`` reports how).

    Returns a DataFrame with one row per (key, item): ``llm_n_draws``, ``llm_mean``,
    ``llm_sd``, ``llm_skew``, ``llm_kurtosis`` (excess), one ``llm_q*`` per quantile,
    ``llm_iqr``, and for discrete items the category shares ``llm_p*``, ``llm_extreme``
    (share at the lowest or highest level), ``llm_mid`` (share at the middle level, or
    the two middle levels of an even scale), ``llm_modal`` (share of the most frequent
    level) and ``llm_entropy`` (Shannon entropy of the shares, in bits). Features a
    scale does not define are NaN. Skew and kurtosis are 0 when all draws are equal.

    A Dask DataFrame gives a lazy Dask DataFrame computed partition by partition (see
    ``featurize.dask``; ``split_respondents`` says whether a respondent's draws may span
    partitions).
    """
    if dask_adapter.is_dask(samples):
        if has_sources(samples):
            raise SynthsurveyError("samples with a 'source' column are summarised in memory only: compute "
                                   "each source's features from its own Dask table, or pass a pandas table")
        return dask_adapter.dask_features(samples, key, scales, quantiles, split_respondents)[0]
    if has_sources(samples):
        return source_feature_table(samples, key=key, scales=scales, quantiles=quantiles)[0]
    return feature_table(samples, key=key, scales=scales, quantiles=quantiles)[0]


def infer_scales(samples, humans=None, scales=None):
    """Return a DataFrame (item, kind, n_levels, levels, missing, source, notes): each item's
    scale, declared or inferred from the LLM draws together with the human answers. ``levels``
    and ``missing`` hold tuples of numbers; ``notes`` what inference found suspicious (each also
    a ``ScaleWarning``; values that look like missing-value codes are an error naming them)."""
    require_columns(samples, ["item", "response"], "samples")
    draws = {item: numeric_values(group, "response", "samples")
             for item, group in samples[["item", "response"]].groupby("item", sort=True, observed=True)}
    answers = {}
    if humans is not None:
        require_columns(humans, ["item", "response"], "humans")
        answers = answers_by_item(humans)
    for item in answers:
        draws.setdefault(item, np.zeros(0))
    resolved = resolve_scales(dict(sorted(draws.items(), key=lambda pair: str(pair[0]))), scales, answers)
    table = scales_table(resolved)
    table["notes"] = [scale.notes for scale in resolved.values()]
    return table


__all__ = ["features", "infer_scales", "feature_table", "Scale", "DEFAULT_QUANTILES"]
