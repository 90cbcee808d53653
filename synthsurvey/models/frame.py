"""Assemble the modelling frame of one item: one row per person in the population,
with covariates, the item's LLM draw features and (for pilot rows) the human answer.

Samples are keyed either by the respondent's own id (``key="id"``: a digital twin of
each person) or by a persona column shared by many people (e.g. ``key="party"``:
draws for "a member of party X" serve every person whose ``party`` is X).
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..common.checks import numeric_values, reject_duplicates, reject_missing, require_columns
from ..common.errors import SynthsurveyError, preview, show

RESPONSE = "response"
IS_PILOT = "is_pilot"
RESERVED = ("item", "draw", RESPONSE, IS_PILOT)  # frame columns a covariate may not be named
RESERVED_PREFIX = "llm_"  # the prefix of draw features: formulas read such names as features
POPULATION, PILOT_ANSWER = "population", "pilot answer"  # the scopes of an exclusion


@dataclass(frozen=True)
class ItemFrame:
    """The modelling frame of one item (see ``item_frame``), the exclusions made building it,
    whether each row found its person in ``covariates`` (all True without covariates), and the
    number of people in the input (see ``item_frame``)."""

    frame: pd.DataFrame
    exclusions: "Exclusions"
    has_covariates: np.ndarray
    n_input: int


@dataclass
class Exclusions:
    """What was left out of a fit, with the reason: a DataFrame (reason, n_rows, n_pilot, scope).

    scope ``"population"``: n_rows people left the population (n_pilot of them had a pilot
    answer to the item); scope ``"pilot answer"``: n_rows pilot answers were not used (missing or
    a missing-value code): those people stay in the population, without an answer, like everybody
    outside the pilot."""

    rows: list = field(default_factory=list)

    def add(self, reason, mask, is_pilot, scope=POPULATION):
        count = int(np.sum(mask))
        if count:
            self.rows.append({"reason": reason, "n_rows": count, "n_pilot": int(np.sum(mask & is_pilot)),
                              "scope": scope})

    def add_count(self, reason, n_rows, n_pilot, scope=POPULATION):
        if n_rows:
            self.rows.append({"reason": reason, "n_rows": int(n_rows), "n_pilot": int(n_pilot), "scope": scope})

    def refine(self, reason, refined):
        """Say more precisely why some of the people counted under ``reason`` were left out: the
        ``refined`` row (a dict: reason, n_rows, n_pilot) takes its counts out of that row."""
        for row in self.rows:
            if row["reason"] == reason and row["n_rows"] >= refined["n_rows"]:
                row["n_rows"] -= refined["n_rows"]
                row["n_pilot"] -= refined["n_pilot"]
                break
        else:
            raise AssertionError(f"no exclusion {reason!r} holds the {refined['n_rows']} people of {refined['reason']!r}")
        self.rows = [row for row in self.rows if row["n_rows"]]
        self.add_count(refined["reason"], refined["n_rows"], refined["n_pilot"], row.get("scope", POPULATION))

    def table(self):
        return pd.DataFrame(self.rows, columns=["reason", "n_rows", "n_pilot", "scope"])


def exclusion_notes(table):
    """One sentence per row of an exclusions table: "Excluded n row(s) (m pilot): reason" for
    people left out of the population, "Not used: n pilot answer(s): reason" for answers."""
    notes = []
    for row in table.itertuples():
        if getattr(row, "scope", POPULATION) == PILOT_ANSWER:
            notes.append(f"Not used: {row.n_rows} pilot answer(s), the people kept in the population without "
                         f"one: {row.reason}")
        else:
            notes.append(f"Excluded {row.n_rows} row(s) ({row.n_pilot} pilot): {row.reason}")
    return notes


def check_humans(humans, sample_ids, id_column="id"):
    """Validate the human pilot table (id, item, response); return it with numeric responses.

    Missing answers (NaN) are kept: each fit leaves out and counts those of its own item, so a
    missing answer to one item never blocks another. sample_ids: ids the samples (or covariates,
    for persona keys) know; a human id outside them is an error, since that person cannot be
    predicted.
    """
    require_columns(humans, [id_column, "item", RESPONSE], "humans")
    values = numeric_values(humans, RESPONSE, "humans")
    reject_duplicates(humans, [id_column, "item"], "humans")
    unknown = pd.Index(humans[id_column].unique()).difference(pd.Index(sample_ids))
    if len(unknown):
        raise SynthsurveyError(
            f"humans has {len(unknown)} id(s) absent from the LLM samples/covariates, e.g. {preview(unknown)}"
        )
    checked = humans[[id_column, "item"]].copy()
    checked[RESPONSE] = values
    return checked


def check_levels(answers, scale, item, id_column="id"):
    """Raise if a human answer to ``item`` is neither missing (NaN, a missing code) nor one of its
    scale's levels, naming the id."""
    if not scale.is_discrete:
        return
    levels = np.asarray(scale.levels)
    values = answers[RESPONSE].to_numpy(dtype=float)
    outside = ~np.isclose(values[:, None], levels[None, :]).any(axis=1) & ~scale.is_missing(values)
    if outside.any():
        example = answers.loc[outside].iloc[0]
        codes = f" or its missing codes {preview(scale.missing)}" if scale.missing else ""
        raise SynthsurveyError(
            f"humans: item {item!r} has answer(s) {preview(np.unique(values[outside]))} outside its "
            f"levels {preview(levels.tolist(), 12)}{codes}, e.g. at {id_column}={show(example[id_column])}; if they "
            "are missing-value codes, declare them (ss.Scale(..., missing=(...)))"
        )


def check_covariate_names(covariates, key="id"):
    """Raise naming covariate columns the frame reserves (``RESERVED``, the ``llm_`` prefix)."""
    reserved = [c for c in covariates.columns if c in RESERVED]
    if reserved:
        raise SynthsurveyError(
            f"covariates column(s) {preview(reserved)} use a name synthsurvey reserves for its frame "
            f"({', '.join(RESERVED)}): rename them")
    features = [c for c in covariates.columns if str(c).startswith(RESERVED_PREFIX)]
    if features:
        raise SynthsurveyError(
            f"covariates column(s) {preview(features)} start with {RESERVED_PREFIX!r}, which formulas read as LLM "
            "draw features: rename them")


def item_frame(item, feats, humans, covariates, key="id", scale=None, missing_draws=None):
    """Return an ItemFrame: one row per person, columns ``id``, covariates, the item's ``llm_*``
    features, ``response`` (NaN outside the pilot) and ``is_pilot``.

    The input (``n_input``) is every person in ``covariates``, with LLM draws for the item, or with
    a pilot answer to it (``key="id"``), or every row of ``covariates`` (another key). People of the
    input without draws for the item (for their persona, with another key) are excluded and
    counted; so the population is the input minus the counted exclusions. Pilot answers that are
    missing (NaN) or one of ``scale``'s missing codes are not used and counted; those people stay
    in the population without an answer. ``missing_draws``: the item's counts of draws left out
    (see ``featurize.table.feature_table``), named in the reason.
    """
    exclusions = Exclusions()
    item_feats = feats.loc[feats["item"] == item].drop(columns="item")
    item_feats = item_feats.dropna(axis=1, how="all")
    answers = humans.loc[humans["item"] == item, ["id", RESPONSE]]
    if covariates is not None:
        require_columns(covariates, ["id"] + ([key] if key != "id" else []), "covariates")
        reject_duplicates(covariates, ["id"], "covariates")
        check_covariate_names(covariates, key)
    without = _without_draws_reason(item, key, missing_draws)
    if key == "id":
        known = [item_feats["id"], answers["id"]] + ([covariates["id"]] if covariates is not None else [])
        people = pd.Index(pd.concat(known, ignore_index=True).unique())
        no_draws = ~people.isin(item_feats["id"])
        exclusions.add(without, no_draws, people.isin(answers["id"]))
        n_input = len(people)
        frame = item_feats.reset_index(drop=True)
        has_covariates = np.ones(len(frame), dtype=bool)
        if covariates is not None:
            clash = [c for c in covariates.columns if c != "id" and c in frame.columns]
            if clash:
                raise SynthsurveyError(f"covariates column(s) {preview(clash)} clash with feature names")
            frame = frame.merge(covariates, on="id", how="left", validate="one_to_one", indicator="_in_covariates")
            has_covariates = frame.pop("_in_covariates").ne("left_only").to_numpy()
    else:
        frame = covariates.merge(item_feats, on=key, how="left", validate="many_to_one")
        no_draws = frame["llm_n_draws"].isna().to_numpy()
        exclusions.add(without, no_draws, frame["id"].isin(answers["id"]).to_numpy())
        n_input = len(frame)
        frame = frame.loc[~no_draws].reset_index(drop=True)
        has_covariates = np.ones(len(frame), dtype=bool)
    if item in frame.columns:
        raise SynthsurveyError(f"item name {item!r} clashes with a covariate or feature column")
    answers = answers.loc[answers["id"].isin(frame["id"])]
    values = answers[RESPONSE].to_numpy(dtype=float)
    nan = np.isnan(values)
    exclusions.add_count(f"missing answer (NaN) to item {item!r}", nan.sum(), nan.sum(), PILOT_ANSWER)
    if scale is not None and scale.missing:
        coded = scale.is_missing(values) & ~nan
        used = [f"{code:g}" for code in scale.missing if np.isclose(values[coded], code).any()]
        exclusions.add_count(f"missing-value code(s) {', '.join(used)} (don't know / refused) for item {item!r}",
                             coded.sum(), coded.sum(), PILOT_ANSWER)
        nan |= coded
    frame = frame.merge(answers.loc[~nan], on="id", how="left", validate="one_to_one")
    frame[IS_PILOT] = frame[RESPONSE].notna().to_numpy()
    return ItemFrame(frame, exclusions, has_covariates, n_input)


def _without_draws_reason(item, key, missing_draws):
    reason = f"no LLM draws for their {key} on item {item!r}" if key != "id" else f"no LLM draws for item {item!r}"
    if missing_draws and missing_draws.get("keys_without_draws"):
        reason += (f" ({missing_draws['keys_without_draws']} {key}(s) drew only missing values or codes, "
                   "left out)")
    return reason


def complete_rows(frame, columns, exclusions, has_covariates=None):
    """Return a boolean mask of rows with every column in ``columns`` present; count the
    others in ``exclusions`` per column (a row missing several counts once, at the first).
    Rows whose person has no covariates row (``has_covariates`` False) are counted as such
    when a covariate is needed."""
    keep = np.ones(len(frame), dtype=bool)
    is_pilot = frame[IS_PILOT].to_numpy()
    if has_covariates is not None and any(not c.startswith("llm_") for c in columns):
        missing = ~np.asarray(has_covariates, dtype=bool) & keep
        exclusions.add("no row in covariates", missing, is_pilot)
        keep &= ~missing
    for column in columns:
        missing = frame[column].isna().to_numpy() & keep
        exclusions.add(f"missing value in column {column!r}", missing, is_pilot)
        keep &= ~missing
    return keep


def population_size(n_input, exclusions_table):
    """People in the population: the input minus the people excluded from it (scope population)."""
    if len(exclusions_table) == 0:
        return int(n_input)
    left = exclusions_table["scope"].fillna(POPULATION) == POPULATION
    return int(n_input - exclusions_table.loc[left, "n_rows"].sum())
