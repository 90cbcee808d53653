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
from .features import DEFAULT_QUANTILES, _count, _index, _order_columns, discrete_table, feature_table
from .features import feature_columns, quantile_name
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
    return feature_columns([quantile_name(q) for q in quantiles], sorted(shares))


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
        table = discrete_table(counts, scale, quantiles, names)
        table.insert(0, "item", item)
        table.insert(0, key, np.asarray(keys))
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


class _Payload:
    """Objects a partition function needs (fitted models), with a token of their own: dask
    cannot hash statsmodels results deterministically."""

    def __init__(self, **objects):
        import uuid

        self.__dict__.update(objects)
        self._token = uuid.uuid4().hex

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "_built"}

    def __dask_tokenize__(self):
        return self._token


class DistributedFit:
    """A debiasing fit whose population stays a Dask DataFrame (samples keyed by respondent id).

    The model is fit on the pilot, whose features alone come into memory (``pilot_fit``, a
    DebiasResults over the pilot rows: ``params``, ``summary()``, ``table()`` ...). ``predict()``
    is lazy, one partition at a time; ``population_mean()`` sums the cross-fitted predictions
    partition by partition (the subsample design needs only their total and count). Everything
    else (shares, subgroups, coefficients, fidelity) runs on ``to_memory()``, which computes the
    item's feature table (one row per respondent)."""

    def __init__(self, pilot_fit, features, covariates, formula, humans, scales, key="id"):
        self.pilot_fit = pilot_fit
        self.features = features
        self.covariates = covariates
        self.formula = formula
        self.humans = humans
        self.scales = scales
        self.key = key
        self.item = pilot_fit.item
        self.pilot_ids = pilot_fit.frame["id"].to_numpy()

    def __getattr__(self, name):  # params, std_errors, table, summary, conf_int, vcov, nobs ...
        if name in ("params", "std_errors", "table", "summary", "conf_int", "vcov", "nobs", "scale", "family",
                    "spec", "design", "fitted"):
            return getattr(self.pilot_fit, name)
        raise AttributeError(name)

    def _payload(self, models):
        """What partition functions need. patsy's design information does not pickle, so it travels
        as the right-hand side and the pilot rows it was built on, and is rebuilt on the worker
        (the same coding: categorical levels and stateful transforms come from the same rows)."""
        fit = self.pilot_fit
        needed = list(fit.spec.llm_features + fit.spec.covariates)
        return _Payload(rhs=fit.spec.rhs, template=fit.frame[needed].copy(), needed=needed, models=models,
                        pilot_ids=self.pilot_ids, covariates=self.covariates)

    def predict(self):
        """Lazy Dask DataFrame (id, is_pilot, prediction): the model fit on the whole pilot."""
        payload = self._payload(models=[self.pilot_fit.fitted])
        meta = pd.DataFrame({"id": pd.Series(dtype=self.features["id"].dtype), "is_pilot": pd.Series(dtype=bool),
                             "prediction": pd.Series(dtype=float)})
        return self.features.map_partitions(_predict_partition, payload, meta=meta)

    def population_mean(self, method="ppi++", alpha=0.05, folds=5, seed=0, finite_population=True):
        """Cross-fit PPI mean (subsample design, no weights) with the population's predictions
        summed partition by partition; a PopulationResult equal to the in-memory one."""
        from . import ppi
        from .crossfit import crossfit_predictions, fold_models
        from .population import PopulationResult, estimate_rows

        fit = self.pilot_fit  # every row is a pilot row
        models = fold_models(fit, folds, seed)[2]
        pilot_predictions = crossfit_predictions(fit, folds=folds, seed=seed)  # the same models, cached
        payload = self._payload(models=models)
        meta = pd.DataFrame({"total": pd.Series(dtype=float), "count": pd.Series(dtype="int64")})
        sums = self.features.map_partitions(_sum_partition, payload, meta=meta).sum().compute()
        n_all = fit.nobs + int(sums["count"])
        f_all_mean = (pilot_predictions.sum() + float(sums["total"])) / n_all
        answers = fit.frame["response"].to_numpy(dtype=float)
        result = ppi.mean_from_total(answers, pilot_predictions, [f_all_mean], n_all, method,
                                     finite_population=finite_population)
        return PopulationResult(estimate_rows(["mean"], result, alpha, fit.nobs, n_all, method, "subsample"), alpha)

    def to_memory(self):
        """The in-memory DebiasResults of the same fit (computes the item's feature table)."""
        from .debias import debias

        table = self.features.compute().sort_values([self.key, "item"], kind="stable").reset_index(drop=True)
        return debias(self.formula, None, self.humans, self.covariates, family=self.pilot_fit.family, key=self.key,
                      scales=self.scales, link=self.pilot_fit.link, q=self.pilot_fit.q, features=table)

    def __repr__(self):
        return f"<DistributedFit item={self.item!r} family={self.pilot_fit.family} pilot={self.pilot_fit.nobs}>"


def _population_rows(part, payload):
    """Population rows of one partition: covariates joined, rows the formula cannot use dropped
    (as the in-memory frame drops them)."""
    frame = part.merge(payload.covariates, on="id", how="left")
    usable = frame[payload.needed].notna().all(axis=1).to_numpy() if payload.needed else np.ones(len(frame), bool)
    return frame.loc[usable]


def _design(payload, frame):
    from . import formula as formulas

    if "_built" not in payload.__dict__:
        payload._built = formulas.build(payload.rhs, payload.template)
    return formulas.rebuild(payload._built, frame)


def _predict_partition(part, payload):
    frame = _population_rows(part, payload)
    values = payload.models[0].mean(_design(payload, frame)) if len(frame) else np.zeros(0)
    return pd.DataFrame({"id": frame["id"].to_numpy(), "is_pilot": frame["id"].isin(payload.pilot_ids).to_numpy(),
                         "prediction": values})


def _sum_partition(part, payload):
    """Total and count of the fold-averaged predictions of one partition's non-pilot rows."""
    frame = _population_rows(part, payload)
    frame = frame.loc[~frame["id"].isin(payload.pilot_ids)]
    if len(frame) == 0:
        return pd.DataFrame({"total": [0.0], "count": [0]})
    design = _design(payload, frame)
    values = np.mean([model.mean(design) for model in payload.models], axis=0)
    return pd.DataFrame({"total": [float(values.sum())], "count": [len(values)]})
