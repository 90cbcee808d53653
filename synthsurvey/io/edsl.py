"""LLM samples produced by edsl (Expected Parrot's survey simulation package), in
synthsurvey's long format.

edsl runs a survey over agents (personas with traits) and models, ``n`` iterations each. Its
results flatten to one row per (agent, model, scenario, iteration) with ``agent.<trait>``,
``iteration.iteration`` and ``answer.<question>`` columns. Here agents become respondents
(``id``), iterations draws, questions items, and agent traits covariates.

Known pitfall: edsl caches responses, so repeated iterations can return one identical answer;
a respondent whose draws of an item are all identical triggers a warning.
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .datasets import Dataset
from ..common.errors import SynthsurveyError, preview, show

YES_NO = {"yes": 1.0, "no": 0.0, "true": 1.0, "false": 0.0}
AGENT_META = {"agent.agent_index", "agent.agent_name", "agent.agent_instruction"}


class IdenticalDrawsWarning(UserWarning):
    """Every draw of some respondent and item is the same answer (often an edsl cache hit)."""


def _flat(results):
    if isinstance(results, pd.DataFrame):
        return results
    if isinstance(results, (str, Path)):
        path = Path(results)
        if not path.exists():
            raise SynthsurveyError(f"edsl results file {str(path)!r} does not exist")
        if path.suffix in (".jsonl", ".json"):
            frame = pd.read_json(path, lines=path.suffix == ".jsonl")
            return pd.json_normalize(frame.to_dict("records")) if frame.columns.dtype == object else frame
        return pd.read_csv(path)
    if hasattr(results, "to_pandas"):
        return results.to_pandas()
    raise SynthsurveyError(f"cannot read edsl results from a {type(results).__name__}")


def _distribution_mean(value):
    """Expected value of a probability-distribution answer ({option: probability}), else None."""
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    if isinstance(value, dict) and value:
        options = np.array([float(k) for k in value], dtype=float)
        weights = np.array([float(v) for v in value.values()], dtype=float)
        if weights.sum() <= 0:
            return None
        return float(options @ weights / weights.sum())
    return None


def _numeric(values, question, recode):
    """Numeric answers of one question: numbers as they are, yes/no as 1/0, ``recode`` labels,
    probability distributions as their expected value. Returns (array, is_distribution)."""
    out = np.full(len(values), np.nan)
    distribution = False
    for position, value in enumerate(values):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
            out[position] = float(value)
            continue
        if isinstance(value, (bool, np.bool_)):
            out[position] = float(value)
            continue
        mean = _distribution_mean(value)
        if mean is not None:
            out[position] = mean
            distribution = True
            continue
        text = str(value).strip()
        if text in recode:
            out[position] = float(recode[text])
        elif text.lower() in YES_NO:
            out[position] = YES_NO[text.lower()]
        else:
            try:
                out[position] = float(text)
            except ValueError:
                raise SynthsurveyError(
                    f"edsl question {question!r} has the non-numeric answer {text!r}: pass "
                    f"recode={{{question!r}: {{{text!r}: <number>, ...}}}}"
                ) from None
    return out, distribution


def from_edsl(results, id_column="agent.agent_index", questions=None, recode=None, model=None):
    """A Dataset (samples and covariates; no humans) from edsl ``results``: a Results object, its
    ``to_pandas()`` frame, or a path to its exported CSV / JSON lines.

    id_column: the agent column identifying respondents (``agent.agent_name`` to use names).
    questions: which questions to take (default: every ``answer.*`` column).
    recode: ``{question: {label: number}}`` for text answers (yes/no are 1/0 by default).
    model: the model to keep when the results hold several.
    Missing answers (edsl's failed validations) are left out and counted in ``notes``.
    """
    flat = _flat(results)
    if id_column not in flat.columns:
        raise SynthsurveyError(f"edsl results have no column {id_column!r}; agent columns: "
                               f"{preview([c for c in flat.columns if c.startswith('agent.')], 12)}")
    if "model.model" in flat.columns and flat["model.model"].nunique() > 1:
        if model is None:
            raise SynthsurveyError(f"edsl results hold several models {preview(flat['model.model'].unique())}; "
                                   "pass model=")
        flat = flat[flat["model.model"] == model]
    answer_columns = [c for c in flat.columns if c.startswith("answer.")]
    if questions is not None:
        missing = [q for q in questions if f"answer.{q}" not in flat.columns]
        if missing:
            raise SynthsurveyError(f"edsl results have no answers to {preview(missing)}")
        answer_columns = [f"answer.{q}" for q in questions]
    if not answer_columns:
        raise SynthsurveyError("edsl results have no answer.* columns")
    draw = flat["iteration.iteration"].to_numpy() if "iteration.iteration" in flat.columns else np.zeros(len(flat), int)
    if "scenario.scenario_index" in flat.columns and flat["scenario.scenario_index"].nunique() > 1:
        draw = flat["scenario.scenario_index"].to_numpy() * (draw.max() + 1) + draw
    recode = recode or {}
    samples, notes = [], []
    for column in answer_columns:
        question = column[len("answer."):]
        values, distribution = _numeric(flat[column].tolist(), question, recode.get(question, {}))
        kept = ~np.isnan(values)
        if (~kept).any():
            notes.append(f"{int((~kept).sum())} missing answer(s) to {question!r} left out")
        if distribution:
            notes.append(f"{question!r} has probability-distribution answers: each call's expected value is its draw")
        samples.append(pd.DataFrame({"id": flat[id_column].to_numpy()[kept], "item": question,
                                     "draw": draw[kept], "response": values[kept]}))
    samples = pd.concat(samples, ignore_index=True)
    _warn_identical(samples)
    traits = [c for c in flat.columns if c.startswith("agent.") and c not in AGENT_META | {id_column}]
    covariates = flat[[id_column] + traits].drop_duplicates(id_column)
    covariates.columns = ["id"] + [c[len("agent."):] for c in traits]
    return Dataset(samples, pd.DataFrame(columns=["id", "item", "response"]), covariates.reset_index(drop=True),
                   "id", {}, pd.DataFrame(), tuple(notes), "edsl results")


def _warn_identical(samples):
    grouped = samples.groupby(["id", "item"])["response"]
    stats = grouped.agg(["nunique", "size"])
    identical = stats[(stats["nunique"] == 1) & (stats["size"] > 1)]
    if len(identical):
        example = identical.index[0]
        warnings.warn(
            f"{len(identical)} of {len(stats)} (respondent, item) pairs have identical answers in every draw, "
            f"e.g. id={show(example[0])}, item={show(example[1])}: edsl may have served cached responses "
            "(run with cache=False or a new cache); the draws then carry no spread",
            IdenticalDrawsWarning, stacklevel=3)
