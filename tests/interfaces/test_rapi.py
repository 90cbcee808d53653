"""The R package's Python entry points: ids linked across tables as text, the two-step fit on
R's design, results restored from their pickles, scale declarations as R sends them, the core's
warnings handed to R, covariances of estimates, questionnaires and per-setting alignment curves."""

import warnings

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from synthsurvey.common.errors import SynthsurveyError
from synthsurvey.interfaces import rapi, rcommon, rgroups


def _from_r(frame, alive):
    """``frame`` as R sends it (a frame spec whose columns point at R's memory, here numpy buffers
    appended to ``alive``): numbers as doubles or integers, anything else as character codes."""
    columns = []
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_float_dtype(values):
            data, column = np.ascontiguousarray(values.to_numpy(dtype="<f8")), {"kind": "double"}
        elif pd.api.types.is_integer_dtype(values):
            data, column = np.ascontiguousarray(values.to_numpy(dtype="<i4")), {"kind": "integer"}
        else:
            codes, levels = pd.factorize(values.astype(str))
            data, column = np.ascontiguousarray(codes + 1, dtype="<i4"), {"kind": "character",
                                                                         "levels": list(levels)}
        alive.append(data)
        columns.append({**column, "address": hex(data.ctypes.data)})
    return {"names": list(frame.columns), "nrow": len(frame), "columns": columns}


def _to_r(spec):
    """A frame spec going to R, read back as pandas (numbers and text)."""
    columns = {}
    for name, column in zip(spec["names"], spec["columns"]):
        if column["kind"] in ("double", "date", "datetime"):
            columns[name] = np.frombuffer(bytes(column["data"]), dtype="<f8")
            continue
        codes = np.frombuffer(bytes(column["data"]), dtype="<i4")
        if column["kind"] in ("character", "factor"):
            levels = np.array(column["levels"] + [None], dtype=object)
            columns[name] = levels[np.where(codes > 0, codes - 1, len(levels) - 1)]
        else:
            columns[name] = codes
    return pd.DataFrame(columns)


def _tables(simulated, to_text):
    samples, pilot, covariates = (frame.copy() for frame in (simulated.samples, simulated.pilot, simulated.covariates))
    for frame in to_text:
        frame = {"samples": samples, "pilot": pilot, "covariates": covariates}[frame]
        frame["id"] = pd.Categorical(frame["id"].astype(str))
    return samples, pilot, covariates


@pytest.mark.parametrize("to_text", [("pilot",), ("covariates",), ("samples", "covariates")])
def test_ids_that_match_as_text_are_linked(simulated, to_text):
    samples, pilot, covariates = _tables(simulated, to_text)
    rcommon.linked_ids(samples, pilot, covariates, "id")
    fit = ss.debias("belief ~ llm_mean + age", samples, pilot, covariates)
    expected = ss.debias("belief ~ llm_mean + age", simulated.samples, simulated.pilot, simulated.covariates)
    np.testing.assert_allclose(fit.params, expected.params, rtol=0, atol=1e-12)


def test_ids_that_do_not_match_as_text_name_both_tables(simulated):
    samples, pilot, covariates = _tables(simulated, ())
    samples["id"] = "R_" + samples["id"].astype(str)
    with pytest.raises(SynthsurveyError, match=r"ids of samples \(id: text, e.g. 'R_1'.*and of humans \(id: numbers, "
                                               r"e.g. 3.*do not match as text"):
        rcommon.linked_ids(samples, pilot, covariates, "id")
    padded = simulated.pilot.assign(id=simulated.pilot["id"].map("{:03d}".format))  # "001" is not the text of 1: numbers become text
    rcommon.linked_ids(simulated.samples.copy(), padded, None, "id")
    assert padded["id"].iloc[0] == f"{simulated.pilot['id'].iloc[0]:03d}"


def test_numbers_become_text_without_a_decimal_point():
    assert list(rcommon.number_text(pd.Series([1.0, 20.0, np.nan, 2.5]))) == ["1", "20", None, "2.5"]
    assert rcommon.integer_text(["1", "20"]).tolist() == [1, 20]
    assert rcommon.integer_text(["01", "2"]) is None and rcommon.integer_text(["1.0"]) is None


def test_results_restore_from_their_pickles(simulated_fit):
    spec = rapi.population_table("population_mean", simulated_fit, {"by": "educ"})
    restored = rapi.restore(spec["pickle"])
    pd.testing.assert_frame_equal(restored.table(0.1), spec["py"].table(0.1))


def test_scale_declarations_from_r_reach_the_core_as_lists():
    """R sends length-one vectors as scalars: a declaration's numbers become lists of floats."""
    assert rcommon.scale_declarations({"missing": 99}) == {"missing": [99.0]}
    assert rcommon.scale_declarations({"q1": {"levels": [1, 2, 3], "missing": 9}, "q2": "binary", "q3": 5}) == {
        "q1": {"levels": [1.0, 2.0, 3.0], "missing": [9.0]}, "q2": "binary", "q3": [5.0]}
    scale = ss.Scale("ordinal", (1, 2, 3), missing=(9,))
    from synthsurvey.featurize.scales import declared_scales
    assert declared_scales(rcommon.scale_declarations({"q1": {"levels": [1, 2, 3], "missing": 9}}), ["q1"]) == {
        "q1": scale}


def test_calls_from_r_return_the_cores_warnings(simulated):
    def warns():
        warnings.warn("a scale finding", ss.SynthsurveyWarning)
        return 1

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing escapes: the warning is handed to R
        assert rcommon.with_warnings(warns) == {"value": 1, "warnings": ["a scale finding"]}
        samples = simulated.samples[simulated.samples["item"] == "belief"].astype({"response": float})
        samples.loc[samples.index[:3], "response"] = 2.5  # a half point among whole numbers
        alive = []  # the buffers the spec points to, kept until the call returns (R keeps its vectors)
        result = rapi.call("features", _from_r(samples, alive), "id", None)
    assert len(result["warnings"]) == 1 and "not whole numbers" in result["warnings"][0]
    assert _to_r(result["value"])["item"].tolist() == ["belief"] * samples["id"].nunique()


def test_result_vcov_is_the_cores_or_none(simulated, simulated_fit):
    ols = ss.population_ols(simulated_fit, "belief ~ age + ideology")
    frame = _to_r(rapi.result_vcov(ols))
    assert frame["term"].tolist() == list(ols.vcov().index)
    np.testing.assert_array_equal(frame.drop(columns="term").to_numpy(), ols.vcov().to_numpy())
    assert rapi.result_vcov(ss.population_mean(simulated_fit, by="educ")) is None


def test_a_questionnaire_from_r(simulated):
    alive = []
    spec = {name: _from_r(getattr(simulated, name), alive) for name in ("samples", "pilot", "covariates")}
    result = rapi.debias_items(spec["samples"], spec["pilot"], spec["covariates"], ["belief", "action"],
                               "~ llm_mean + age", None, None, ["age"], "id", 0.05, 5, 0, "fallback", "error",
                               "logit")
    study = result["py"]
    assert result["items"] == ["belief", "action"] and result["families"] == {"belief": "ols", "action": "logit"}
    assert result["formulas"]["belief"] == "belief ~ llm_mean + age"
    assert result["scales"]["belief"] == "ordinal 1..5"
    assert rapi.questionnaire_fit(study, "action") is study["action"]
    table = _to_r(rapi.questionnaire_population(study, None, True, "subsample", None, None)["table"])
    expected = study.population().table()
    assert table[["item", "method", "term"]].values.tolist() == expected[["item", "method", "term"]].values.tolist()
    np.testing.assert_array_equal(table["estimate"], expected["estimate"])


def test_alignment_curve_per_setting_from_r():
    data = ss.datasets.load_smartvote()
    cells = ss.group_cells(data.samples, data.humans, data.covariates, key="party")
    questions = sorted(cells["item"].unique())
    cells["half"] = np.where(cells["item"].isin(questions[:len(questions) // 2]), "first", "second")
    alive = []
    result = rgroups.alignment_curve(_from_r(cells, alive), [3], 1, 0, "half")
    expected = ss.alignment_curve(cells, sizes=[3], replications=1, by="half")
    settings = _to_r(result["settings"])
    np.testing.assert_array_equal(settings["gain"], expected.settings["gain"])
    assert result["by"] == ["half"]
    draws = _to_r(result["draws"])
    first = expected.draws["labeled"].iloc[0]
    assert draws["labeled"].iloc[0] == "; ".join(f"{item} / {group}" for item, group in first)
