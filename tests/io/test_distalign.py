"""The distributional-alignment benchmark's reader, checked against the benchmark's own files
read here independently (../shared/data/distalign_benchmark, never copied into the repository:
the data has no license). Sources of truth: opinionqa_questions.csv's option_ordinal (an
option's ordinal position, in options_pew_order's order; options past the list have none),
opinionqa_human_group_counts.csv (respondents per option), the source's human_prob
(expected_results) and llm_prob rows, and globalvalues_questions.csv's option lists."""

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from synthsurvey.io import distalign

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "distalign_benchmark"



def test_the_benchmark_lies_beside_the_repository():
    assert SHARED.exists(), f"the shared benchmark data must lie beside the repository: {SHARED}"


@pytest.fixture(scope="module")
def loaded():
    return distalign.load_opinionqa(SHARED, steering=None, dropped=True)


@pytest.fixture(scope="module")
def questions():
    """{qid: {option: position}} with the options past option_ordinal's list (refusals) at NaN."""
    table = pd.read_csv(SHARED / "opinionqa_questions.csv").drop_duplicates("qid").set_index("qid")
    scales = {}
    for qid, row in table.iterrows():
        options, positions = ast.literal_eval(row.options_pew_order), ast.literal_eval(row.option_ordinal)
        scales[qid] = {o: float(positions[i]) if i < len(positions) else np.nan for i, o in enumerate(options)}
    return scales


@pytest.fixture(scope="module")
def raw():
    return pd.read_csv(SHARED / "opinionqa_llm_vs_human_distributions.csv.gz")


@pytest.fixture(scope="module")
def counts():
    return pd.read_csv(SHARED / "opinionqa_human_group_counts.csv")


def one_cell(cells, item, group, model="gpt-4", method="sequence", steering="persona"):
    return cells[(cells["item"] == item) & (cells["group"] == group) & (cells["model"] == model)
                 & (cells["method"] == method) & (cells["steering"] == steering)].sort_values("level")


def test_a_pmf_is_on_its_questions_ordinal_positions_with_refusals_and_midpoints_counted(loaded, questions, raw,
                                                                                          counts):
    cells, _ = loaded
    # RACESURV5g_W43: Helps a lot 1, Helps a little 2, Hurts a little 3, Hurts a lot 4, Neither 2.5,
    # Refused (no position). Its prompt letters follow the alphabet (A = Helps a little), not the order.
    item, group = "RACESURV5g_W43", "Republican"
    positions = questions[item]
    assert positions["Neither helps nor hurts"] == 2.5 and np.isnan(positions["Refused"])
    cell = one_cell(cells, item, group)
    ordered = sorted((p, o) for o, p in positions.items() if p == p and p == int(p))
    assert cell["level"].tolist() == [1, 2, 3, 4]
    assert cell["option"].tolist() == [o for _, o in ordered] == ["Helps a lot", "Helps a little", "Hurts a little",
                                                                  "Hurts a lot"]
    answered = counts[(counts["qid"] == item) & (counts["group"] == group)].set_index("option")["count"]
    on_levels = answered.reindex(cell["option"], fill_value=0).to_numpy()
    np.testing.assert_allclose(cell["human_prob"], on_levels / on_levels.sum())
    assert (cell["n_human"] == on_levels.sum()).all()
    assert (cell["n_human_refused"] == answered.get("Refused", 0)).all()
    midpoint = answered["Neither helps nor hurts"]
    assert (cell["n_human_midpoint"] == midpoint).all() and midpoint > 0
    stated = raw[(raw["qid"] == item) & (raw["group"] == group) & (raw["model"] == "gpt-4")
                 & (raw["method"] == "sequence") & (raw["steering"] == "persona")].set_index("option")
    assert stated.loc["Helps a lot", "letter"] != "A"  # the mapping goes by the option, not its letter
    llm = stated["llm_prob"].reindex(cell["option"], fill_value=0).to_numpy()
    np.testing.assert_allclose(cell["llm_prob"], llm / llm.sum())
    np.testing.assert_allclose(cell["llm_mass"], llm.sum())
    np.testing.assert_allclose(cell["llm_midpoint"], stated.loc["Neither helps nor hurts", "llm_prob"])
    np.testing.assert_allclose(cell["llm_refused"], stated["llm_prob"].get("Refused", 0.0))


def test_not_sure_is_a_refusal_and_no_cell_has_a_non_level(loaded, counts):
    cells, _ = loaded
    levels = distalign.opinionqa_levels(SHARED)
    racesurv = levels[levels["item"] == "RACESURV18b_W43"].set_index("option")["kind"]
    assert racesurv["Not sure"] == racesurv["Refused"] == "refusal"
    for kind in ("refusal", "midpoint", "nominal", "unmapped"):
        options = levels.loc[levels["kind"] == kind, ["item", "option"]]
        assert options.merge(cells[["item", "option"]].drop_duplicates()).empty, kind
    cell = one_cell(cells, "RACESURV18b_W43", "Black")
    answered = counts[(counts["qid"] == "RACESURV18b_W43") & (counts["group"] == "Black")].set_index("option")["count"]
    assert (cell["n_human_refused"] == answered.reindex(["Not sure", "Refused"], fill_value=0).sum()).all()
    # every cell's pmfs sum to 1 and every item's levels are 1..k
    sums = cells.groupby(distalign.SETTING_COLUMNS + ["item", "group"])[["human_prob", "llm_prob"]].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)
    per_item = cells.groupby("item")["level"].agg(["min", "max", "nunique"])
    assert (per_item["min"] == 1).all() and (per_item["max"] == per_item["nunique"]).all()


def test_levels_come_from_the_questions_file_or_an_identical_option_set(questions, counts):
    # the questions file lists only 18 of the benchmark's 100 questions (its qids differ); a
    # question it lacks takes the positions of a file question with exactly its options
    levels = distalign.opinionqa_levels(SHARED)
    mapping = levels.groupby("item")["mapping"].first()
    assert set(mapping[mapping == "question"].index) == set(questions) & set(counts["qid"])
    borrowed = mapping[mapping == "option set"].index
    assert len(borrowed) > 40
    for item in borrowed:
        options = set(counts.loc[counts["qid"] == item, "option"])
        sources = [scale for scale in questions.values() if set(scale) == options]
        rows = levels[levels["item"] == item]
        got = {o: p for o, p in zip(rows["option"], rows["position"]) if not np.isnan(p)}
        assert sources and all(got == {o: p for o, p in scale.items() if not np.isnan(p)} for scale in sources)
    # questions whose positions are not 1..k (all 1: unordered choices) are nominal, left out
    nominal = set(levels.loc[levels["kind"] == "nominal", "item"])
    assert {"MADEUPSHAREWHY_W45", "WRKTRN1F2_W41"} <= nominal
    assert levels.groupby("item")["kind"].apply(lambda k: "level" in set(k)).sum() == 60
    without = distalign.opinionqa_levels(SHARED, borrow=False)
    assert (without.groupby("item")["kind"].first() == "unmapped").sum() > (mapping.isna()).sum()


def test_human_pmfs_match_the_sources_expected_results(loaded, raw):
    cells, _ = loaded
    persona = raw[raw["steering"] == "persona"].dropna(subset=["option"]).rename(columns={"qid": "item"})
    merged = cells[cells["steering"] == "persona"].merge(
        persona[["model", "method", "item", "group", "option", "human_prob"]],
        on=["model", "method", "item", "group", "option"], how="left", suffixes=("", "_source"))
    merged["human_prob_source"] = merged["human_prob_source"].fillna(0.0)  # options a group's prompt lacked
    rescaled = merged["human_prob_source"] / merged.groupby(
        distalign.SETTING_COLUMNS + ["item", "group"])["human_prob_source"].transform("sum")
    np.testing.assert_allclose(merged["human_prob"], rescaled, atol=1e-5)


def test_settings_steering_none_and_dropped_cells(loaded, raw):
    cells, dropped = loaded
    settings = cells.groupby(distalign.SETTING_COLUMNS).size()
    assert len(settings) == len(raw.groupby(distalign.SETTING_COLUMNS))
    # llama was not asked about Asian and Hispanic people
    llama = cells[(cells["model"] == "llama3-70b") & (cells["steering"] == "persona")]
    assert set(llama["group"]) == {"Democrat", "Republican", "Black", "White", "Female", "Male"}
    # steering none: one LLM pmf per question, paired with each of the 8 groups' human pmfs
    none = cells[(cells["steering"] == "none") & (cells["model"] == "gpt-4") & (cells["method"] == "sequence")]
    assert none["group"].nunique() == 8
    spread = none.groupby(["item", "level"])["llm_prob"].agg(["min", "max"])
    np.testing.assert_allclose(spread["min"], spread["max"])
    assert none.groupby(["item", "level"])["human_prob"].nunique().max() > 1
    # whole cells left out are listed with a reason and are not in the cells
    summary = distalign.dropped_summary(dropped)
    reasons = set(summary["reason"])
    assert {"no scale for the question in the questions file", "the LLM put no probability on any level",
            "nominal question (its ordinal positions are not 1..k)"} <= reasons
    empty = dropped[dropped["reason"] == "the LLM put no probability on any level"].iloc[0]
    assert one_cell(cells, empty["item"], empty["group"], empty["model"], empty["method"], empty["steering"]).empty
    source = raw[(raw["qid"] == empty["item"]) & (raw["group"] == empty["group"]) & (raw["model"] == empty["model"])
                 & (raw["method"] == empty["method"]) & (raw["steering"] == empty["steering"])]
    levels = distalign.opinionqa_levels(SHARED)
    on_levels = source.merge(levels[levels["kind"] == "level"], left_on=["qid", "option"], right_on=["item", "option"])
    assert on_levels["llm_prob"].sum() == 0


def test_midpoints_can_be_levels():
    cells = distalign.load_opinionqa(SHARED, models="gpt-4", methods="sequence", midpoints="level")
    cell = one_cell(cells, "RACESURV5g_W43", "Republican")
    assert cell["option"].tolist() == ["Helps a lot", "Helps a little", "Neither helps nor hurts", "Hurts a little",
                                       "Hurts a lot"]
    assert (cell["n_human_midpoint"] == 0).all()


def test_global_opinion_qa_is_nominal_with_non_answers_counted():
    cells, dropped = distalign.load_globalopinionqa(SHARED, dropped=True)
    options = pd.read_csv(SHARED / "globalvalues_questions.csv").set_index("qid")["options"].str.split("|")
    raw = pd.read_csv(SHARED / "globalvalues_llm_vs_human_distributions.csv.gz")
    # GV001 lists Good, Bad, Good thing, Bad thing, DK/Refused: levels index that list, the last is a non-answer
    cell = one_cell(cells, "GV001", "United States", model="gpt-4", method="express_distribution")
    assert cell["option"].tolist() == options["GV001"][:4] and cell["level"].tolist() == [1, 2, 3, 4]
    source = raw[(raw["qid"] == "GV001") & (raw["country"] == "United States") & (raw["model"] == "gpt-4")
                 & (raw["method"] == "express_distribution") & (raw["steering"] == "persona")].sort_values("letter")
    human = source["human_prob"].to_numpy()
    np.testing.assert_allclose(cell["human_prob"], human[:4] / human[:4].sum())
    np.testing.assert_allclose(cell["human_non_answer"], human[4])
    assert human[4] > 0
    # the cells of gpt-3.5 sequence filed twice under one country are ambiguous and left out
    twice = dropped[dropped["reason"] == "the source files the cell twice"]
    assert set(twice["model"]) == {"gpt-3.5-turbo-0125"} and set(twice["method"]) == {"sequence"}
    sums = cells.groupby(distalign.SETTING_COLUMNS + ["item", "group"])[["human_prob", "llm_prob"]].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)
    assert not cells["option"].str.match(distalign.NON_ANSWER).any()


def test_reader_errors_name_the_problem(tmp_path):
    with pytest.raises(ss.SynthsurveyError, match="opinionqa_questions.csv"):
        distalign.load_opinionqa(tmp_path)
    with pytest.raises(ss.SynthsurveyError, match="model 'gpt-5' not in the benchmark"):
        distalign.load_opinionqa(SHARED, models=["gpt-5"])
    with pytest.raises(ss.SynthsurveyError, match="midpoints"):
        distalign.opinionqa_levels(SHARED, midpoints="keep")
