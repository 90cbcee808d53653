"""The main job and the command line, on the bundled study and on files."""

import pandas as pd
import pytest

from synthsurvey.interfaces import cli
from synthsurvey.io.datasets import SIMULATED_DIR
from synthsurvey.io.simulate import simulate_study, read_study, STUDY_FILES


def test_bundled_files_equal_the_seeded_generator():
    shipped, generated = read_study(SIMULATED_DIR), simulate_study()
    for name in STUDY_FILES:
        pd.testing.assert_frame_equal(getattr(shipped, name), getattr(generated, name), check_dtype=False)


def test_main_job_without_arguments(tmp_path, capsys):
    assert cli.main(["--out", str(tmp_path)]) == 0
    for name in ["features.csv.gz", "coefficients.csv", "predictions.csv.gz", "summary.txt", "holdout_accuracy.csv",
                 "population.csv", "report.html"]:
        assert (tmp_path / name).exists(), name
    accuracy = pd.read_csv(tmp_path / "holdout_accuracy.csv").set_index(["item", "predictor"])["rmse"]
    assert accuracy["belief", "debiased"] < accuracy["belief", "base"]
    assert "bundled simulated study" in capsys.readouterr().out
    population = pd.read_csv(tmp_path / "population.csv")
    means = population[(population["item"] == "belief") & (population["term"] == "mean")].set_index("method")
    assert set(means.index) == {"ppi++", "classical", "base LLM"}
    assert means.loc["ppi++", "ci_high"] - means.loc["ppi++", "ci_low"] < \
        means.loc["classical", "ci_high"] - means.loc["classical", "ci_low"]


def test_main_job_from_files(tmp_path, study):
    study.samples.to_parquet(tmp_path / "samples.parquet")
    study.pilot.to_csv(tmp_path / "pilot.csv", index=False)
    study.covariates.to_csv(tmp_path / "people.csv", index=False)
    code = cli.main(["--samples", str(tmp_path / "samples.parquet"), "--humans", str(tmp_path / "pilot.csv"),
                     "--covariates", str(tmp_path / "people.csv"), "--formula", "belief ~ llm_mean + age",
                     "--formula", "action ~ llm_mean", "--family", "ols", "--family", "logit",
                     "--out", str(tmp_path / "out")])
    assert code == 0
    coefficients = pd.read_csv(tmp_path / "out" / "coefficients.csv")
    assert set(coefficients["item"]) == {"belief", "action"}


def test_bad_input_exits_with_the_message(tmp_path, capsys):
    assert cli.main(["--samples", str(tmp_path / "nope.csv"), "--humans", "x", "--formula", "a ~ b"]) == 2
    assert "does not exist" in capsys.readouterr().err
