"""Dask adapter of the features stage: LLM sample tables larger than memory, on an existing
distributed engine (dask is an optional extra; the in-memory modules never import this one).

* Default: each respondent's draws lie in one partition (partition the draws by respondent,
  as ``read_parquet`` of files written per respondent range does). Each partition then runs
  the in-memory kernel with the item scales resolved once over all partitions, so its rows
  equal the pandas result exactly.
* ``split_respondents=True``: a respondent's draws may span partitions. Each partition
  counts draws per (respondent, item, level); the counts are summed across partitions and the
  features computed from them, which is exact for every feature of discrete items (shares,
  moments and mid-quantiles are functions of the counts). Continuous items cannot be combined
  exactly this way and are refused. The duplicate-draw check then runs within partitions only.
"""

import numpy as np
import pandas as pd

from ..common.checks import numeric_values
from ..common.errors import SynthsurveyError
from .scale_inference import resolve_scales
from .scales import restrict_declarations
from .summaries import discrete_table, feature_columns, order_columns, quantile_name
from .table import DEFAULT_QUANTILES, count_cells, feature_table, index_codes


def is_dask(frame):
    """True for a Dask DataFrame."""
    return type(frame).__module__.split(".")[0] == "dask"


def _scales(samples, scales, extra_values=None):
    """Item scales resolved over all partitions (one pass over the distinct item/response pairs),
    with the human answers in ``extra_values`` inferred beside the draws."""
    distinct = samples[["item", "response"]].drop_duplicates().compute()
    values = {item: numeric_values(group, "response", "samples")
              for item, group in distinct.groupby("item", observed=True)}
    humans = {item: np.asarray(extra, dtype=float) for item, extra in (extra_values or {}).items() if item in values}
    return resolve_scales(values, restrict_declarations(scales, list(values)), humans)


def _columns(resolved, quantiles):
    shares = []
    for scale in resolved.values():
        if scale.is_discrete:
            shares += [name for name in scale.share_names() if name not in shares]
    return feature_columns([quantile_name(q) for q in quantiles], sorted(shares))


def _meta(samples, key, resolved, quantiles):
    columns = _columns(resolved, quantiles)
    meta = pd.DataFrame({key: pd.Series(dtype=samples[key].dtype), "item": pd.Series(dtype=object)})
    for column in columns:
        meta[column] = pd.Series(dtype="int64" if column == "llm_n_draws" else "float64")
    return order_columns(meta, key)


def _align(table, meta):
    table = table.reindex(columns=meta.columns)
    return table.astype({c: meta[c].dtype for c in meta.columns if c not in ("item",)})


def dask_features(samples, key="id", scales=None, quantiles=DEFAULT_QUANTILES, split_respondents=False,
                  extra_values=None):
    """(lazy Dask DataFrame of features, {item: Scale}); see the module docstring."""
    resolved = _scales(samples, scales, extra_values)
    quantiles = tuple(float(q) for q in quantiles)
    meta = _meta(samples, key, resolved, quantiles)
    if not split_respondents:
        def partition(part):
            if len(part) == 0:
                return meta.copy()
            present = {item: scale for item, scale in resolved.items() if item in set(part["item"].unique())}
            return _align(feature_table(part, key=key, scales=present, quantiles=quantiles)[0], meta)

        return samples.map_partitions(partition, meta=meta), resolved
    continuous = [item for item, scale in resolved.items() if not scale.is_discrete]
    if continuous:
        raise SynthsurveyError(
            f"split_respondents=True needs discrete items; {continuous[:5]} are continuous, whose quantiles "
            "cannot be combined across partitions: partition the draws by respondent instead"
        )
    counts_meta = pd.DataFrame({key: pd.Series(dtype=samples[key].dtype), "item": pd.Series(dtype=object),
                                "level": pd.Series(dtype="int64"), "count": pd.Series(dtype="int64")})
    counts = samples.map_partitions(_partition_counts, key, resolved, meta=counts_meta)
    summed = counts.groupby([key, "item", "level"]).sum().reset_index()
    summed = summed.shuffle(on=[key, "item"]) if hasattr(summed, "shuffle") else summed

    def from_counts(part):
        return _align(_features_from_counts(part, key, resolved, quantiles), meta) if len(part) else meta.copy()

    return summed.map_partitions(from_counts, meta=meta), resolved


def _partition_counts(part, key, resolved):
    """Long counts (key, item, level position, count) of one partition's draws."""
    rows = []
    for item, group in part.groupby("item", observed=True, sort=False):
        scale = resolved[item]
        values = numeric_values(group, "response", "samples").astype(float)
        kept = ~scale.is_missing(values)  # missing draws (NaN, missing codes) are left out
        group, values = group.loc[kept], values[kept]
        position = scale.codes(values, where=f"samples of item {item!r}")
        codes, uniques, offset = index_codes(group[key])
        counts = count_cells(codes, offset, (position, np.asarray(scale.levels), 0), len(uniques))
        key_position, level = np.nonzero(counts)
        rows.append(pd.DataFrame({key: uniques[key_position], "item": item, "level": level,
                                  "count": counts[key_position, level]}))
    if not rows:
        return pd.DataFrame({key: [], "item": [], "level": [], "count": []})
    return pd.concat(rows, ignore_index=True)


def _features_from_counts(part, key, resolved, quantiles):
    names = [quantile_name(q) for q in quantiles]
    tables = []
    for item, group in part.groupby("item", sort=True):
        scale = resolved[item]
        codes, keys = pd.factorize(group[key], sort=True)
        counts = np.zeros((len(keys), scale.n_levels), dtype=np.int64)
        np.add.at(counts, (codes, group["level"].to_numpy()), group["count"].to_numpy())
        table = discrete_table(counts, scale, quantiles, names)
        table.insert(0, "item", item)
        table.insert(0, key, np.asarray(keys))
        tables.append(table)
    return pd.concat(tables, ignore_index=True)
