"""The results protocol: intervals, p-values and summaries derive from one table.

Sources of truth: scipy.stats' t and normal quantiles (closed forms of the intervals)."""

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from synthsurvey import SynthsurveyError
from synthsurvey.common.results import Frozen, Result, Summary, with_intervals


class Toy(Result):
    def __init__(self, rows, alpha=0.05):
        estimates = pd.DataFrame(rows)
        estimates.attrs["keys"] = ("group",) if "group" in estimates else ()
        self._set_estimates(estimates, alpha)
        self._freeze()


def test_intervals_use_t_with_df_and_the_normal_without():
    result = Toy([{"term": "a", "estimate": 1.0, "std_error": 0.5, "df": 10},
                  {"term": "b", "estimate": -2.0, "std_error": 0.25, "df": np.inf}])
    table = result.table()
    t, z = scipy.stats.t.ppf(0.975, 10), scipy.stats.norm.ppf(0.975)
    np.testing.assert_allclose(table["ci_low"], [1 - t * 0.5, -2 - z * 0.25])
    np.testing.assert_allclose(table["ci_high"], [1 + t * 0.5, -2 + z * 0.25])
    np.testing.assert_allclose(table["statistic"], [2.0, -8.0])
    np.testing.assert_allclose(table["p_value"], [2 * scipy.stats.t.sf(2, 10), 2 * scipy.stats.norm.sf(8)])
    ninety = result.conf_int(0.1)
    np.testing.assert_allclose(ninety.loc["a", "ci_high"], 1 + scipy.stats.t.ppf(0.95, 10) * 0.5)
    assert list(table.columns[:7]) == ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]


def test_proportions_may_take_a_logit_scale_interval_at_any_alpha():
    rows = [{"term": "p", "estimate": 0.04, "std_error": 0.02, "df": 40, "interval": "logit"},
            {"term": "q", "estimate": -0.01, "std_error": 0.02, "df": 40, "interval": "logit"},
            {"term": "r", "estimate": 0.04, "std_error": 0.02, "df": 40, "interval": "wald"}]
    result = Toy(rows)
    for alpha in (0.05, 0.2):
        table = result.table(alpha)
        t = scipy.stats.t.ppf(1 - alpha / 2, 40)
        half = t * 0.02 / (0.04 * 0.96)  # the delta method's SE of the log-odds
        logit = np.log(0.04 / 0.96)
        np.testing.assert_allclose(table.loc[0, ["ci_low", "ci_high"]].to_numpy(dtype=float),
                                   1 / (1 + np.exp(-np.array([logit - half, logit + half]))), rtol=1e-12)
        # outside (0, 1), and for a Wald row: estimate -+ t se
        np.testing.assert_allclose(table.loc[1, ["ci_low", "ci_high"]].to_numpy(dtype=float),
                                   [-0.01 - t * 0.02, -0.01 + t * 0.02], rtol=1e-12)
        np.testing.assert_allclose(table.loc[2, ["ci_low", "ci_high"]].to_numpy(dtype=float),
                                   [0.04 - t * 0.02, 0.04 + t * 0.02], rtol=1e-12)
    table = result.table()
    assert table.loc[0, "ci_low"] > 0 and table.loc[0, "ci_high"] - 0.04 > 0.04 - table.loc[0, "ci_low"]  # skewed up


def test_rows_with_their_own_interval_refuse_another_alpha():
    result = Toy([{"term": "quantile[0.5]", "estimate": 3.0, "std_error": np.nan, "ci_low": 2.0, "ci_high": 4.0}])
    assert result.table()[["ci_low", "ci_high"]].iloc[0].tolist() == [2.0, 4.0]
    with pytest.raises(SynthsurveyError, match="computed at alpha=0.05"):
        result.table(alpha=0.1)


def test_summary_shows_the_table_and_results_are_immutable():
    result = Toy([{"group": "x", "term": "mean", "estimate": 1.0, "std_error": 0.1}])
    summary = result.summary()
    assert isinstance(summary, Summary) and summary.table.equals(result.table())
    assert list(result.table().columns[:2]) == ["group", "term"]  # keys come first
    assert "95%" in str(summary) and "mean" in str(summary)
    with pytest.raises(AttributeError, match="immutable"):
        result.alpha = 0.1
    assert "1 row" in repr(result)


@pytest.mark.parametrize("alpha", [0, 1, 1.5, -0.1, 5, "a"])
def test_alpha_outside_0_1_is_refused(alpha):
    with pytest.raises(SynthsurveyError, match="alpha must"):
        with_intervals(pd.DataFrame({"term": ["a"], "estimate": [1.0], "std_error": [1.0]}), alpha)


def test_frozen_allows_construction_only():
    class Thing(Frozen):
        def __init__(self):
            self.x = 1
            self._freeze()

    thing = Thing()
    with pytest.raises(AttributeError):
        thing.x = 2
