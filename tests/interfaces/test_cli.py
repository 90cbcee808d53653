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


# study files and user errors ------------------------------------------------------------------

@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A three-item questionnaire on disk: a folder of CSV draws, a wide pilot with code 99 and
    empty cells, semicolon-separated covariates keyed by ResponseId."""
    import synthsurvey as ss
    from synthsurvey.io.simulate_questionnaire import item_plan

    folder = tmp_path_factory.mktemp("questionnaire")
    q = ss.simulate_questionnaire(n_people=400, n_draws=8, n_pilot=150, items=item_plan(1, 1, 1), seed=2,
                                  ids="qualtrics", dont_know=(99, 0.05), pilot_missing=0.02)
    (folder / "draws").mkdir()
    samples = q.samples.rename(columns={"id": "ResponseId"})
    for part, ids in enumerate((samples["ResponseId"].unique()[:200], samples["ResponseId"].unique()[200:])):
        samples[samples["ResponseId"].isin(ids)].to_csv(folder / "draws" / f"part{part}.csv", index=False)
    wide = q.pilot.pivot(index="id", columns="item", values="response").reset_index()
    wide.rename(columns={"id": "ResponseId"}).to_csv(folder / "pilot.csv", index=False)
    q.covariates.rename(columns={"id": "ResponseId"}).to_csv(folder / "people.csv", sep=";", index=False)
    (folder / "study.toml").write_text(STUDY)
    return folder


STUDY = """
[data]
samples = "draws"
humans = "pilot.csv"
covariates = "people.csv"
wide = true
id_column = "ResponseId"

[options]
out = "results"
missing = [99]
covariate_terms = ["age", "ideology"]

[items.q01]
family = "ordinal"
analyst = "q01 ~ age + ideology"

[items.q03]
scale = "binary"
"""


def run(argv, capsys):
    code = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_study_file_with_three_items(files, capsys):
    code, out, err = run(["run", files / "study.toml"], capsys)
    assert code == 0, err
    population = pd.read_csv(files / "results" / "population.csv")
    means = population[(population["term"] == "mean") & (population["method"] == "ppi++")].set_index("item")
    assert list(means.index) == ["q01", "q02", "q03"]
    assert means.loc["q01", "family"] == "ordinal" and means.loc["q03", "family"] == "logit"
    text = (files / "results" / "population.csv").read_text()
    numbers = [cell for line in text.splitlines()[1:] for cell in line.split(",") if cell[:1].isdigit() and "." in cell]
    assert all(len(cell.replace(".", "").lstrip("0").split("e")[0]) <= 4 for cell in numbers)  # 4 significant digits
    assert "Structural fidelity: q01 ~ age + ideology" in (files / "results" / "report.html").read_text()
    exclusions = pd.read_csv(files / "results" / "exclusions.csv")
    assert "missing-value code(s) 99 (don't know / refused) for item 'q01'" in set(exclusions["reason"])


def test_flags_for_a_one_item_run_on_a_folder(files, tmp_path, capsys):
    code, out, err = run(["--samples", files / "draws", "--humans", files / "pilot.csv", "--wide", "--id-column",
                          "ResponseId", "--formula", "q02 ~ llm_mean", "--missing", "99", "--out", tmp_path / "o"],
                         capsys)
    assert code == 0, err
    assert "q02: ols fit on" in out


@pytest.mark.parametrize("change, message", [
    (lambda f, t: ["--samples", f / "draws", "--humans", f / "pilot.csv", "--id-column", "ResponseId",
                   "--formula", "q01 ~ llm_mean", "--missing", "99"],
     "has no 'item' and 'response' columns but has column(s) named like items ('q01', 'q02', 'q03'): it looks wide"),
    (lambda f, t: ["--samples", f / "draws", "--humans", t / "empty.csv", "--formula", "q01 ~ llm_mean"],
     "is empty"),
    (lambda f, t: ["--samples", f / "draws", "--humans", f / "pilot.csv", "--wide", "--id-column", "ResponseId",
                   "--formula", "q01 ~ llm_mean", "--missing", "99", "--out", t / "empty.csv"],
     "is an existing file, not a folder"),
    (lambda f, t: ["--samples", f / "draws", "--humans", f / "pilot.csv", "--formula", "q01 ~ llm_mean",
                   "--family", "ols", "--family", "logit"], "give one --family per --formula (got 1 formula(s) and 2"),
    (lambda f, t: ["--samples", f / "draws", "--humans", f / "pilot.csv", "--wide", "--id-column", "ResponseId",
                   "--formula", "q01 ~ llm_mean"], "value(s) 99 (9 human answer(s) and 166 LLM draw(s)) lie far outside"),
    (lambda f, t: ["--samples", f / "draws", "--humans", f / "pilot.csv", "--wide", "--id-column", "ResponseId",
                   "--formula", "q01 ~ llm_mean"], "Declare them, e.g. --scale q01=1,2,3,4,5 --missing 99 (--missing: "
                                                   "every item's codes; in a study file: scale = [1, 2, 3, 4, 5] and "
                                                   "missing = [99] under [items.q01]); declare the item 'continuous'"),
    (lambda f, t: ["--alpha", "abc"], "argument --alpha: invalid float value: 'abc'"),
    (lambda f, t: ["run", t / "typo.toml"], "unknown key(s) 'alhpa' in [options]"),
    (lambda f, t: ["run", t / "nope.toml"], "does not exist"),
])
def test_every_user_error_exits_2_with_one_line(files, tmp_path, capsys, change, message):
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "typo.toml").write_text(STUDY.replace("out = ", "alhpa = 0.1\nout = "))
    code, out, err = run(change(files, tmp_path), capsys)
    assert code == 2
    assert err.startswith("synthsurvey: error: ") and err.strip().count("\n") == 0, err
    assert message in err
    assert "ss.Scale" not in err and "scales={" not in err  # Python's spelling is not the command line's
