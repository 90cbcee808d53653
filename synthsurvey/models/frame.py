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


@dataclass(frozen=True)
class ItemFrame:
    """The modelling frame of one item (see ``item_frame``), the exclusions made building it,
    and whether each row found its person in ``covariates`` (all True without covariates)."""

    frame: pd.DataFrame
    exclusions: "Exclusions"
    has_covariates: np.ndarray


@dataclass
class Exclusions:
    """Rows left out of a fit, with the reason: a DataFrame (reason, n_rows, n_pilot)."""

    rows: list = field(default_factory=list)

    def add(self, reason, mask, is_pilot):
        count = int(np.sum(mask))
        if count:
            self.rows.append({"reason": reason, "n_rows": count, "n_pilot": int(np.sum(mask & is_pilot))})

    def table(self):
        return pd.DataFrame(self.rows, columns=["reason", "n_rows", "n_pilot"])


def exclusion_notes(table):
    """One sentence per row of an exclusions table: "Excluded n row(s) (m pilot): reason"."""
    return [f"Excluded {row.n_rows} row(s) ({row.n_pilot} pilot): {row.reason}" for row in table.itertuples()]


def check_humans(humans, sample_ids, id_column="id"):
    """Validate the human pilot table (id, item, response); return it with numeric responses.

    sample_ids: ids the samples (or covariates, for persona keys) know; a human id outside
    them is an error, since that person cannot be predicted.
    """
    require_columns(humans, [id_column, "item", RESPONSE], "humans")
    values = numeric_values(humans, RESPONSE, "humans")
    reject_missing(values, humans, RESPONSE, "humans", [id_column, "item"])
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
    """Raise if a human answer to ``item`` is not one of its scale's levels, naming the id."""
    if not scale.is_discrete:
        return
    levels = np.asarray(scale.levels)
    values = answers[RESPONSE].to_numpy(dtype=float)
    outside = ~np.isclose(values[:, None], levels[None, :]).any(axis=1)
    if outside.any():
        example = answers.loc[outside].iloc[0]
        raise SynthsurveyError(
            f"humans: item {item!r} has answer(s) {preview(np.unique(values[outside]))} outside its "
            f"levels {preview(levels.tolist(), 12)}, e.g. at {id_column}={show(example[id_column])}"
        )


def item_frame(item, feats, humans, covariates, key="id"):
    """Return an ItemFrame: one row per person, columns ``id``, covariates, the item's ``llm_*``
    features, ``response`` (NaN outside the pilot) and ``is_pilot``.

    With ``key="id"`` the population is every id with draws for the item (joined to
    ``covariates`` if given; ids without a covariates row are marked in ``has_covariates``).
    With another key the population is every row of ``covariates`` whose key has draws for the
    item; rows whose persona has no draws are excluded and counted.
    """
    exclusions = Exclusions()
    excluded_ids = pd.Index([])
    item_feats = feats.loc[feats["item"] == item].drop(columns="item")
    item_feats = item_feats.dropna(axis=1, how="all")
    if covariates is not None:
        require_columns(covariates, ["id"] + ([key] if key != "id" else []), "covariates")
        reject_duplicates(covariates, ["id"], "covariates")
        reserved = [c for c in covariates.columns if c in RESERVED]
        if reserved:
            raise SynthsurveyError(
                f"covariates column(s) {preview(reserved)} use a name synthsurvey reserves for its frame "
                f"({', '.join(RESERVED)}): rename them")
    if key == "id":
        frame = item_feats.reset_index(drop=True)
        has_covariates = np.ones(len(frame), dtype=bool)
        if covariates is not None:
            clash = [c for c in covariates.columns if c != "id" and c in frame.columns]
            if clash:
                raise SynthsurveyError(f"covariates column(s) {preview(clash)} clash with feature names")
            frame = frame.merge(covariates, on="id", how="left", validate="one_to_one", indicator=True)
            has_covariates = frame.pop("_merge").ne("left_only").to_numpy()
    else:
        frame = covariates.merge(item_feats, on=key, how="left", validate="many_to_one")
        no_draws = frame["llm_n_draws"].isna().to_numpy()
        pilot_ids = humans.loc[humans["item"] == item, "id"]
        exclusions.add(
            f"no LLM draws for their {key} on item {item!r}", no_draws, frame["id"].isin(pilot_ids).to_numpy()
        )
        excluded_ids = pd.Index(frame.loc[no_draws, "id"])
        frame = frame.loc[~no_draws].reset_index(drop=True)
        has_covariates = np.ones(len(frame), dtype=bool)
    if item in frame.columns:
        raise SynthsurveyError(f"item name {item!r} clashes with a covariate or feature column")
    answers = humans.loc[humans["item"] == item, ["id", RESPONSE]]
    known = answers["id"].isin(frame["id"])
    no_item_draws = int((~known & ~answers["id"].isin(excluded_ids)).sum())
    if no_item_draws:
        exclusions.rows.append({
            "reason": f"pilot respondents without LLM draws for item {item!r}",
            "n_rows": no_item_draws, "n_pilot": no_item_draws,
        })
    frame = frame.merge(answers.loc[known], on="id", how="left", validate="one_to_one")
    frame[IS_PILOT] = frame[RESPONSE].notna().to_numpy()
    return ItemFrame(frame, exclusions, has_covariates)


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
