"""The R package's questionnaire calls: ``debias_items`` with R's tables and options gives the
core's study (source of truth: ``ss.debias_items`` on the same tables)."""

import numpy as np

from synthsurvey.interfaces import rapi

from tests.helpers import read_by_r, sent_by_r


def test_a_questionnaire_from_r_tables(simulated):
    alive = []
    spec = {name: sent_by_r(getattr(simulated, name), alive) for name in ("samples", "pilot", "covariates")}
    result = rapi.debias_items(spec["samples"], spec["pilot"], spec["covariates"], ["belief", "action"],
                               "~ llm_mean + age", None, None, ["age"], "id", 0.05, 5, 0, "fallback", "error",
                               "logit")
    study = result["py"]
    assert result["items"] == ["belief", "action"] and result["families"] == {"belief": "ols", "action": "logit"}
    assert result["formulas"]["belief"] == "belief ~ llm_mean + age"
    assert result["scales"]["belief"] == "ordinal 1..5"
    assert rapi.questionnaire_fit(study, "action") is study["action"]
    table = read_by_r(rapi.questionnaire_population(study, None, True, "subsample", None, None)["table"])
    expected = study.population().table()
    assert table[["item", "method", "term"]].values.tolist() == expected[["item", "method", "term"]].values.tolist()
    np.testing.assert_array_equal(table["estimate"], expected["estimate"])
