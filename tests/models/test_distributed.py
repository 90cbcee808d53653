"""The models stage's Dask adapter: a DistributedFit gives the in-memory fit's coefficients,
predictions and population estimates (means with subgroups and weights, shares, quantiles,
coefficients; with and without cross-fitting) to 1e-10, on a dask.distributed LocalCluster,
including partitions that split a respondent's draws. Source of truth: the in-memory fit."""

import dataclasses

import numpy as np
import pytest

import synthsurvey as ss
from synthsurvey.featurize.dask import is_dask
from synthsurvey.io.simulate import simulate_study
from synthsurvey.models.distributed import DistributedFit
from tests.featurize.test_dask import by_respondent, splitting

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

FORMULA = "belief ~ llm_mean + llm_sd + llm_p1 + llm_p5 + age + C(educ)"
COLUMNS = ["estimate", "std_error", "ci_low", "ci_high", "lam", "n_labeled", "n_unlabeled"]


@pytest.fixture(scope="module")
def client(dask_client):
    return dask_client


@pytest.fixture(scope="module")
def study():
    study = simulate_study(n_people=1500, n_draws=12, n_pilot=200, seed=8)
    weights = np.random.default_rng(1).uniform(0.5, 2.0, len(study.covariates))
    return dataclasses.replace(study, covariates=study.covariates.assign(w=weights))


def same(a, b):
    np.testing.assert_allclose(a.table()[COLUMNS].to_numpy(dtype=float), b.table()[COLUMNS].to_numpy(dtype=float),
                               rtol=0, atol=1e-10)


def test_debias_and_population_estimates_match(client, study):
    local = ss.debias(FORMULA, study.samples, study.pilot, study.covariates)
    for samples, split in ((by_respondent(study.samples), False), (splitting(study.samples), True)):
        distributed_fit = ss.debias(FORMULA, samples, study.pilot, study.covariates, split_respondents=split)
        assert isinstance(distributed_fit, DistributedFit)
        np.testing.assert_allclose(distributed_fit.params, local.params, rtol=0, atol=1e-10)
        lazy = distributed_fit.predict()
        assert is_dask(lazy)  # computed one partition at a time, for everybody
        merged = local.predict().merge(lazy.compute(), on="id")
        assert len(merged) == local.n_population and (merged["is_pilot_x"] == merged["is_pilot_y"]).all()
        np.testing.assert_allclose(merged["prediction_x"], merged["prediction_y"], rtol=0, atol=1e-10)
        for method in ("ppi++", "ppi", "classical"):
            a = ss.population_mean(local, method=method).table()
            b = ss.population_mean(distributed_fit, method=method).table()
            np.testing.assert_allclose(a[["estimate", "ci_low", "ci_high", "lam"]], b[["estimate", "ci_low", "ci_high", "lam"]],
                                       rtol=0, atol=1e-10)
            assert b["n_unlabeled"][0] == a["n_unlabeled"][0]
        same(ss.population_mean(local, by=["educ", "female"], weights="w"),
             ss.population_mean(distributed_fit, by=["educ", "female"], weights="w"))
        same(ss.population_mean(local, cross_fit=False), ss.population_mean(distributed_fit, cross_fit=False))
        same(ss.population_mean(local, design="independent"), ss.population_mean(distributed_fit, design="independent"))
        same(ss.population_ols(local, "belief ~ age + female"), ss.population_ols(distributed_fit, "belief ~ age + female"))
        in_memory = distributed_fit.to_memory()
        np.testing.assert_allclose(ss.population_shares(in_memory).table()["estimate"],
                                   ss.population_shares(local).table()["estimate"], rtol=0, atol=1e-10)


def test_shares_and_quantiles_of_an_ordinal_distributed_fit(client, study):
    formula = "belief ~ llm_mean + age"
    local = ss.debias(formula, study.samples, study.pilot, study.covariates, family="ordinal")
    remote = ss.debias(formula, by_respondent(study.samples), study.pilot, study.covariates, family="ordinal")
    same(ss.population_shares(local), ss.population_shares(remote))
    a, b = ss.population_quantile(local, 0.5).table(), ss.population_quantile(remote, 0.5).table()
    assert a[["estimate", "ci_low", "ci_high"]].equals(b[["estimate", "ci_low", "ci_high"]])
    with pytest.raises(ss.SynthsurveyError, match="must name a column of covariates"):
        ss.population_mean(remote, weights=np.ones(10))
    with pytest.raises(ss.SynthsurveyError, match="reads covariates only"):
        ss.population_ols(remote, "belief ~ llm_sd")


def test_only_the_pilot_comes_into_memory(client, study):
    fit = ss.debias(FORMULA, by_respondent(study.samples), study.pilot, study.covariates)
    assert fit.pilot_fit.n_population == fit.pilot_fit.nobs == study.pilot["id"].nunique()
    assert fit.table().equals(fit.pilot_fit.table()) and fit.summary().table.equals(fit.table())
    with pytest.raises(AttributeError, match="immutable"):
        fit.item = "other"


def test_split_draws_without_saying_so_are_caught(client, study):
    with pytest.raises(ss.SynthsurveyError, match="span partitions.*split_respondents=True"):
        ss.debias(FORMULA, splitting(study.samples), study.pilot, study.covariates)


