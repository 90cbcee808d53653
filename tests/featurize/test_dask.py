"""The features stage's Dask adapter gives the pandas results exactly, on a dask.distributed
LocalCluster, including partitions that split a respondent's draws (when told)."""

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from synthsurvey.featurize.dask import is_dask
from synthsurvey.io.simulate import simulate_study

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

FORMULA = "belief ~ llm_mean + age"


@pytest.fixture(scope="module")
def client(dask_client):
    return dask_client


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
    expected = ss.features(study.samples[study.samples["item"] == "belief"])  # the fitted item's
    assert len(features) == len(expected)
