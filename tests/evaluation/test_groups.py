"""Group-level cells and their calibration: on Smartvote (bundled) and on the distributional-
alignment benchmark (Meister et al. 2024) read from ../shared/data (never copied: no license).

Alignment is opinion alignment 1 - W1/(C-1) on the 0-1 scale (1 - total variation for the
nominal GlobalOpinionQA cells); "0.3 points" in the issue is 0.3 on 0-100, i.e. 0.003 here. The
benchmark evidence uses 10 labeled cells and REPLICATIONS draws of them per setting. 100, not
the issue's 5: a setting's mean gain is an average over draws of which a few pass the gate by
luck and lose up to 8 points (a labeled draw of unrepresentative cells), so with 20 draws one
such draw moves the mean by 0.4 points and the worst of 13 settings swings by +-0.2 points
between seeds; with 100 the worst setting stays within 0.1 point across seeds 0-2. The
OpinionQA curve and its reference take about a minute on one core."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.optimize

import synthsurvey as ss
from synthsurvey.evaluation import metrics
from synthsurvey.evaluation.calibration import BLENDS, MEMBERS, GroupCalibration, _fit_all, _split, calibrate_groups
from synthsurvey.evaluation.groups import alignment_curve, group_cells
from synthsurvey.io import distalign

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "distalign_benchmark"
REPLICATIONS = 100
REPLICATIONS_CONTRAST = 20  # the contrasts of the rule-breaking variants, on two settings
POINTS = 0.003  # 0.3 points of alignment on the 0-100 scale


@pytest.fixture(scope="module")
def smartvote_cells():
    data = ss.datasets.load_smartvote()
    return group_cells(data.samples, data.humans, data.covariates, key="party")


# ---------------------------------------------------------------------------------------------
# cells


def test_cells_are_pmfs(smartvote_cells):
    sums = smartvote_cells.groupby(["item", "group"])[["human_prob", "llm_prob"]].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)
    assert smartvote_cells["group"].nunique() == 8  # the persona-less list has no cells
    one = smartvote_cells[(smartvote_cells["item"] == "q32214") & (smartvote_cells["group"] == "SP")]
    data = ss.datasets.load_smartvote()
    answers = data.humans.merge(data.covariates, on="id").query("item == 'q32214' and party == 'SP'")["response"]
    levels = np.sort(data.humans.query("item == 'q32214'")["response"].unique())
    expected = answers.value_counts(normalize=True).reindex(levels, fill_value=0)
    np.testing.assert_allclose(one["human_prob"], expected.to_numpy())


def test_a_one_level_cell_is_refused_naming_it(smartvote_cells):
    # alignment is 0/0 on one level: such a cell must not turn into a NaN that means skip silently
    one = pd.DataFrame([{"item": "q1", "group": "g1", "level": 1, "human_prob": 1.0, "llm_prob": 1.0}])
    with pytest.raises(ss.SynthsurveyError, match=r"item='q1', group='g1'.* 1 level"):
        calibrate_groups(pd.concat([smartvote_cells, one]), [("q1", "g1")])
    with pytest.raises(ss.SynthsurveyError, match="at least 2 levels"):
        metrics.opinion_alignment([1.0], [1.0])


def test_cells_of_several_settings_are_refused_naming_the_columns(smartvote_cells):
    two = pd.concat([smartvote_cells.assign(model="a"), smartvote_cells.assign(model="b")])
    with pytest.raises(ss.SynthsurveyError, match=r"repeat \(item, group, level\).*'model'.*by="):
        calibrate_groups(two, [("q32214", "SP")])
    curve = alignment_curve(two, sizes=(3,), replications=1, by="model")
    assert curve.settings["model"].tolist() == ["a", "b"]
    off = smartvote_cells.copy()
    off.loc[off.index[0], "llm_prob"] += 0.1
    with pytest.raises(ss.SynthsurveyError, match="not a pair of pmfs"):
        calibrate_groups(off, [("q32214", "SP")])


# ---------------------------------------------------------------------------------------------
# the family, its fits and the selection


def test_members_transform_as_documented():
    p = np.array([0.25, 0.75])
    np.testing.assert_allclose(GroupCalibration("temperature", {"tau": 2.0}).transform(p), np.array([1, 9]) / 10)
    # blend s: (1 - s) p + s q
    np.testing.assert_allclose(GroupCalibration("temperature", {"tau": 2.0, "blend": 0.5}).transform(p),
                               0.5 * p + 0.5 * np.array([1, 9]) / 10)
    np.testing.assert_allclose(GroupCalibration("temperature_uniform", {"tau": 1.0, "weight": 0.4}).transform(p),
                               0.6 * p + 0.4 * 0.5)
    # the mean human pmf of cells with as many levels is their arithmetic mean; on other level
    # counts it is the mean cumulative pmf on relative positions, rediscretised
    reference = ((0.2, 0.3, 0.5), (0.6, 0.4, 0.0))
    target = GroupCalibration("temperature_human", {"tau": 1.0, "weight": 1.0}, reference=reference)
    np.testing.assert_allclose(target.transform([0.1, 0.2, 0.7]), [0.4, 0.35, 0.25])
    np.testing.assert_allclose(target.transform([0.5, 0.5]), [0.4 + 0.35 / 2, 0.35 / 2 + 0.25])
    np.testing.assert_allclose(target.transform([0.1] * 6), [0.2, 0.2, 0.175, 0.175, 0.125, 0.125])
    # offsets: log q = tau log p + b1 (2u - 1) + b2 (6u^2 - 6u + 1) + const on positions u = 0, 1/2, 1
    p3, b1, b2 = np.array([0.2, 0.3, 0.5]), 0.7, -0.4
    expected = p3 * np.exp(b1 * np.array([-1, 0, 1]) + b2 * np.array([1, -0.5, 1]))
    np.testing.assert_allclose(GroupCalibration("offsets", {"tau": 1.0, "offsets": (b1, b2)}).transform(p3),
                               expected / expected.sum())
    assert GroupCalibration().tau == 1.0 and GroupCalibration().cv_gain == 0.0
    with pytest.raises(ss.SynthsurveyError, match="unknown calibration member"):
        GroupCalibration("platt")


def test_cross_validation_fits_are_refits_without_the_held_out_item(smartvote_cells):
    # source of truth: each fold's fit recomputed from scratch on the cells it keeps
    keys = list(smartvote_cells.groupby(["item", "group"]).groups)
    labeled = [keys[i] for i in (0, 1, 9, 17, 30, 41, 42, 55, 70, 81)]
    pack = _split(smartvote_cells)
    index = {key: i for i, key in enumerate(pack.keys)}
    sub = pack.take([index[k] for k in labeled])
    fold = pd.factorize(pd.Series([k[0] for k in sub.keys], dtype=object))[0]
    assert fold.max() + 1 < len(labeled)  # some items hold two labeled cells
    for member in ("temperature", "temperature_uniform", "temperature_human", "offsets"):
        _, held = _fit_all(member, sub, fold, "opinion_alignment", 0.01)
        for f in range(fold.max() + 1):
            train, test = sub.take(np.flatnonzero(fold != f)), sub.take(np.flatnonzero(fold == f))
            params, _ = _fit_all(member, train, np.zeros(len(train.keys), dtype=int), "opinion_alignment", 0.01)
            reference = tuple(tuple(train.human[i, :k]) for i, k in enumerate(train.n_levels))
            refit = GroupCalibration(member, params, reference=reference if member == "temperature_human" else ())
            np.testing.assert_allclose(held[fold == f], refit._apply(test), atol=1e-12)


def test_the_fitted_calibration_reports_its_choice_and_the_cv_table(smartvote_cells):
    keys = list(smartvote_cells.groupby(["item", "group"]).groups)
    fitted = calibrate_groups(smartvote_cells, keys[::30])
    cv = fitted.cv
    assert set(cv["member"]) == set(MEMBERS)
    assert len(cv) == 1 + (len(MEMBERS) - 1) * len(BLENDS)
    chosen = cv[cv["chosen"]].iloc[0]
    assert (chosen["member"], chosen["blend"]) == (fitted.member, fitted.blend)
    # the gate: the chosen row's lower bound is above 0; the choice: the largest cross-validated
    # gain among the rows that pass the gate
    assert chosen["lower_bound"] > 0
    assert chosen["cv_gain"] == cv.loc[cv["lower_bound"] > 0, "cv_gain"].max()
    assert fitted.cv_gain == chosen["cv_gain"] > 0
    np.testing.assert_allclose(chosen["lower_bound"], chosen["cv_gain"] - 1.7291328 * chosen["cv_gain_se"], rtol=1e-6)
    assert {k: v for k, v in fitted.params.items() if k != "blend"} == chosen["params"]
    # the raw and calibrated alignments it reports are metrics.opinion_alignment's
    scored = fitted.evaluate(smartvote_cells).set_index(["item", "group"])
    calibrated = fitted.calibrated(smartvote_cells)
    for key in keys[1:600:97]:
        cell = calibrated.set_index(["item", "group"]).loc[key].sort_values("level")
        assert scored.loc[key, "alignment_before"] == pytest.approx(
            metrics.opinion_alignment(cell["human_prob"], cell["llm_prob"]), abs=1e-12)
        assert scored.loc[key, "alignment_after"] == pytest.approx(
            metrics.opinion_alignment(cell["human_prob"], cell["llm_calibrated"]), abs=1e-12)
        np.testing.assert_allclose(cell["llm_calibrated"], fitted.transform(cell["llm_prob"].to_numpy()))


def test_identity_when_nothing_can_be_cross_validated(smartvote_cells):
    one = calibrate_groups(smartvote_cells, [("q32214", "SP")])
    assert one.member == "identity" and "too few to cross-validate" in one.note
    same_item = calibrate_groups(smartvote_cells, [("q32214", g) for g in ("SP", "FDP", "SVP", "GLP")])
    assert same_item.member == "identity" and "1 fold" in same_item.note
    forced = calibrate_groups(smartvote_cells, [("q32214", "SP")], members="temperature")
    assert forced.member == "temperature" and "fit on them" in forced.note


def test_calibration_flattens_overconfident_llm_and_helps_on_held_out_cells(smartvote_cells):
    curve = alignment_curve(smartvote_cells, sizes=(20,), replications=6, seed=1)
    row = curve.settings.iloc[0]
    assert row["gain"] > 2 * row["gain_sd"] / np.sqrt(6)
    assert (curve.draws["member"] != "identity").all()
    keys = list(smartvote_cells.groupby(["item", "group"]).groups)[:20]
    fitted = calibrate_groups(smartvote_cells, keys)
    assert fitted.member != "identity" and fitted.tau < 1  # GPT-4's party distributions are too concentrated
    evaluated = fitted.evaluate(smartvote_cells)
    assert len(evaluated) == 600 - 20
    assert (evaluated["alignment_after"] - evaluated["alignment_before"]).mean() > 0


def test_options_are_checked(smartvote_cells):
    keys = [("q32214", "SP")]
    with pytest.raises(ss.SynthsurveyError, match="not in cells"):
        calibrate_groups(smartvote_cells, [("nope", "SP")])
    with pytest.raises(ss.SynthsurveyError, match="at least one"):
        calibrate_groups(smartvote_cells, [])
    with pytest.raises(ss.SynthsurveyError, match="unknown calibration member"):
        calibrate_groups(smartvote_cells, keys, members=("identity", "isotonic"))
    with pytest.raises(ss.SynthsurveyError, match="not for a nominal metric"):
        calibrate_groups(smartvote_cells, keys, members="offsets", metric="tv_similarity")
    with pytest.raises(ss.SynthsurveyError, match="alpha"):
        calibrate_groups(smartvote_cells, keys, alpha=1.5)
    with pytest.raises(ss.SynthsurveyError, match="blends"):
        calibrate_groups(smartvote_cells, keys, blends=(0, 1))
    with pytest.raises(ss.SynthsurveyError, match="folds"):
        calibrate_groups(smartvote_cells, keys, folds="person")


def test_sizes_that_leave_nothing_to_evaluate_are_skipped_with_a_note(smartvote_cells):
    few = smartvote_cells[smartvote_cells["item"].isin(["q32214", "q32215"])].assign(setting="two items")
    both = pd.concat([few, smartvote_cells.assign(setting="all")])
    curve = alignment_curve(both, sizes=(3, 30), replications=2, by="setting")
    assert curve.notes == ("two items: 30 labeled cells leave none to evaluate (there are 16)",)
    assert curve.settings.groupby("n_labeled")["setting"].apply(list).to_dict() == {3: ["all", "two items"],
                                                                                   30: ["all"]}
    summary = curve.summary.set_index("n_labeled")
    assert summary.loc[30, "settings"] == 1 and summary.loc[30, "skipped"] == 1
    # the labeled cells drawn are reported, and every draw's are distinct cells of its setting
    assert all(len(set(labeled)) == n for labeled, n in zip(curve.draws["labeled"], curve.draws["n_labeled"]))


# ---------------------------------------------------------------------------------------------
# evidence on the distributional-alignment benchmark (OpinionQA persona cells, ordinal scale)


def _two_parameter(p, tau, weight):
    q = np.power(np.clip(p, 1e-12, None), tau)
    return (1 - weight) * q / q.sum() + weight / len(p)


def _fit_two_parameter(pairs, metric="opinion_alignment"):
    """The issue's reference: temperature and mixing toward uniform, (tau, weight) maximising the
    mean alignment (``metric``) of the labeled (human, llm) pmf pairs (a continuous optimiser,
    written independently of synthsurvey.evaluation.calibration)."""
    width = max(len(h) for h, _ in pairs)
    human, llm, mask = np.zeros((len(pairs), width)), np.full((len(pairs), width), 1.0), np.zeros((len(pairs), width))
    for i, (h, p) in enumerate(pairs):
        human[i, :len(h)], llm[i, :len(p)], mask[i, :len(h)] = h, np.clip(p, 1e-12, None), 1
    n_levels = mask.sum(1)

    def loss(theta):
        tau, weight = np.exp(np.clip(theta[0], -6, 3)), 1 / (1 + np.exp(-theta[1]))
        q = np.power(llm, tau) * mask
        q = (1 - weight) * q / q.sum(1, keepdims=True) + weight * mask / n_levels[:, None]
        if metric == "tv_similarity":
            return np.mean(0.5 * np.abs(human - q).sum(1))
        gaps = np.abs(np.cumsum(human - q, axis=1))[:, :-1] * mask[:, 1:]
        return np.mean(gaps.sum(1) / (n_levels - 1))

    starts = [np.array([t, w]) for t in np.log([0.05, 0.2, 0.5, 1.0, 2.0]) for w in (-5.0, -1.5, 0.5)]
    start = min(starts, key=loss)
    result = scipy.optimize.minimize(loss, start, method="Nelder-Mead", options={
        "initial_simplex": np.vstack([start, start + 0.5 * np.eye(2)]), "xatol": 1e-4, "fatol": 1e-9})
    return np.exp(np.clip(result.x[0], -6, 3)), 1 / (1 + np.exp(-result.x[1]))


def test_the_benchmark_lies_beside_the_repository():
    assert SHARED.exists(), f"the shared benchmark data must lie beside the repository: {SHARED}"


def _tv_similarity(human, llm):
    return 1 - 0.5 * np.abs(np.asarray(human) - np.asarray(llm)).sum()


def _curve_and_reference(cells, metric):
    """Every model x method setting's 10-labeled-cell curve and the two-parameter reference fit
    on the same labeled cells of every draw (per setting: before, reference_gain)."""
    score = metrics.opinion_alignment if metric == "opinion_alignment" else _tv_similarity
    curve = alignment_curve(cells, sizes=(10,), replications=REPLICATIONS, seed=0, by=distalign.SETTING_COLUMNS,
                            metric=metric)
    pairs = {key: {cell: (rows["human_prob"].to_numpy(), rows["llm_prob"].to_numpy())
                   for cell, rows in setting.sort_values("level").groupby(["item", "group"])}
             for key, setting in cells.groupby(distalign.SETTING_COLUMNS)}
    rows = []
    for draw in curve.draws.itertuples():
        cells_of = pairs[(draw.model, draw.method, draw.steering)]
        tau, weight = _fit_two_parameter([cells_of[cell] for cell in draw.labeled], metric)
        held = [pair for cell, pair in cells_of.items() if cell not in set(draw.labeled)]
        before = np.mean([score(h, p) for h, p in held])
        after = np.mean([score(h, _two_parameter(p, tau, weight)) for h, p in held])
        rows.append({"model": draw.model, "method": draw.method, "before": before, "reference_gain": after - before,
                     "before_in_curve": draw.alignment_before})
    return curve, pd.DataFrame(rows).groupby(["model", "method"]).mean()


@pytest.fixture(scope="module")
def opinionqa():
    """OpinionQA persona cells on the ordinal scale: cells, curve, reference."""
    cells = distalign.load_opinionqa(SHARED, steering="persona")
    return (cells, *_curve_and_reference(cells, "opinion_alignment"))


@pytest.fixture(scope="module")
def globalopinionqa():
    """GlobalOpinionQA persona cells (nominal, 1 - total variation): cells, curve, reference."""
    cells = distalign.load_globalopinionqa(SHARED, steering="persona")
    return (cells, *_curve_and_reference(cells, "tv_similarity"))


def test_every_setting_with_human_data_is_evaluated(opinionqa):
    cells, curve, reference = opinionqa
    settings = curve.settings.set_index(["model", "method"])
    assert len(settings) == 13 and not curve.notes  # 5 models x their methods, persona steering
    assert (settings["replications"] == REPLICATIONS).all()
    # the curve's raw alignment is metrics.opinion_alignment's on the same held-out cells
    np.testing.assert_allclose(reference["before_in_curve"], reference["before"], atol=1e-12)
    # the settings the issue saw worsening start as it said: logprobs far below the others
    assert settings.loc[("gpt-4", "model_logprobs"), "alignment_before"] < 0.8 < settings.loc[
        ("anthropic_opus", "express_distribution"), "alignment_before"]


BENCHMARKS = pytest.mark.parametrize("benchmark", ["opinionqa", "globalopinionqa"])


@BENCHMARKS
def test_no_setting_is_worse_after_calibration_beyond_noise(benchmark, request):
    # the issue: with 10 labeled cells, averaged over replications, no setting more than 0.3 points below
    _, curve, _ = request.getfixturevalue(benchmark)
    settings = curve.settings.set_index(["model", "method"])
    assert settings["gain"].min() >= -POINTS, settings["gain"].sort_values().head(3)
    summary = curve.summary.iloc[0]
    assert summary["worst_gain"] == settings["gain"].min() >= -POINTS


@BENCHMARKS
def test_mean_gain_is_at_least_the_two_parameter_calibrations(benchmark, request):
    _, curve, reference = request.getfixturevalue(benchmark)
    gains = curve.settings.set_index(["model", "method"])["gain"]
    assert reference["reference_gain"].mean() > POINTS  # the reference itself helps on average
    assert gains.mean() >= reference["reference_gain"].mean(), (gains.mean(), reference["reference_gain"].mean())


@BENCHMARKS
def test_cross_setting_spread_shrinks(benchmark, request):
    _, curve, _ = request.getfixturevalue(benchmark)
    summary = curve.summary.iloc[0]
    settings = curve.settings
    assert summary["sd_before"] == pytest.approx(settings["alignment_before"].std())
    assert summary["sd_after"] < summary["sd_before"]


def test_the_never_worse_test_bites_without_identity_or_its_gate():
    # the settings the table shows worsening; a rule without the fallback to identity
    # (always the temperature; or the best of the family, no blending) or without the
    # lower-bound gate (alpha=0.5 uses any positive cross-validated gain) fails the 0.3-point test
    cells = distalign.load_opinionqa(SHARED, models=["anthropic_opus", "llama3-70b"], methods="express_distribution")
    every_time = alignment_curve(cells, sizes=(10,), replications=REPLICATIONS_CONTRAST, by=distalign.SETTING_COLUMNS,
                                 members="temperature", blends=1.0).settings
    assert (every_time["gain"] < -POINTS).all()
    no_identity = alignment_curve(cells, sizes=(10,), replications=REPLICATIONS_CONTRAST, by=distalign.SETTING_COLUMNS,
                                  members=MEMBERS[1:], blends=1.0).settings
    assert (no_identity["gain"] < -POINTS).all()
    no_gate = alignment_curve(cells, sizes=(10,), replications=REPLICATIONS_CONTRAST, by=distalign.SETTING_COLUMNS,
                              members=("identity", "temperature"), blends=1.0, alpha=0.5).settings
    assert (no_gate["gain"] < -POINTS).any()
    chosen = alignment_curve(cells, sizes=(10,), replications=REPLICATIONS_CONTRAST,
                             by=distalign.SETTING_COLUMNS).settings
    assert (chosen["gain"] >= -POINTS).all()


def test_global_opinion_qa_cells_are_nominal_and_every_setting_is_evaluated(globalopinionqa):
    # GlobalOpinionQA has no ordinal mapping: its cells are nominal, compared by 1 - total
    # variation, with the members that do not use an order
    _, curve, reference = globalopinionqa
    assert len(curve.settings) == 13 and not curve.notes
    np.testing.assert_allclose(reference["before_in_curve"], reference["before"], atol=1e-12)
    assert set(curve.draws["member"]) <= {"identity", "temperature", "temperature_uniform"}
