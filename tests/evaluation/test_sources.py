"""compare_sources: every variant's rows, the numbers they repeat (sources of truth: the same
estimate computed directly with population_mean/population_ols on the variant's fit; the draws
subsampling counted by hand; the cost view from inference.budget) and the HTML section."""

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from synthsurvey.evaluation.draws import first_draws
from synthsurvey.evaluation.sources_report import sources_section
from synthsurvey.evaluation.sources import rebuild
from synthsurvey.inference.budget import cheapest_design, required_effective_n

COVARIATES = ["age", "female", "C(educ)", "ideology", "rural"]
ANALYST = "belief ~ age + female + ideology"


@pytest.fixture(scope="module")
def comparison(sources_study):
    study = sources_study
    options = dict(source="base", tuned_on=study.tuned_on)
    belief = ss.debias(ss.default_formula("belief", [1, 2, 3, 4, 5], COVARIATES), study.samples, study.pilot,
                       study.covariates, **options)
    action = ss.debias("action ~ llm_mean + female", study.samples, study.pilot, study.covariates, family="logit",
                       **options)
    return belief, ss.compare_sources([belief, action], formula=ANALYST, by="educ", coherence=("belief", "action"),
                                      draws=(1, None), half_width=0.15, cost_human=5.0, cost_draw=0.01)


def test_every_variant_and_axis_is_there(comparison):
    _, result = comparison
    wide = result.wide
    assert list(dict.fromkeys(wide["variant"])) == ["base", "finetuned", "persona", "combined", "combined untuned"]
    assert wide.loc[wide["variant"] == "combined untuned", "sources"].iloc[0] == "base + persona"
    pilot = wide.set_index(["variant", "item"])["n_pilot"]
    assert pilot[("base", "belief")] == 150 and pilot[("finetuned", "belief")] == 75 and pilot[("combined", "belief")] == 75
    # the population mean of a variant reading the tuned source still uses every pilot answer (stacked)
    used = wide.set_index(["variant", "item"])["n_labeled_mean"]
    assert used[("finetuned", "belief")] == 150 and used[("combined", "belief")] == 150
    belief = wide[wide["item"] == "belief"]
    for column in ("half_width", "n_effective_mean", "w1_base", "w1_debiased", "rmse_base", "rmse_debiased",
                   "attenuation_raw", "attenuation_debiased", "n_effective_coef", "subgroup_worst_w1_debiased",
                   "coherence_slope_diff_raw", "coherence_slope_diff_debiased"):
        assert belief[column].notna().all(), column
    long = result.table()
    assert {"variant", "item", "term", "estimate"} <= set(long.columns)
    assert len(long) == wide.drop(columns=["variant", "sources", "item"]).size
    assert set(result.coefficients["variant"]) == set(wide["variant"])


def test_the_rows_repeat_the_estimates_of_each_variants_fit(sources_study, comparison):
    belief, result = comparison
    persona = rebuild(belief, source="persona")
    mean = ss.population_mean(persona).table().iloc[0]
    row = result.wide.set_index(["variant", "item"]).loc[("persona", "belief")]
    assert row["n_effective_mean"] == pytest.approx(mean["n_effective"], rel=1e-12)
    assert row["half_width"] == pytest.approx(mean["ci_high"] - mean["estimate"], rel=1e-12)
    coefficients = ss.population_ols(persona, ANALYST).table()
    mine = result.coefficients[result.coefficients["variant"] == "persona"]
    np.testing.assert_allclose(mine["n_effective"].to_numpy(), coefficients["n_effective"].to_numpy(), rtol=1e-12)
    combined = rebuild(belief, "belief ~ llm_auto[base] + llm_auto[finetuned] + llm_auto[persona] + age + female + "
                               "C(educ) + ideology + rural")
    assert result.wide.set_index(["variant", "item"]).loc[("combined", "belief"), "n_effective_mean"] == \
        pytest.approx(ss.population_mean(combined).n_effective, rel=1e-12)


def test_draws_curve_and_cost_view(comparison):
    _, result = comparison
    combined = result.draws[result.draws["variant"] == "combined"]
    assert combined["draws_per_person"].tolist() == [3.0, 45.0]  # 1 draw of each source; all: 20 + 20 + 5
    everything = result.draws[result.draws["draws"].isna()].set_index("variant")
    same = result.wide[result.wide["item"] == "belief"].set_index("variant")
    np.testing.assert_allclose(everything["n_effective_mean"], same.loc[everything.index, "n_effective_mean"], rtol=1e-12)
    cost = result.cost
    point = result.draws.iloc[0]
    expected = cheapest_design(point["rho"], 5.0, point["draws_per_person"] * 0.01,
                               required_effective_n(0.15, point["sd"]), 0.0, 600)
    row = cost[(cost["variant"] == point["variant"]) & (cost["draws"] == point["draws"])].iloc[0]
    assert (row["n"], row["n_unlabeled"], row["cost"]) == (expected["n"], expected["n_unlabeled"], expected["cost"])
    assert cost.groupby("variant")["best"].any().all()
    alone = cost[cost["draws"] == 0]
    assert (alone["cost"] >= cost.groupby("variant")["cost"].min().loc[alone["variant"]].to_numpy()).all()


def test_first_draws_are_nested_and_counted():
    samples = pd.DataFrame({"id": np.repeat([1, 2], 6), "item": "q", "source": np.tile(["a", "a", "a", "b", "b", "b"], 2),
                            "draw": np.tile([0, 1, 2, 0, 1, 2], 2), "response": np.arange(12.0)})
    two = first_draws(samples, "id", 2, seed=4)
    assert two.groupby(["id", "source"]).size().tolist() == [2, 2, 2, 2]
    one = first_draws(samples, "id", 1, seed=4)
    assert set(one["response"]) <= set(two["response"])


def test_report_section_and_errors(tmp_path, comparison, sources_study):
    belief, result = comparison
    section = sources_section(result)
    assert section.count("<img") == 3 and "combined untuned" in section and "Cost view" in section
    path = ss.report(result, tmp_path / "sources.html")
    assert "LLM sources compared" in path.read_text()
    assert "SourceComparison" in repr(result)
    single = ss.debias("belief ~ llm_mean", sources_study.samples[sources_study.samples["source"] == "base"],
                       sources_study.pilot, sources_study.covariates)
    with pytest.raises(ss.SynthsurveyError, match="at least two sources"):
        ss.compare_sources(single)
    named = rebuild(belief, "belief ~ llm_mean[persona] + age")
    with pytest.raises(ss.SynthsurveyError, match="names a source"):
        ss.compare_sources(named)
