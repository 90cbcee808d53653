"""Stacked estimates over a tuned source (``inference.tuned``). Sources of truth: PPI++ itself
(with nothing tuned and one source the stacked mean is the PPI++ mean with an unclipped lam), a
finite population whose every answer is known (Monte-Carlo over random pilots and random tuned
halves: the estimates centre on the truth, their SD matches the reported SE, the intervals cover),
and the fit-level facts (every pilot answer is used; designs the estimator does not cover say so)."""

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from synthsurvey.inference import ppi, tuned

from ..statistical.worlds import tolerance

COVARIATES = "age + female + C(educ) + ideology + rural"


def population(seed=3, n=2000):
    """A finite population: x (an intercept and two covariates), answers y, an honest but weak
    prediction f_u and a strong one f_c (whose values of the tuned people are their answers)."""
    rng = np.random.default_rng(seed)
    x = np.column_stack([np.ones(n), rng.normal(size=n), rng.binomial(1, 0.4, n)])
    signal = x @ [3.0, 0.6, -0.5]
    y = signal + rng.normal(scale=1.0, size=n)
    f_u = 0.5 * signal + rng.normal(scale=0.6, size=n)
    f_c = y + rng.normal(scale=0.35, size=n)
    return x, y, f_u, f_c


def replicate(kernel, replications, seed, n_pilot=250):
    x, y, f_u, f_c = population()
    n = len(y)
    rng = np.random.default_rng(seed)
    estimates, errors, lams = [], [], []
    for _ in range(replications):
        pilot = np.zeros(n, bool)
        pilot[rng.choice(n, n_pilot, replace=False)] = True
        tuned_rows = np.zeros(n, bool)
        tuned_rows[rng.choice(np.flatnonzero(pilot), n_pilot // 2, replace=False)] = True
        own = np.where(tuned_rows, y, f_c)  # the tuned source repeats its people's answers
        result, lam = kernel(x, y[pilot], f_u, own, pilot, pilot & ~tuned_rows)
        estimates.append(result.estimate)
        errors.append(result.std_error)
        lams.append(lam)
    return np.array(estimates), np.array(errors), np.array(lams), (x, y)


def check_monte_carlo(estimates, errors, truth, replications):
    sd = estimates.std(axis=0, ddof=1)
    np.testing.assert_allclose(estimates.mean(axis=0), truth, atol=4 * sd.max() / np.sqrt(replications))
    ratio = errors.mean(axis=0) / sd
    assert np.all((0.9 < ratio) & (ratio < 1.1)), ratio  # Monte-Carlo SE of an SD ratio ~ 1/sqrt(2 R) = 0.02
    covered = np.abs(estimates - truth) <= 1.96 * errors
    assert np.all(np.abs(covered.mean(axis=0) - 0.95) <= tolerance(replications)), covered.mean(axis=0)


def test_with_nothing_tuned_the_stacked_mean_is_the_ppi_mean():
    x, y, f_u, _ = population()
    pilot = np.zeros(len(y), bool)
    pilot[np.random.default_rng(0).choice(len(y), 200, replace=False)] = True
    stacked, lam = tuned.mean(y[pilot], f_u, f_u, pilot, pilot)  # one source read twice: lam is shared
    reference = ppi.mean(y[pilot], f_u[pilot], f_u, lam=lam[0] + lam[1])
    np.testing.assert_allclose(stacked.estimate, reference.estimate, rtol=0, atol=1e-12)
    np.testing.assert_allclose(stacked.std_error, reference.std_error, rtol=1e-10)
    np.testing.assert_allclose(stacked.classical_std_error, reference.classical_std_error, rtol=1e-10)
    tuned_lam = ppi.mean(y[pilot], f_u[pilot], f_u).lam
    assert lam[0] + lam[1] == pytest.approx(tuned_lam, abs=1e-10)  # inside [0, 1] here: the same optimum


def test_the_stacked_mean_is_unbiased_and_its_se_matches_its_spread():
    replications = 1500

    def kernel(x, y, f_u, f_c, pilot, untouched):
        return tuned.mean(y, f_u, f_c, pilot, untouched)

    estimates, errors, lams, (_, y) = replicate(kernel, replications, seed=1)
    assert np.median(lams[:, 1]) > 0.3  # the tuned source carries much of the estimate: its second phase matters
    check_monte_carlo(estimates, errors, y.mean(), replications)


def test_stacked_ols_coefficients_are_unbiased_and_their_se_match_their_spread():
    replications = 1000
    estimates, errors, lams, (x, y) = replicate(tuned.ols, replications, seed=2)
    assert np.median(lams[:, 1]) > 0.3
    truth = np.linalg.lstsq(x, y, rcond=None)[0]
    check_monte_carlo(estimates, errors, truth, replications)


def test_too_few_untouched_answers_are_refused():
    x, y, f_u, f_c = population()
    pilot = np.zeros(len(y), bool)
    pilot[:20] = True
    untouched = pilot.copy()
    untouched[1:20] = False
    with pytest.raises(ss.SynthsurveyError, match="1 untouched pilot answer"):
        tuned.mean(y[pilot], f_u, f_c, pilot, untouched)


# on fits --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def feats(sources_study):
    return ss.features(sources_study.samples)


def fit(study, formula, feats, **options):
    return ss.debias(formula, None, study.pilot, study.covariates, features=feats, tuned_on=study.tuned_on,
                     **options)


def test_a_fit_reading_a_tuned_source_uses_every_pilot_answer(sources_study, feats):
    combined = fit(sources_study, f"belief ~ llm_mean[base] + llm_mean[finetuned] + {COVARIATES}", feats)
    assert combined.nobs == 75
    companion = combined.untuned_companion()
    assert companion.formula == f"belief ~ llm_mean[base] + {COVARIATES}" and companion.nobs == 150
    restored = companion.frame.set_index("id").loc[list(sources_study.tuned_on["finetuned"]), "response"]
    answers = sources_study.pilot.query("item == 'belief'").set_index("id")["response"]
    np.testing.assert_array_equal(restored.to_numpy(), answers.loc[restored.index].to_numpy())
    mean = ss.population_mean(combined)
    assert mean.n_labeled == 150 and any(note.startswith(tuned.STACKED) for note in mean.notes)
    coefficients = ss.population_ols(combined, f"belief ~ {COVARIATES}").table()
    assert (coefficients["n_labeled"] == 150).all()
    # the same fit under a stratified design keeps the untouched half and says why
    stratified = combined.with_design(ss.Design(strata="female"))
    kept = ss.population_mean(stratified)
    assert kept.n_labeled == 75
    assert any("75 pilot answer(s) of people a source was tuned on are not used (the pilot design is not "
               "simple random)" in note for note in kept.notes)
    shares = ss.population_shares(combined)
    assert any("share estimates are not stacked" in note for note in shares.notes)
    # a fit that reads no tuned source has nothing to stack
    plain = fit(sources_study, f"belief ~ llm_mean[base] + {COVARIATES}", feats)
    assert plain.untuned_companion() is None and ss.population_mean(plain).n_labeled == 150


def test_the_untuned_formula_drops_exactly_the_terms_that_read_a_tuned_source(sources_study, feats):
    sources = fit(sources_study, "belief ~ llm_mean[base]", feats).model.sources
    formula = ('belief ~ llm_auto[base] + llm_mean["finetuned"]:age + llm_sd[action, finetuned] + '
               'llm_mean[action, persona] + llm_mean + C(educ)')
    assert sources.untuned_formula(formula, "base") == "belief ~ llm_auto[base] + llm_mean[action, persona] + llm_mean + C(educ)"
    assert sources.untuned_formula(formula, "finetuned") == "belief ~ llm_auto[base] + llm_mean[action, persona] + C(educ)"
    assert sources.untuned_formula("belief ~ llm_auto", "finetuned") == "belief ~ 1"


def test_a_design_built_in_r_drops_its_llm_columns_in_the_companion(sources_study, feats):
    model = ss.models.DebiasModel(f"belief ~ llm_mean + age", None, sources_study.pilot, sources_study.covariates,
                                  features=feats, source="finetuned", tuned_on=sources_study.tuned_on)
    matrix = pd.DataFrame({"Intercept": 1.0, "llm_mean": model.frame["llm_mean"], "age": model.frame["age"]})
    prebuilt = model.with_matrix(matrix, [False, True, False]).fit()
    companion = prebuilt.untuned_companion()
    assert list(companion.params.index) == ["Intercept", "age"] and companion.nobs == 150
    assert ss.population_mean(prebuilt).n_labeled == 150
