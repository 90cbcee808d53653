"""Reader for the distributional-alignment benchmark's files (Meister, Guestrin & Hashimoto 2024,
"Benchmarking Distributional Alignment of Large Language Models"): per (question, human group)
the group's answer distribution beside an LLM's estimate of it, for several models, elicitation
methods and steerings. The caller gives the folder; nothing of the data is bundled (it has no
license).

Both readers return cells in the long format of ``groups.group_cells`` (item, group, level,
human_prob, llm_prob, n_human, ...) plus the setting columns model, method, steering, so that
``groups.alignment_curve(cells, by=SETTING_COLUMNS)`` evaluates every setting.

OpinionQA (``load_opinionqa``) is put on the questions' ordinal scale: ``opinionqa_questions.csv``
gives each option's ordinal position (``option_ordinal``, in the order of ``options_pew_order``).
The levels of a question are its options at whole positions 1..k; options after the ordinal list
("Refused", "Not sure") are refusals and options at half positions (2.5: "Neither helping nor
hurting") are midpoints: neither is a level, both are left out of the pmfs and counted per cell
(respondents for the humans, stated probability for the LLM). Questions whose positions are not
1..k (every option at 1: unordered choices) are nominal and left out. The questions file holds
only 18 of the benchmark's 100 questions (its other rows are other questions); a question it
lacks takes the positions of the file's questions with exactly its options when they all agree
(a battery's shared answer scale: 43 questions), and the 38 others, which have no scale in the
file, are left out: 60 ordinal questions in all. The LLM's probabilities on the levels are
rescaled to sum to 1 (verbalized and logprob distributions rarely sum to 1 over the options).

GlobalOpinionQA (``load_globalopinionqa``) has no ordinal mapping: ``globalvalues_questions.csv``
lists each question's options (the union of the countries' answer lists, in source order) and
nothing orders them, so its cells are on a nominal scale (``level`` = the option's position in
that list, meaningless as an order) and are to be compared with a nominal metric
(``metric="tv_similarity"`` in ``groups``). Non-answers (don't know, no answer, refused, missing)
are left out and their shares counted.
"""

import ast
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..common.errors import SynthsurveyError, preview
from ..common.checks import require_columns

SETTING_COLUMNS = ["model", "method", "steering"]

OPINIONQA_FILES = {
    "questions": "opinionqa_questions.csv",
    "counts": "opinionqa_human_group_counts.csv",
    "distributions": "opinionqa_llm_vs_human_distributions.csv.gz",
}
GLOBALOPINIONQA_FILES = {
    "questions": "globalvalues_questions.csv",
    "distributions": "globalvalues_llm_vs_human_distributions.csv.gz",
}

# GlobalOpinionQA options that are not answers to the question (matched case-insensitively)
NON_ANSWER = re.compile(r"^(don'?t know|dk/refused|refused|no answer|not sure|(other )?missing\b)", re.IGNORECASE)


def _file(folder, name):
    path = Path(folder) / name
    if not path.exists():
        raise SynthsurveyError(f"the benchmark folder {str(folder)!r} has no {name!r}")
    return path


def _select(table, column, values, name):
    if values is None:
        return table
    values = [values] if isinstance(values, str) else list(values)
    unknown = sorted(set(values) - set(table[column].unique()))
    if unknown:
        raise SynthsurveyError(f"{name} {preview(unknown)} not in the benchmark; it has "
                               f"{preview(sorted(table[column].unique()), 12)}")
    return table[table[column].isin(values)]


def _question_scales(folder):
    """The questions file's scales: {qid: [(option, position or NaN)]} and {frozenset of
    options: positions by option} for the option sets whose questions all agree."""
    questions = pd.read_csv(_file(folder, OPINIONQA_FILES["questions"]))
    require_columns(questions, ["qid", "options_pew_order", "option_ordinal", "option_mapping"],
                    OPINIONQA_FILES["questions"])
    by_question, by_options, conflicts = {}, {}, set()
    for record in questions.itertuples(index=False):
        options = ast.literal_eval(record.options_pew_order)
        positions = [float(p) for p in ast.literal_eval(record.option_ordinal)]
        labels = list(ast.literal_eval(record.option_mapping).values())
        if labels != options or len(positions) > len(options):
            raise SynthsurveyError(f"question {record.qid!r}: option_mapping, options_pew_order and "
                                   "option_ordinal disagree")
        scale = [(option, positions[i] if i < len(positions) else np.nan) for i, option in enumerate(options)]
        if by_question.get(record.qid, scale) != scale:
            raise SynthsurveyError(f"the questions file gives question {record.qid!r} two scales")
        by_question[record.qid] = scale
        key = frozenset(options)
        if key in by_options and by_options[key] != dict(scale):
            conflicts.add(key)
        by_options.setdefault(key, dict(scale))
    return by_question, {key: value for key, value in by_options.items() if key not in conflicts}


def opinionqa_levels(folder, borrow=True, midpoints="drop"):
    """One row per option of each OpinionQA benchmark question (the questions of
    ``opinionqa_human_group_counts.csv``): item, option, position (the questions file's ordinal
    position), level (1..k for the levels, NaN otherwise), kind and mapping.

    kind: "level"; "midpoint" (a half position, e.g. 2.5 for "Neither helping nor hurting");
    "refusal" (an option after the ordinal list: Refused, Not sure); "nominal" (every option of a
    question whose whole positions are not 1..k, e.g. all 1: unordered choices);
    "unmapped" (no scale for the question, see mapping).

    mapping: where the positions come from. "question": the questions file has the question.
    "option set": it does not (it lists only some of the benchmark's questions), but a question
    of the file has exactly the same options (a battery's shared answer scale) and every such
    question gives them the same positions; used when ``borrow`` is true. NaN: neither.

    midpoints: "drop" (default: midpoints are not levels) or "level" (a midpoint is a level in
    its place in the order; levels are then ranks, equally spaced as opinion alignment assumes).
    """
    if midpoints not in ("drop", "level"):
        raise SynthsurveyError(f"midpoints must be 'drop' or 'level', got {midpoints!r}")
    by_question, by_options = _question_scales(folder)
    counts = pd.read_csv(_file(folder, OPINIONQA_FILES["counts"]), usecols=["qid", "option"])
    rows = []
    for item, observed in counts.groupby("qid", sort=True)["option"]:
        observed = list(dict.fromkeys(observed))
        if item in by_question:
            scale, mapping = by_question[item], "question"
        elif borrow and frozenset(observed) in by_options:
            scale, mapping = list(by_options[frozenset(observed)].items()), "option set"
        else:
            scale, mapping = [(option, np.nan) for option in sorted(observed)], np.nan
        unlisted = sorted(set(observed) - {option for option, _ in scale})
        if unlisted:
            raise SynthsurveyError(f"item {item!r} has options its scale does not list: {preview(unlisted)}")
        positions = [position for _, position in scale if not np.isnan(position)]
        whole = sorted(position for position in positions if position == int(position))
        ordinal = len(whole) >= 2 and whole == list(range(1, len(whole) + 1))
        ranked = sorted(positions if midpoints == "level" else whole)
        for option, position in scale:
            if isinstance(mapping, float):
                kind = "unmapped"
            elif not ordinal:
                kind = "nominal"
            elif np.isnan(position):
                kind = "refusal"
            elif position == int(position) or midpoints == "level":
                kind = "level"
            else:
                kind = "midpoint"
            rows.append({"item": item, "option": option, "position": position,
                         "level": ranked.index(position) + 1 if kind == "level" else np.nan,
                         "kind": kind, "mapping": mapping})
    return pd.DataFrame(rows)


def _human_opinionqa(folder, levels):
    """Per (attribute, group, item): level counts and the respondents on refusals / midpoints."""
    counts = pd.read_csv(_file(folder, OPINIONQA_FILES["counts"]))
    require_columns(counts, ["qid", "attribute", "group", "option", "count"], OPINIONQA_FILES["counts"])
    counts = counts.rename(columns={"qid": "item"}).merge(levels, on=["item", "option"], how="left")
    unknown = counts[counts["kind"].isna()]
    if len(unknown):
        raise SynthsurveyError(f"{OPINIONQA_FILES['counts']} has options the questions file does not list, "
                               f"e.g. {preview(unknown['option'].unique())} (item {unknown['item'].iloc[0]!r})")
    keys = ["attribute", "group", "item"]
    by_kind = counts.pivot_table(index=keys, columns="kind", values="count", aggfunc="sum", fill_value=0)
    by_kind = by_kind.reindex(columns=["level", "refusal", "midpoint"], fill_value=0)
    summary = pd.DataFrame({"n_human": by_kind["level"], "n_human_refused": by_kind["refusal"],
                            "n_human_midpoint": by_kind["midpoint"]}).reset_index()
    on_levels = counts[counts["kind"] == "level"].groupby(keys + ["level"], as_index=False)["count"].sum()
    return on_levels, summary


def load_opinionqa(folder, steering=("persona",), models=None, methods=None, borrow=True, midpoints="drop",
                   dropped=False):
    """OpinionQA cells on the questions' ordinal scale, one row per (setting, item, group, level):
    model, method, steering, attribute, item, group, level (1..k), option, human_prob, llm_prob,
    n_human, n_human_refused, n_human_midpoint (respondents), llm_mass, llm_refused, llm_midpoint
    (the LLM's stated probability on the levels, refusals and midpoints, before its pmf over the
    levels is rescaled to sum to 1).

    folder: the benchmark folder (``opinionqa_questions.csv``, ``opinionqa_human_group_counts.csv``,
    ``opinionqa_llm_vs_human_distributions.csv.gz``). steering, models, methods: which settings to
    read (None: all). borrow, midpoints: how options get levels (see ``opinionqa_levels``).
    Human pmfs are the group's respondent counts on the levels (the source's
    ``human_prob`` is the same counts over every option). Steering "none" asks for no group: its
    one LLM pmf per question is paired with every group's human pmf (the groups of the persona
    cells), so it measures the unsteered model against each group.

    Cells left out whole are listed, with dropped=True, in a second table returned beside the
    cells (setting, attribute, item, group, reason; ``dropped_summary`` counts them): the items of
    nominal questions and of questions without a scale, cells whose source options are
    unlabelled, and cells where the LLM put no probability on any level.
    """
    folder = Path(folder)
    levels = opinionqa_levels(folder, borrow=borrow, midpoints=midpoints)
    human_levels, human_summary = _human_opinionqa(folder, levels)
    table = pd.read_csv(_file(folder, OPINIONQA_FILES["distributions"]))
    require_columns(table, SETTING_COLUMNS + ["attribute", "group", "qid", "letter", "option", "llm_prob"],
                    OPINIONQA_FILES["distributions"])
    table = table.rename(columns={"qid": "item"})
    for column, values in (("steering", steering), ("model", models), ("method", methods)):
        table = _select(table, column, values, column)
    cell_keys = SETTING_COLUMNS + ["attribute", "group", "item"]
    left_out = []

    def drop(frame, reason):
        for record in frame[cell_keys].drop_duplicates().to_dict("records"):
            left_out.append({**record, "reason": reason})

    unlabelled = table["option"].isna().groupby([table[c] for c in cell_keys]).transform("any")
    drop(table[unlabelled], "the source's options are unlabelled")
    table = table[~unlabelled].merge(levels[["item", "option", "kind", "level"]], on=["item", "option"], how="left")
    unknown = table[table["kind"].isna()]
    if len(unknown):
        raise SynthsurveyError(f"{OPINIONQA_FILES['distributions']} has options the questions file does not list, "
                               f"e.g. {preview(unknown['option'].unique())} (item {unknown['item'].iloc[0]!r})")
    for kind, reason in (("nominal", "nominal question (its ordinal positions are not 1..k)"),
                         ("unmapped", "no scale for the question in the questions file")):
        drop(table[table["kind"] == kind], reason)
    table = table[~table["kind"].isin(["nominal", "unmapped"])]
    repeated = table.duplicated(cell_keys + ["option"], keep=False)
    if repeated.any():
        example = table[repeated].iloc[0]
        raise SynthsurveyError(f"{OPINIONQA_FILES['distributions']} repeats option {example['option']!r} of item "
                               f"{example['item']!r}, group {example['group']!r}")

    by_kind = table.pivot_table(index=cell_keys, columns="kind", values="llm_prob", aggfunc="sum", fill_value=0.0)
    by_kind = by_kind.reindex(columns=["level", "refusal", "midpoint"], fill_value=0.0)
    llm_summary = pd.DataFrame({"llm_mass": by_kind["level"], "llm_refused": by_kind["refusal"],
                                "llm_midpoint": by_kind["midpoint"]}).reset_index()
    empty = llm_summary["llm_mass"] <= 0
    drop(llm_summary[empty], "the LLM put no probability on any level")
    llm_summary = llm_summary[~empty]

    # every level of the item in every cell (an option a group's prompt did not list has 0)
    grid = llm_summary.merge(levels.loc[levels["kind"] == "level", ["item", "level", "option"]], on="item")
    on_levels = table[table["kind"] == "level"][cell_keys + ["level", "llm_prob"]]
    cells = grid.merge(on_levels, on=cell_keys + ["level"], how="left")
    cells["llm_prob"] = cells["llm_prob"].fillna(0.0) / cells["llm_mass"]

    # steering "none": its cells (filed under Democrat) become one cell per human group
    groups = table.loc[table["steering"] != "none", ["attribute", "group"]].drop_duplicates()
    if groups.empty:
        groups = pd.read_csv(_file(folder, OPINIONQA_FILES["distributions"]),
                             usecols=["steering", "attribute", "group"])
        groups = groups.loc[groups["steering"] != "none", ["attribute", "group"]].drop_duplicates()
    unsteered = cells["steering"] == "none"
    if unsteered.any():
        crossed = cells[unsteered].drop(columns=["attribute", "group"]).merge(groups, how="cross")
        cells = pd.concat([cells[~unsteered], crossed], ignore_index=True)

    keys = ["attribute", "group", "item"]
    cells = cells.merge(human_summary, on=keys, how="left").merge(human_levels, on=keys + ["level"], how="left")
    no_humans = cells["n_human"].isna() | (cells["n_human"] <= 0)
    drop(cells[no_humans], "no respondent of the group answered on a level")
    cells = cells[~no_humans].copy()
    cells["count"] = cells["count"].fillna(0.0)
    cells["human_prob"] = cells["count"] / cells["n_human"]
    cells["level"] = cells["level"].astype(int)
    for column in ("n_human", "n_human_refused", "n_human_midpoint"):
        cells[column] = cells[column].astype(int)
    columns = SETTING_COLUMNS + ["attribute", "item", "group", "level", "option", "human_prob", "llm_prob",
                                 "n_human", "n_human_refused", "n_human_midpoint", "llm_mass", "llm_refused",
                                 "llm_midpoint"]
    cells = cells[columns].sort_values(SETTING_COLUMNS + ["item", "group", "level"]).reset_index(drop=True)
    if dropped:
        return cells, pd.DataFrame(left_out, columns=cell_keys + ["reason"])
    return cells


def globalopinionqa_options(folder):
    """One row per option of each GlobalOpinionQA question: item, option, level (its position
    in the question's option list, 1..K: an index, not an order) and kind ("answer", or
    "non_answer" for don't know / no answer / refused / missing)."""
    questions = pd.read_csv(_file(folder, GLOBALOPINIONQA_FILES["questions"]))
    require_columns(questions, ["qid", "options"], GLOBALOPINIONQA_FILES["questions"])
    rows = []
    for record in questions.itertuples(index=False):
        for index, option in enumerate(str(record.options).split("|")):
            rows.append({"item": record.qid, "option": option, "level": index + 1,
                         "kind": "non_answer" if NON_ANSWER.match(option.strip()) else "answer"})
    return pd.DataFrame(rows)


def load_globalopinionqa(folder, steering=("persona",), models=None, methods=None, dropped=False):
    """GlobalOpinionQA cells on a nominal scale (no ordinal mapping exists for these questions),
    one row per (setting, item, country, answer option): model, method, steering, item, group
    (the country), level (the option's index), option, human_prob, llm_prob, human_non_answer,
    llm_mass, llm_non_answer (shares before the answers' pmfs are rescaled to sum to 1).

    The source's letters A, B, ... index the question's option list. Cells the source files twice
    (one model/method has records assigned to the same country twice) are ambiguous and left out,
    as are cells with no human or no LLM probability on an answer; with dropped=True they are
    listed in a second table returned beside the cells. Compare these cells with a nominal
    metric (``tv_similarity``)."""
    folder = Path(folder)
    options = globalopinionqa_options(folder)
    table = pd.read_csv(_file(folder, GLOBALOPINIONQA_FILES["distributions"]))
    require_columns(table, SETTING_COLUMNS + ["country", "qid", "letter", "llm_prob", "human_prob"],
                    GLOBALOPINIONQA_FILES["distributions"])
    table = table.rename(columns={"qid": "item", "country": "group"})
    for column, values in (("steering", steering), ("model", models), ("method", methods)):
        table = _select(table, column, values, column)
    table["level"] = table["letter"].map(lambda letter: ord(letter) - ord("A") + 1)
    table = table.merge(options, on=["item", "level"], how="left")
    if table["kind"].isna().any():
        bad = table[table["kind"].isna()].iloc[0]
        raise SynthsurveyError(f"letter {bad['letter']!r} of item {bad['item']!r} is beyond its option list")
    cell_keys = SETTING_COLUMNS + ["item", "group"]
    left_out = []

    def drop(frame, reason):
        for record in frame[cell_keys].drop_duplicates().to_dict("records"):
            left_out.append({**record, "reason": reason})

    repeated = table.duplicated(cell_keys + ["letter"], keep=False)
    repeated = repeated.groupby([table[c] for c in cell_keys]).transform("any")
    drop(table[repeated], "the source files the cell twice")
    table = table[~repeated]
    answers = table["kind"] == "answer"
    mass = table.assign(llm_answer=table["llm_prob"].where(answers, 0.0),
                        human_answer=table["human_prob"].where(answers, 0.0),
                        llm_non=table["llm_prob"].where(~answers, 0.0),
                        human_non=table["human_prob"].where(~answers, 0.0))
    summary = mass.groupby(cell_keys, as_index=False).agg(
        llm_mass=("llm_answer", "sum"), human_mass=("human_answer", "sum"),
        llm_non_answer=("llm_non", "sum"), human_non_answer=("human_non", "sum"))
    empty = (summary["llm_mass"] <= 0) | (summary["human_mass"] <= 0)
    drop(summary[empty], "no human or no LLM probability on an answer")
    summary = summary[~empty]
    cells = table[answers].merge(summary, on=cell_keys)
    cells["llm_prob"] = cells["llm_prob"] / cells["llm_mass"]
    cells["human_prob"] = cells["human_prob"] / cells["human_mass"]
    columns = SETTING_COLUMNS + ["item", "group", "level", "option", "human_prob", "llm_prob",
                                 "human_non_answer", "llm_mass", "llm_non_answer"]
    cells = cells[columns].sort_values(SETTING_COLUMNS + ["item", "group", "level"]).reset_index(drop=True)
    if dropped:
        return cells, pd.DataFrame(left_out, columns=cell_keys + ["reason"])
    return cells


def dropped_summary(dropped):
    """Counts of the cells a loader left out (its second table with dropped=True), by setting
    and reason."""
    return dropped.groupby(SETTING_COLUMNS + ["reason"], as_index=False).size().rename(columns={"size": "cells"})
