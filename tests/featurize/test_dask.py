"""Dask inputs give the pandas results: features exactly, predictions and population
estimates to 1e-10, on a dask.distributed LocalCluster, including partitions that split a
respondent's draws."""

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from synthsurvey.featurize.dask import is_dask
from synthsurvey.models.distributed import DistributedFit
from synthsurvey.io.simulate import simulate_study

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

FORMULA = "belief ~ llm_mean + llm_sd + llm_p1 + llm_p5 + age + C(educ)"


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    with distributed.Client(cluster) as connected:
        yield connected
    cluster.close()


@pytest.fixture(scope="module")
def study():
    return simulate_study(n_people=1500, n_draws=12, n_pilot=200, seed=8)


def by_respondent(samples, partitions=9):
    return dd.from_pandas(samples.assign(pid=samples["id"]).set_index("pid"), npartitions=partitions,
                          sort=True).reset_index(drop=True)


def splitting(samples, partitions=9):
    """Partitions by draw number: every respondent's draws span several partitions."""
    return dd.from_pandas(samples.sort_values(["draw", "id"]).reset_index(drop=True), npartitions=partitions,
                          sort=False)


def sorted_features(table):
    return table.sort_values(["id", "item"]).reset_index(drop=True)


def test_features_equal_pandas_exactly(client, study):
    expected = sorted_features(ss.features(study.samples))
    lazy = ss.features(by_respondent(study.samples))
    assert lazy.npartitions == 9
    pd.testing.assert_frame_equal(sorted_features(lazy.compute()), expected, check_dtype=False, check_exact=True)
    split = ss.features(splitting(study.samples), split_respondents=True).compute()
    pd.testing.assert_frame_equal(sorted_features(split), expected, check_dtype=False, check_exact=True)


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
        in_memory = distributed_fit.to_memory()
        np.testing.assert_allclose(ss.population_shares(in_memory).table()["estimate"],
                                   ss.population_shares(local).table()["estimate"], rtol=0, atol=1e-10)


def test_only_the_pilot_comes_into_memory(client, study):
    fit = ss.debias(FORMULA, by_respondent(study.samples), study.pilot, study.covariates)
    assert fit.pilot_fit.n_population == fit.pilot_fit.nobs == study.pilot["id"].nunique()
    with pytest.raises(AttributeError):
        fit.population_quantile  # not distributed: to_memory() first


def test_split_draws_without_saying_so_are_caught(client, study):
    with pytest.raises(ss.SynthsurveyError, match="span partitions.*split_respondents=True"):
        ss.debias(FORMULA, splitting(study.samples), study.pilot, study.covariates)


def test_continuous_items_cannot_be_split(client):
    samples = pd.DataFrame({"id": np.repeat(np.arange(20), 5), "item": "x", "draw": np.tile(np.arange(5), 20),
                            "response": np.random.default_rng(0).normal(size=100)})
    with pytest.raises(ss.SynthsurveyError, match="split_respondents=True needs discrete items"):
        ss.features(dd.from_pandas(samples, npartitions=3), split_respondents=True)


def test_cli_reads_a_parquet_folder(tmp_path, study):
    from synthsurvey.interfaces import cli

    folder = tmp_path / "draws"
    folder.mkdir()
    for part, ids in enumerate(np.array_split(study.covariates["id"].to_numpy(), 3)):
        study.samples[study.samples["id"].isin(ids)].to_parquet(folder / f"part{part}.parquet")
    study.pilot.to_csv(tmp_path / "pilot.csv", index=False)
    study.covariates.to_csv(tmp_path / "people.csv", index=False)
    code = cli.main(["--samples", str(folder), "--humans", str(tmp_path / "pilot.csv"), "--covariates",
                     str(tmp_path / "people.csv"), "--formula", "belief ~ llm_mean + age", "--out", str(tmp_path / "out")])
    assert code == 0
    features = pd.read_csv(tmp_path / "out" / "features.csv.gz")
    expected = ss.features(study.samples)
    assert len(features) == len(expected)
