"""edsl results to synthsurvey's long format: with edsl's offline test model (no network)
and with hand-made frames of the same shape."""

import warnings

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from synthsurvey.io.edsl import IdenticalDrawsWarning, from_edsl


def edsl_like(answers):
    rows = []
    for agent, (age, party) in enumerate([(30, "D"), (50, "R")]):
        for iteration in range(3):
            rows.append({"agent.agent_index": agent, "agent.agent_name": f"a{agent}", "agent.age": age,
                         "agent.party": party, "iteration.iteration": iteration, "model.model": "m",
                         **{f"answer.{q}": values[agent * 3 + iteration] for q, values in answers.items()}})
    return pd.DataFrame(rows)


def test_frame_mapping():
    frame = edsl_like({"trust": [1, 2, 3, 4, 5, 4], "vote": ["Yes", "No", "Yes", "No", None, "No"],
                       "belief": ['{"1": 0.5, "3": 0.5}', '{"1": 1}', '{"2": 1}', '{"4": 1}', '{"5": 1}', '{"3": 1}']})
    data = from_edsl(frame)
    samples = data.samples
    assert set(samples["item"]) == {"trust", "vote", "belief"}
    assert samples.query("item == 'vote'")["response"].tolist() == [1.0, 0.0, 1.0, 0.0, 0.0]
    assert samples.query("item == 'belief' and id == 0 and draw == 0")["response"].item() == 2.0
    assert any("1 missing answer(s) to 'vote'" in note for note in data.notes)
    assert any("probability-distribution" in note for note in data.notes)
    assert list(data.covariates.columns) == ["id", "age", "party"]
    feats = ss.features(samples.query("item == 'trust'"))
    np.testing.assert_allclose(feats["llm_mean"], [2.0, 13 / 3])


def test_identical_draws_warn_and_bad_answers_raise():
    frame = edsl_like({"trust": [3, 3, 3, 1, 2, 3]})
    with pytest.warns(IdenticalDrawsWarning, match="1 of 2 .* id=0, item='trust'"):
        from_edsl(frame)
    with pytest.raises(ss.SynthsurveyError, match="non-numeric answer 'maybe'.*recode="):
        from_edsl(edsl_like({"q": ["maybe"] * 6}))
    data = from_edsl(edsl_like({"q": ["maybe", "sure"] * 3}), recode={"q": {"maybe": 0.5, "sure": 1}})
    assert sorted(data.samples["response"].unique()) == [0.5, 1.0]
    two_models = edsl_like({"q": [1, 2, 3, 4, 5, 1]}).assign(**{"model.model": ["a", "b"] * 3})
    with pytest.raises(ss.SynthsurveyError, match="several models"):
        from_edsl(two_models)
    assert len(from_edsl(two_models, model="a").samples) == 3


def test_offline_edsl_test_model(tmp_path):
    import edsl  # the optional extra, installed by make setup
    question = edsl.QuestionLinearScale(question_name="trust", question_text="How much do you trust science?",
                                        question_options=[1, 2, 3, 4, 5])
    agents = edsl.AgentList([edsl.Agent(traits={"age": age}) for age in (30, 50, 70)])
    results = edsl.Survey([question]).by(agents).by(edsl.Model("test", canned_response=4)).run(
        n=3, disable_remote_inference=True, disable_remote_cache=True, cache=False, print_exceptions=False)
    with pytest.warns(IdenticalDrawsWarning):  # a canned model answers the same every time
        data = from_edsl(results)
    assert len(data.samples) == 9 and (data.samples["response"] == 4).all()
    assert sorted(data.covariates["age"]) == [30, 50, 70]
    path = tmp_path / "results.csv"
    results.to_csv(str(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IdenticalDrawsWarning)
        from_file = from_edsl(path)
    pd.testing.assert_frame_equal(from_file.samples.reset_index(drop=True), data.samples.reset_index(drop=True),
                                  check_dtype=False)
