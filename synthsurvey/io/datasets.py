"""Bundled example data, in synthsurvey's long format.

* ``load_simulated()``: the seeded simulated study (``data/simulated_study/``; regenerated
  from ``simulate_study`` when the package is installed without the repository; a test
  checks the two are identical).
* ``load_twin2k500()``: real US respondents beside their LLM digital twins (one twin answer
  per person and item), Twin-2K-500 Mega-Study, Apache-2.0.
* ``load_smartvote()``: Swiss 2023 candidates' answers beside 50 GPT-4 draws per party
  persona (samples keyed by ``party``), Smartvote via Bachmann et al., MIT.

Provenance and licenses: ``data/README.md``. Rows a loader leaves out (missing answers) are
counted in the dataset's ``notes``.
"""

import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..common.errors import SynthsurveyError
from .simulate import read_study, simulate_study

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
SIMULATED_DIR = DATA_DIR / "simulated_study"


@dataclass(frozen=True)
class Dataset:
    """A paired human/LLM data set: ``samples`` (key, item, draw, response), ``humans`` (id, item,
    response), ``covariates`` (one row per id), the ``key`` linking samples to people, declared
    ``scales``, item metadata ``items``, ``notes`` on rows left out, and a ``citation``."""

    samples: pd.DataFrame
    humans: pd.DataFrame
    covariates: pd.DataFrame
    key: str = "id"
    scales: dict = field(default_factory=dict)
    items: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: tuple = ()
    citation: str = ""


def load_simulated():
    """Return the bundled SimulatedStudy: ``samples`` (2,000 people x 40 draws x 2 items),
    ``pilot`` (250 people's human answers), ``covariates`` and ``holdout``."""
    if (SIMULATED_DIR / "samples.csv.gz").exists():
        return read_study(SIMULATED_DIR)
    return simulate_study()


def _require(folder):
    if not folder.exists():
        raise SynthsurveyError(f"the bundled data folder {folder} is missing: use a checkout of the repository")
    return folder


def load_twin2k500():
    """Twin-2K-500 Mega-Study: 124 outcome variables of 18 studies, each person's own answer beside
    the answer of their LLM digital twin (draw 0: one draw per person and item). Covariates
    (gender, age, ideology, party) exist for the 799 people of the *Promiscuous donors* study.
    Items whose answers are integers in a range of at most 11 values are ordinal over
    scale_min..scale_max; the others (composites) continuous."""
    folder = _require(DATA_DIR / "twin2k500")
    paired = pd.read_csv(folder / "paired_responses_long.csv.gz")
    variables = pd.read_csv(folder / "variables.csv.gz")
    covariates = pd.read_csv(folder / "covariates_subset.csv.gz").rename(columns={"twin_id": "id"})
    covariates["female"] = (covariates["gender_code"] == 2).astype(int)
    missing_human = paired["human_value"].isna()
    missing_twin = paired["twin_value"].isna()
    notes = []
    if missing_human.any():
        notes.append(f"{int(missing_human.sum())} pair(s) without a human answer left out of humans")
    if missing_twin.any():
        notes.append(f"{int(missing_twin.sum())} pair(s) without a twin answer left out of samples")
    samples = pd.DataFrame({"id": paired["twin_id"], "item": paired["variable"], "draw": 0,
                            "response": paired["twin_value"]})[~missing_twin.to_numpy()]
    humans = pd.DataFrame({"id": paired["twin_id"], "item": paired["variable"],
                           "response": paired["human_value"]})[~missing_human.to_numpy()]
    items = variables.drop_duplicates("variable").set_index("variable")
    scales = {}
    for item, group in paired.groupby("variable"):
        values = pd.concat([group["human_value"], group["twin_value"]]).dropna().to_numpy()
        low, high = items.loc[item, "scale_min"], items.loc[item, "scale_max"]
        integer = np.all(values == np.round(values))
        if integer and np.isfinite(low) and np.isfinite(high) and high - low <= 10 and \
                values.min() >= low and values.max() <= high:
            scales[item] = [float(v) for v in np.arange(low, high + 1)]
        else:
            scales[item] = "continuous"
    return Dataset(samples.reset_index(drop=True), humans.reset_index(drop=True), covariates, "id", scales,
                   items.reset_index(), tuple(notes),
                   "Twin-2K-500 Mega-Study (arXiv 2509.19088), github.com/TianyiPeng/Twin-2K-500-Mega-Study, Apache-2.0")


def load_smartvote():
    """Smartvote, Swiss National Council 2023 (Canton Zurich candidates): 1,029 candidates' answers
    to 75 policy questions (0-1) beside 50 GPT-4 draws per party persona ("a member of the Swiss
    party X"). Samples are keyed by ``party``; candidates of the list ``Übrige`` have no persona.
    Answers are on different scales (humans: Smartvote's 4-, 5- and 7-point codes; GPT-4:
    0-100 rescaled), so every item is declared continuous."""
    folder = _require(DATA_DIR / "smartvote")
    humans_long = pd.read_csv(folder / "human_candidates_long.csv.gz")
    gpt = pd.read_csv(folder / "gpt4_party_samples_long.csv.gz")
    questions = pd.read_csv(folder / "questions.csv.gz")
    missing = gpt["answer"].isna()
    notes = [f"{int(missing.sum())} GPT-4 answer(s) missing in the source left out of samples"] if missing.any() else []
    samples = pd.DataFrame({"party": gpt["party"], "item": "q" + gpt["question_id"].astype(str),
                            "draw": gpt["gpt_sample_id"], "response": gpt["answer"]})[~missing.to_numpy()]
    humans = pd.DataFrame({"id": humans_long["candidate_id"], "item": "q" + humans_long["question_id"].astype(str),
                           "response": humans_long["answer"]})
    covariates = humans_long[["candidate_id", "party", "party_list_short"]].drop_duplicates("candidate_id")
    covariates = covariates.rename(columns={"candidate_id": "id"}).reset_index(drop=True)
    questions = questions.assign(item="q" + questions["question_id"].astype(str))
    scales = {item: "continuous" for item in samples["item"].unique()}
    return Dataset(samples.reset_index(drop=True), humans, covariates, "party", scales, questions, tuple(notes),
                   "Bachmann et al. (arXiv 2503.09311), github.com/fsvbach/coldstart-paper, MIT; answers: smartvote.ch")


def load_bfi():
    """psychTools::bfi (Revelle; from Debian's r-cran-psychtools, read through rpy2): 2,800 people's
    answers to 25 six-point personality items, with gender (1 male, 2 female), education (1-5)
    and age. Human answers only: a real human-only example (e.g. for pilot planning). Missing
    answers are left out of ``humans`` and counted in ``notes``; missing education stays NA in
    ``covariates``."""
    logging.getLogger("rpy2.rinterface_lib.embedded").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import rpy2.robjects as ro
    frame = ro.r("psychTools::bfi")
    columns = {}
    for name, vector in zip(frame.names, frame):
        values = np.asarray(vector, dtype=np.int64)
        missing = values == -2147483648  # R's NA_integer_
        columns[name] = pd.array(np.where(missing, 0, values), dtype="Int64")
        columns[name][missing] = pd.NA
    wide = pd.DataFrame(columns)
    wide.insert(0, "id", np.arange(1, len(wide) + 1))
    items = [c for c in wide.columns if c not in ("id", "gender", "education", "age")]
    humans = wide.melt(id_vars="id", value_vars=items, var_name="item", value_name="response")
    missing = humans["response"].isna()
    humans = humans[~missing].astype({"response": float}).reset_index(drop=True)
    covariates = wide[["id", "gender", "education", "age"]].copy()
    covariates["female"] = (covariates["gender"] == 2).astype(int)
    notes = (f"{int(missing.sum())} missing item answer(s) left out of humans",)
    return Dataset(pd.DataFrame(columns=["id", "item", "draw", "response"]), humans, covariates, "id",
                   {item: [1.0, 2.0, 3.0, 4.0, 5.0, 6.0] for item in items}, pd.DataFrame({"item": items}), notes,
                   "psychTools::bfi (Revelle), International Personality Item Pool items; via Debian r-cran-psychtools")
