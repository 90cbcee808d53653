"""Loaders of the bundled real data sets."""

import numpy as np
import pandas as pd

import synthsurvey as ss
from synthsurvey.io.datasets import DATA_DIR


def test_twin2k500():
    data = ss.datasets.load_twin2k500()
    raw = pd.read_csv(DATA_DIR / "twin2k500" / "paired_responses_long.csv.gz")
    assert len(data.samples) == raw["twin_value"].notna().sum()
    assert len(data.humans) == raw["human_value"].notna().sum() == len(raw) - 48
    assert "48 pair(s) without a human answer" in data.notes[0]
    assert data.samples["draw"].eq(0).all()
    assert len(data.covariates) == 799 and data.covariates["id"].is_unique
    assert data.scales["rating1"] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert data.scales["rating_1_1"] == "continuous"
    merged = data.samples.merge(data.humans, on=["id", "item"], suffixes=("_twin", "_human"))
    assert np.corrcoef(merged["response_twin"], merged["response_human"])[0, 1] > 0


def test_smartvote():
    data = ss.datasets.load_smartvote()
    assert data.key == "party"
    assert len(data.samples) == 30000 - 109 and "109 GPT-4" in data.notes[0]
    assert data.samples.groupby(["party", "item"])["draw"].nunique().max() == 50
    assert set(data.samples["party"]) == set(data.covariates["party"]) - {"Übrige"}
    assert len(data.humans) == 1029 * 75
    assert data.humans["response"].between(0, 1).all() and data.samples["response"].between(0, 1).all()
    fit = ss.debias("q32214 ~ llm_mean", data.samples, data.humans, data.covariates, key="party",
                    scales=data.scales)
    assert fit.exclusions["n_rows"].tolist() == [int((data.covariates["party"] == "Übrige").sum())]


def test_bfi_human_only():
    data = ss.datasets.load_bfi()
    assert len(data.covariates) == 2800 and data.samples.empty
    assert data.humans["item"].nunique() == 25
    n_missing = int(data.notes[0].split()[0])
    assert len(data.humans) + n_missing == 2800 * 25
    assert data.humans["response"].between(1, 6).all()
    assert data.covariates["education"].isna().sum() > 0  # kept as missing, never -2147483648
    assert data.covariates["education"].dropna().between(1, 5).all()
