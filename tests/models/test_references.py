"""Bracket references in formulas: other sources, other items, quoted labels, unknown names, and
the tuned-on declaration. Sources of truth: the feature table (a referenced column holds exactly
that source's/item's feature) and the one-source fit (a fit on one source by source= equals the
fit on that source's rows alone)."""

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from synthsurvey.models import formula as formulas
from synthsurvey.models import references as refs

COVARIATES = "age + female + C(educ) + ideology + rural"


@pytest.fixture(scope="module")
def feats(sources_study):
    return ss.features(sources_study.samples)


def fit(study, formula, feats, **options):
    return ss.debias(formula, None, study.pilot, study.covariates, features=feats, **options)


def test_rewrite_gives_canonical_readable_columns():
    rhs, found = refs.rewrite('llm_mean["gpt4o"] + llm_sd[ q2 ,"gpt-4o"]:age + I(llm_p1[2] ** 2)')
    assert [r.column for r in found] == ['llm_mean[gpt4o]', 'llm_sd[q2, "gpt-4o"]', "llm_p1[2]"]
    assert [r.labels for r in found] == [("gpt4o",), ("q2", "gpt-4o"), ("2",)]
    assert rhs == "Q('llm_mean[gpt4o]') + Q('llm_sd[q2, \"gpt-4o\"]'):age + I(Q('llm_p1[2]') ** 2)"
    assert refs.readable("Q('llm_sd[q2, \"gpt-4o\"]'):age") == 'llm_sd[q2, "gpt-4o"]:age'
    assert refs.readable('Q("a b")') == 'Q("a b")'  # other quoted columns stay quoted
    for bad in ("llm_mean[a b]", "llm_mean[]", "llm_mean[a, b, c]", "llm_mean[a + 1]"):
        with pytest.raises(ss.SynthsurveyError, match="cannot read the reference"):
            formulas.parse(f"y ~ {bad}")
    with pytest.raises(ss.SynthsurveyError, match="must be a term of its own"):
        formulas.parse("y ~ llm_auto:age")


def test_source_and_cross_item_columns_hold_the_referenced_features(sources_study, feats):
    result = fit(sources_study, 'belief ~ llm_mean[persona] + llm_sd["finetuned"] + llm_mean[action] + '
                 "llm_mean[action, persona]:female", feats, source="base")
    assert list(result.params.index) == ["Intercept", "llm_mean[persona]", "llm_sd[finetuned]", "llm_mean[action]",
                                         "llm_mean[action, persona]:female"]
    frame = result.frame.set_index("id")
    table = feats.set_index(["item", "source", "id"])
    for column, (feature, item, source) in {"llm_mean[persona]": ("llm_mean", "belief", "persona"),
                                            "llm_sd[finetuned]": ("llm_sd", "belief", "finetuned"),
                                            "llm_mean[action]": ("llm_mean", "action", "base"),
                                            "llm_mean[action, persona]": ("llm_mean", "action", "persona")}.items():
        expected = table.loc[(item, source)].loc[frame.index, feature].to_numpy()
        np.testing.assert_array_equal(frame[column].to_numpy(), expected)
    # plain names read the default source: the base predictor is base's draw mean
    base = table.loc[("belief", "base")].loc[frame.index, "llm_mean"].to_numpy()
    np.testing.assert_array_equal(result.predict(predictor="base")["prediction"].to_numpy(), base)


def test_source_fit_equals_the_one_source_fit_of_its_rows(sources_study):
    samples = sources_study.samples
    formula = f"belief ~ llm_mean + llm_sd + {COVARIATES}"
    chosen = ss.debias(formula, samples, sources_study.pilot, sources_study.covariates, source="persona")
    alone = ss.debias(formula, samples[samples["source"] == "persona"].drop(columns="source"),
                      sources_study.pilot, sources_study.covariates)
    pd.testing.assert_series_equal(chosen.params, alone.params, rtol=1e-10)
    np.testing.assert_allclose(ss.population_mean(chosen).estimate, ss.population_mean(alone).estimate, rtol=1e-10)
    bracketed = ss.debias(f"belief ~ llm_mean[persona] + llm_sd[persona] + {COVARIATES}", samples,
                          sources_study.pilot, sources_study.covariates)
    np.testing.assert_allclose(bracketed.params.to_numpy(), alone.params.to_numpy(), rtol=1e-10)


def test_unknown_and_ambiguous_names_are_errors_listing_the_known_ones(sources_study, feats):
    with pytest.raises(ss.SynthsurveyError, match=r"llm_mean\[gpt4o\] names unknown item or source 'gpt4o'; "
                                                  r"items: .*'belief'.*sources: 'base', 'finetuned', 'persona'"):
        fit(sources_study, "belief ~ llm_mean[gpt4o]", feats)
    with pytest.raises(ss.SynthsurveyError, match="unknown source 'gpt4o'"):
        fit(sources_study, "belief ~ llm_mean[action, gpt4o]", feats)
    with pytest.raises(ss.SynthsurveyError, match="unknown item 'q9'"):
        fit(sources_study, "belief ~ llm_mean[q9, base]", feats)
    with pytest.raises(ss.SynthsurveyError, match="the samples hold sources 'base', 'finetuned', 'persona'; name one"):
        fit(sources_study, "belief ~ llm_mean", feats)
    with pytest.raises(ss.SynthsurveyError, match=r"llm_mean\[action\]: the samples hold sources"):
        fit(sources_study, "belief ~ llm_mean[base] + llm_mean[action]", feats)
    with pytest.raises(ss.SynthsurveyError, match="source='gpt4o' is not a source"):
        fit(sources_study, "belief ~ llm_mean", feats, source="gpt4o")
    with pytest.raises(ss.SynthsurveyError, match=r"item 'action' \(source 'base'\) has no feature 'llm_p5'"):
        fit(sources_study, "belief ~ llm_mean + llm_p5[action]", feats, source="base")
    both = feats.assign(source=feats["source"].replace({"persona": "action"}))
    with pytest.raises(ss.SynthsurveyError, match="'action' is both an item and a source"):
        fit(sources_study, "belief ~ llm_mean[action]", both, source="base")


def test_people_without_a_referenced_items_draws_are_counted(sources_study, feats):
    dropped = feats[~((feats["item"] == "action") & (feats["source"] == "base") & (feats["id"] <= 40))]
    result = fit(sources_study, "belief ~ llm_mean + llm_mean[action]", dropped, source="base")
    reasons = result.exclusions.set_index("reason")
    assert reasons.loc["missing value in column 'llm_mean[action]'", "n_rows"] == 40
    assert result.n_population == 600 - 40


def test_tuned_on_masks_the_tuned_pilot_answers_and_says_how_many_remain(sources_study, feats):
    tuned = sources_study.tuned_on
    formula = f"belief ~ llm_mean + {COVARIATES}"
    honest = fit(sources_study, formula, feats, source="finetuned", tuned_on=tuned)
    ignored = fit(sources_study, formula, feats, source="finetuned")
    assert ignored.nobs == 150 and honest.nobs == 150 - 75
    masked = honest.frame.loc[honest.frame["id"].isin(tuned["finetuned"])]
    assert len(masked) == 75 and not masked["is_pilot"].any() and masked["response"].isna().all()
    assert any("75 pilot answer(s) come from people 'finetuned' was tuned on" in note
               and "75 untouched pilot answer(s) remain" in note for note in honest.notes)
    other = fit(sources_study, formula, feats, source="base", tuned_on=tuned)
    assert other.nobs == 150 and any("does not read it" in note for note in other.notes)
    combined = fit(sources_study, f"belief ~ llm_mean[base] + llm_mean[finetuned] + {COVARIATES}", feats,
                   tuned_on=tuned)
    assert combined.nobs == 75
    with pytest.raises(ss.SynthsurveyError, match="say which one was tuned"):
        fit(sources_study, formula, feats, source="base", tuned_on=tuned["finetuned"])
    with pytest.raises(ss.SynthsurveyError, match="tuned_on names source 'gpt'"):
        fit(sources_study, formula, feats, source="base", tuned_on={"gpt": [1]})


def test_people_without_draws_from_the_primary_source_are_counted(sources_study, feats):
    dropped = feats[~((feats["item"] == "belief") & (feats["source"] == "base") & (feats["id"] <= 30))]
    result = fit(sources_study, "belief ~ llm_mean + llm_mean[persona]", dropped, source="base")
    row = result.exclusions[result.exclusions["reason"].str.contains("none from 'base'")]
    assert row["n_rows"].tolist() == [30]
    assert row["n_pilot"].tolist() == [int(sources_study.pilot.query("item == 'belief' and id <= 30").shape[0])]
