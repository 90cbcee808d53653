"""Features of Dask DataFrames: LLM sample tables larger than memory, on an existing
distributed engine (the only module that imports dask; an optional extra).

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

from .errors import SynthsurveyError
from .features import DEFAULT_QUANTILES, _count, _discrete_features, _index, _order_columns, feature_table
from .features import quantile_name
from .scales import resolve_scales
from .validate import numeric_values


def is_dask(frame):
    """True for a Dask DataFrame."""
    return type(frame).__module__.split(".")[0] == "dask"


def _scales(samples, scales, extra_values=None):
    """Item scales resolved over all partitions (one pass over the distinct item/response pairs)."""
    distinct = samples[["item", "response"]].drop_duplicates().compute()
    values = {item: numeric_values(group, "response", "samples")
              for item, group in distinct.groupby("item", observed=True)}
    for item, extra in (extra_values or {}).items():
        if item in values:
            values[item] = np.concatenate([values[item], np.asarray(extra, dtype=float)])
    declared = scales if isinstance(scales, dict) or scales is None else {item: scales for item in values}
    return resolve_scales(values, {k: v for k, v in (declared or {}).items() if k in values} or None)


def _columns(resolved, quantiles):
    shares = []
    for scale in resolved.values():
        if scale.is_discrete:
            shares += [name for name in scale.share_names() if name not in shares]
    return (["llm_n_draws", "llm_mean", "llm_sd", "llm_skew", "llm_kurtosis"]
            + [quantile_name(q) for q in quantiles] + ["llm_iqr"] + sorted(shares)
            + ["llm_extreme", "llm_mid", "llm_modal", "llm_entropy"])


def _meta(samples, key, resolved, quantiles):
    columns = _columns(resolved, quantiles)
    meta = pd.DataFrame({key: pd.Series(dtype=samples[key].dtype), "item": pd.Series(dtype=object)})
    for column in columns:
        meta[column] = pd.Series(dtype="int64" if column == "llm_n_draws" else "float64")
    return _order_columns(meta, key)


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
        levels = np.asarray(resolved[item].levels)
        values = numeric_values(group, "response", "samples").astype(float)
        position = np.argmin(np.abs(values[:, None] - levels[None, :]), axis=1)
        if not np.allclose(levels[position], values):
            bad = values[~np.isclose(levels[position], values)][0]
            raise SynthsurveyError(f"samples: item {item!r} has response {bad:g} outside its levels")
        codes, uniques, offset = _index(group[key])
        counts = _count(codes, offset, (position, levels, 0), len(uniques))
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
        table = _discrete_features(counts, np.asarray(scale.levels), quantiles, names)
        table[scale.share_names()] = counts / counts.sum(axis=1, keepdims=True)
        table.insert(0, "item", item)
        table.insert(0, key, np.asarray(keys))
        tables.append(table)
    return pd.concat(tables, ignore_index=True)
