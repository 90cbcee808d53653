"""Dask adapter of the models stage: a debiasing fit whose population stays a Dask DataFrame.

With samples keyed by respondent id, only the pilot's features come into memory; the model is
fit there (``pilot_fit``, a DebiasResults over the pilot rows). ``predict()`` is lazy, one
partition at a time. ``estimation_frame()`` brings into memory what population estimates need
and nothing more: one row per person outside the pilot with their cross-fitted prediction(s)
and the covariates asked for (a few numbers per person, not their draws), so means, shares,
quantiles, subgroups, weights and coefficients run through the same estimators as in memory.
``to_memory()`` computes the item's whole feature table and returns the in-memory fit.
"""

import uuid

import numpy as np
import pandas as pd

from ..common.errors import SynthsurveyError, preview
from ..common.results import Result
from ..featurize import dask as dask_features_adapter
from ..featurize.scales import answers_by_item, restrict_declarations
from . import formula as formulas
from .crossfit import fold_models
from ..featurize.table import DEFAULT_QUANTILES
from .frame import IS_PILOT, RESPONSE, exclusion_notes
from .items import ERRORS, FittedItems, check_items, check_names, run_item
from .model import DebiasModel


def debias_dask(formula, samples, humans, covariates, family, key, scales, link, q, quantiles,
                split_respondents, unseen_levels="error", design=None):
    """debias on Dask samples: the item's features are computed partition by partition. With
    ``key="id"`` only the pilot's features come into memory and a DistributedFit is returned;
    with a persona key the (small) feature table is computed and the fit is the usual one."""
    spec = formulas.parse(formula)
    extra = answers_by_item(humans)
    item_draws = samples[samples["item"] == spec.item]  # only this item's features are computed
    scales = restrict_declarations(scales, [spec.item])
    lazy, scale_map = dask_features_adapter.dask_features(item_draws, key, scales, quantiles, split_respondents,
                                                          {spec.item: extra.get(spec.item, [])})
    pilot_ids = humans.loc[humans["item"] == spec.item, "id"].unique()
    if key == "id":  # the same check the in-memory path makes: every pilot id has LLM draws
        human_ids = humans["id"].unique()
        present = samples.loc[samples[key].isin(human_ids), key].unique().compute()
        unknown = pd.Index(human_ids).difference(pd.Index(present))
        if len(unknown):
            raise SynthsurveyError(
                f"humans has {len(unknown)} id(s) absent from the LLM samples/covariates, e.g. {preview(unknown)}")
    table = _pilot_table(lazy, key, pilot_ids)
    return fit_from_table(formula, lazy, table, humans, covariates, family, key, scale_map, link, q, unseen_levels,
                          design)


def _pilot_table(lazy, key, pilot_ids):
    """The features of the pilot people (of everybody, for a persona key) brought into memory;
    an error when a (key, item)'s draws span partitions."""
    chosen = lazy if key != "id" else lazy[lazy[key].isin(pilot_ids)]
    table = chosen.compute().sort_values([key, "item"], kind="stable").reset_index(drop=True)
    spanning = table.duplicated([key, "item"], keep=False)
    if spanning.any():
        example = table.loc[spanning].iloc[0]
        raise SynthsurveyError(
            f"the draws of {int(spanning.sum() // 2)} or more ({key}, item) pairs span partitions, e.g. "
            f"{key}={example[key]!r}, item={example['item']!r}: partition the draws by {key}, or pass "
            "split_respondents=True")
    return table


def fit_from_table(formula, lazy, table, humans, covariates, family, key, scale_map, link="logit", q=0.5,
                   unseen_levels="error", design=None):
    """The fit of ``formula`` from the lazy features of every person (``lazy``, any items) and the
    pilot people's features in memory (``table``): a DistributedFit (key "id"), else the usual fit
    on the (small) persona table."""
    item = formulas.parse(formula).item
    options = dict(family=family, key=key, scales=scale_map, link=link, q=q, features=table,
                   unseen_levels=unseen_levels, design=design)
    if key != "id":
        return DebiasModel(formula, None, humans, covariates, **options).fit()
    item_answers = humans[humans["item"] == item]
    has_draws = item_answers["id"].isin(table.loc[table["item"] == item, key])
    # the pilot fit's input is the pilot people with draws (the population stays in Dask)
    pilot_people = None if covariates is None else covariates[covariates["id"].isin(table[key])]
    pilot_fit = DebiasModel(formula, None, item_answers[has_draws], pilot_people, **options).fit()
    extra_exclusions = []
    if (~has_draws).any():
        missing = int((~has_draws).sum())
        extra_exclusions.append({"reason": f"pilot respondents without LLM draws for item {item!r}",
                                 "n_rows": missing, "n_pilot": missing, "scope": "population"})
    item_features = lazy[lazy["item"] == item]
    return DistributedFit(pilot_fit, item_features, covariates, formula, humans, scale_map, key, extra_exclusions)


def fit_items_dask(samples, humans, covariates=None, items=None, formulas=None, families=None, scales=None,
                   covariate_terms=(), key="id", link="logit", quantiles=DEFAULT_QUANTILES, errors="fallback",
                   unseen_levels="error", split_respondents=False):
    """``models.items.fit_items`` on Dask samples: each partition's features are computed once for
    every item and persisted (on the cluster's workers); the pilot people's features come into
    memory once; each item's fit is a DistributedFit over its lazy features."""
    if errors not in ERRORS:
        raise SynthsurveyError(f"errors must be one of {ERRORS}, got {errors!r}")
    if items is not None:  # only the items asked for are summarised
        names = [items] if isinstance(items, str) else list(items)
        samples = samples[samples["item"].isin(names)]
        scales = restrict_declarations(scales, names)
    lazy, scale_map = dask_features_adapter.dask_features(samples, key, scales, quantiles, split_respondents,
                                                          answers_by_item(humans))
    lazy = lazy.persist()
    items = check_items(items, scale_map)
    check_names(formulas, items, "formulas")
    check_names(families, items, "families")
    table = _pilot_table(lazy, key, humans["id"].unique())
    fitted = FittedItems({}, {}, {}, {}, {item: scale_map[item] for item in items}, lazy, samples, humans,
                         covariates, key)
    fitted.pilot_features = table

    def fit(item, formula, family):
        return fit_from_table(formula, lazy, table, humans, covariates, family, key, scale_map, link,
                              unseen_levels=unseen_levels)

    for item in items:
        run_item(fitted, item, formulas, families, covariate_terms, errors, fit,
                 lambda: lazy.loc[lazy["item"] == item, key].nunique().compute())
    return fitted


class _Payload:
    """Objects a partition function needs (fitted models), with a token of their own: dask
    cannot hash statsmodels results deterministically. patsy's design information does not
    pickle, so it travels as the right-hand side and the pilot rows it was built on, and is
    rebuilt on the worker (the same coding: categorical levels and stateful transforms come
    from the same rows)."""

    def __init__(self, **objects):
        self.__dict__.update(objects)
        self._token = uuid.uuid4().hex

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "_built"}

    def __dask_tokenize__(self):
        return self._token


class DistributedFit(Result):
    """A debiasing fit whose population is a lazy Dask feature table (see the module docstring).

    The coefficients, their table, summary and intervals are the pilot fit's (``pilot_fit``);
    ``exclusions`` adds the pilot respondents without draws."""

    in_memory = False  # the population is a lazy Dask table; estimates bring in one row per person

    def __init__(self, pilot_fit, features, covariates, formula, humans, scales, key="id", extra_exclusions=()):
        self.pilot_fit = pilot_fit
        self.features = features
        self.covariates = covariates
        self.formula = formula
        self.humans = humans
        self.scales = scales
        self.key = key
        self.item = pilot_fit.item
        self.family = pilot_fit.family
        self.scale = pilot_fit.scale
        self.nobs = pilot_fit.nobs
        self.pilot_design = pilot_fit.pilot_design
        self.pilot_ids = pilot_fit.frame["id"].to_numpy()
        extra = pd.DataFrame(list(extra_exclusions), columns=pilot_fit.exclusions.columns)
        self.exclusions = pilot_fit.exclusions if extra.empty else pd.concat([pilot_fit.exclusions, extra],
                                                                             ignore_index=True)
        self._set_estimates(pilot_fit._estimates, pilot_fit.alpha, exclusion_notes(self.exclusions))
        self._freeze()

    params = property(lambda self: self.pilot_fit.params, doc="Coefficients (a Series by term).")
    std_error = property(lambda self: self.pilot_fit.std_error, doc="Standard errors (a Series by term).")

    def vcov(self):
        """Covariance matrix of the coefficients."""
        return self.pilot_fit.vcov()

    def summary(self, alpha=None):
        """The pilot fit's summary (the population is not in memory)."""
        return self.pilot_fit.summary(alpha)

    def _payload(self, models):
        fit = self.pilot_fit
        needed = list(fit.spec.llm_features + fit.spec.covariates)
        return _Payload(rhs=fit.spec.rhs, template=fit.frame[needed].copy(), needed=needed, models=models,
                        pilot_ids=self.pilot_ids, covariates=self.covariates)

    def predict(self):
        """Lazy Dask DataFrame (id, is_pilot, prediction): the model fit on the whole pilot."""
        payload = self._payload(models=[self.pilot_fit.fitted])
        meta = pd.DataFrame({"id": pd.Series(dtype=self.features["id"].dtype), IS_PILOT: pd.Series(dtype=bool),
                             "prediction": pd.Series(dtype=float)})
        return self.features.map_partitions(_predict_partition, payload, meta=meta)

    def estimation_frame(self, kind="response", cross_fit=True, folds=5, seed=0, columns=()):
        """(frame, predictions) over the population, as ``DebiasResults.estimation_frame`` gives
        them: the pilot rows with their cross-fitted predictions, then everybody else with the
        average of the K fold models' predictions (or the whole-pilot model's, ``cross_fit=False``),
        computed partition by partition. ``frame`` holds id, response, is_pilot and ``columns``."""
        fit = self.pilot_fit
        unknown = [c for c in columns if c not in self.covariates.columns]
        if unknown:
            raise SynthsurveyError(f"{preview(unknown)} are not columns of covariates; a distributed fit "
                                   "reads covariates only (its features stay in Dask: use fit.to_memory())")
        models = fold_models(fit, folds, seed)[2] if cross_fit else [fit.fitted]
        payload = self._payload(models=models)
        names = fit.prob_names() if kind == "probs" else ["prediction"]
        payload.kind, payload.columns, payload.names = kind, list(columns), names
        meta = pd.DataFrame({"id": pd.Series(dtype=self.features["id"].dtype)})
        for column in columns:
            meta[column] = pd.Series(dtype=self.covariates[column].dtype)
        for name in names:
            meta[name] = pd.Series(dtype=float)
        rest = self.features.map_partitions(_estimation_partition, payload, meta=meta).compute()
        pilot = fit.frame[["id", *columns, RESPONSE, IS_PILOT]]
        rest = rest.assign(**{RESPONSE: np.nan, IS_PILOT: False})
        frame = pd.concat([pilot, rest[["id", *columns, RESPONSE, IS_PILOT]]], ignore_index=True)
        rest_values = rest[names].to_numpy(dtype=float)
        if kind == "response":
            rest_values = rest_values[:, 0]
        values = np.concatenate([np.asarray(fit.predictions(kind, cross_fit, folds, seed)), rest_values])
        values.setflags(write=False)
        return frame, values

    def to_memory(self):
        """The in-memory DebiasResults of the same fit (computes the item's feature table)."""
        fit = self.pilot_fit
        table = self.features.compute().sort_values([self.key, "item"], kind="stable").reset_index(drop=True)
        return DebiasModel(self.formula, None, self.humans, self.covariates, family=fit.family, key=self.key,
                           scales=self.scales, link=fit.link, q=fit.q, features=table,
                           unseen_levels=fit.model.unseen_levels, design=self.pilot_design).fit()

    def __repr__(self):
        return f"<DistributedFit item={self.item!r} family={self.family} pilot={self.nobs}>"


def _population_rows(part, payload):
    """Population rows of one partition: covariates joined, rows the formula cannot use dropped
    (as the in-memory frame drops them)."""
    frame = part.merge(payload.covariates, on="id", how="left")
    usable = frame[payload.needed].notna().all(axis=1).to_numpy() if payload.needed else np.ones(len(frame), bool)
    return frame.loc[usable]


def _design(payload, frame):
    if "_built" not in payload.__dict__:
        payload._built = formulas.build(payload.rhs, payload.template)
    return formulas.rebuild(payload._built, frame)


def _predict_partition(part, payload):
    frame = _population_rows(part, payload)
    values = payload.models[0].mean(_design(payload, frame)) if len(frame) else np.zeros(0)
    return pd.DataFrame({"id": frame["id"].to_numpy(), IS_PILOT: frame["id"].isin(payload.pilot_ids).to_numpy(),
                         "prediction": values})


def _estimation_partition(part, payload):
    """One partition's people outside the pilot: id, the asked-for covariates and the fold-averaged
    predictions (one column, or one per level for probabilities)."""
    frame = _population_rows(part, payload)
    frame = frame.loc[~frame["id"].isin(payload.pilot_ids)]
    out = frame[["id", *payload.columns]].reset_index(drop=True)
    if len(frame) == 0:
        values = np.zeros((0, len(payload.names)))
    else:
        design = _design(payload, frame)
        kind = "mean" if payload.kind == "response" else "probs"
        values = np.mean([getattr(model, kind)(design) for model in payload.models], axis=0).reshape(len(frame), -1)
    for position, name in enumerate(payload.names):
        out[name] = values[:, position]
    return out
