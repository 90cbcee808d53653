"""ss.design_pilot: the plan's arithmetic (closed forms: allocations summing to n, group minima,
probabilities n_h / N_h, the worst-case width guard), the design ss.debias takes back (its
classical mean is the stratified mean sum_h N_h ybar_h / N), persona keys, errors. Coverage and
widths of planned pilots: tests/statistical/test_design_coverage.py and benchmarks/inference.py."""

import numpy as np
import pytest

import synthsurvey as ss


@pytest.fixture(scope="module")
def bundled():
    return ss.datasets.load_simulated()


def test_plan_on_the_bundled_study(bundled):
    plan = ss.design_pilot(bundled.samples, bundled.covariates, 200, "belief", by="educ", seed=3)
    table = plan.table()
    assert table["estimate"].sum() == 200 == len(plan.recruit) == plan.recruit["id"].nunique()
    assert (table.groupby("educ")["estimate"].sum() >= 10).all()
    np.testing.assert_allclose(table["probability"], table["estimate"] / table["N"])
    counts = plan.recruit["stratum"].value_counts()
    assert (counts.loc[table["term"]].to_numpy() == table["estimate"].to_numpy()).all()
    assert plan.worst_width_ratio <= 1.02 and plan.design == ss.Design(strata="pilot_stratum")
    assert not plan.draw(4)["id"].equals(plan.recruit["id"]) and plan.draw(3)["id"].equals(plan.recruit["id"])
    assert "Pilot design" in str(plan.summary()) and "PilotDesign" in repr(plan)


def test_debias_takes_the_plan_back(bundled):
    plan = ss.design_pilot(bundled.samples, bundled.covariates, 150, "belief", by="rural", seed=1)
    humans = bundled.humans[bundled.humans["id"].isin(plan.recruit["id"])]
    fit = ss.debias("belief ~ llm_mean + llm_sd", bundled.samples, humans, plan.covariates, design=plan.design)
    frame = fit.frame
    pilot = frame.loc[fit.is_pilot]
    expected = sum((frame["pilot_stratum"] == h).sum() * pilot.loc[pilot["pilot_stratum"] == h, "response"].mean()
                   for h in frame["pilot_stratum"].unique()) / len(frame)
    assert ss.population_mean(fit, method="classical").estimate == pytest.approx(expected, rel=1e-12)
    assert ss.population_mean(fit).table()["design"][0] == "subsample: strata=pilot_stratum"


def test_small_groups_get_their_minimum_and_the_guard_holds(bundled):
    covariates = bundled.covariates.assign(region=np.where(bundled.covariates["id"] <= 15, "islands", "mainland"))
    plan = ss.design_pilot(bundled.samples, covariates, 100, "belief", by="region", min_per_group=10)
    by_region = plan.table().groupby("region")["estimate"].sum()
    assert by_region["islands"] >= 10  # 15 people of 2,000: proportional allocation would give 1
    assert any("minimum of 10 answers per group" in note for note in plan.notes)
    # spreads 100 times apart: Neyman would give the low-spread stratum 1% of the pilot; the guard
    # keeps at least 1/1.02^2 of its proportional share, so the plan is never 2% wider than
    # proportional allocation whatever the true spreads
    extreme = covariates.assign(prior=np.where(covariates["id"] % 2 == 0, 0.05, 5.0))
    guarded = ss.design_pilot(bundled.samples, extreme, 200, "belief", spread="prior", spread_bands=2)
    assert guarded.worst_width_ratio <= 1.02 + 1e-9
    table = guarded.table().set_index("spread_band")["estimate"]
    assert table[1] < 100 < table[2] and table[1] >= np.floor(100 / 1.02 ** 2)
    looser = ss.design_pilot(bundled.samples, extreme, 200, "belief", spread="prior", spread_bands=2,
                             max_widening=0.5)
    assert looser.table().set_index("spread_band")["estimate"][1] < table[1]


def test_persona_keys_make_the_persona_the_stratum():
    smartvote = ss.datasets.load_smartvote()
    plan = ss.design_pilot(smartvote.samples, smartvote.covariates, 120, "q32214", by="party", key="party")
    table = plan.table()
    assert set(table["party"]) == set(smartvote.samples["party"])  # every party with draws, once
    assert (table["estimate"] >= 10).all() and table["term"].str.contains("spread").sum() == 0
    assert any("without draws" in note for note in plan.notes)  # the candidates of "Übrige"


def test_errors_name_the_culprit(bundled):
    with pytest.raises(ss.SynthsurveyError, match="more than the 2000 people"):
        ss.design_pilot(bundled.samples, bundled.covariates, 5000, "belief")
    with pytest.raises(ss.SynthsurveyError, match="by='region'"):
        ss.design_pilot(bundled.samples, bundled.covariates, 100, "belief", by="region")
    with pytest.raises(ss.SynthsurveyError, match="no draws for item 'trust'"):
        ss.design_pilot(bundled.samples, bundled.covariates, 100, "trust")
    with pytest.raises(ss.SynthsurveyError, match="cannot give every group"):
        ss.design_pilot(bundled.samples, bundled.covariates, 20, "belief", by="educ", min_per_group=10)
