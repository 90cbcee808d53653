"""Inferring an item's scale from the values seen, without guessing silently.

Integer values spanning at most ``MAX_INFERRED_LEVELS`` consecutive levels are ordinal (every
integer from the minimum to the maximum is a level, so an unobserved middle level is kept);
exactly {0, 1} is binary; anything else is continuous. Real survey files break that rule in a
few recognisable ways, and each is reported with the values at fault and how to declare the
scale (``ss.Scale(kind, levels, missing=...)``):

* values far outside the run of the others (99 or -9 beside 1..5: missing-value codes) are an
  error, since treating them as answers changes the estimand (a 5-point mean becomes 8);
* a value near the run but with unused levels between (8 beside 1..5) adds levels: a warning;
* levels outside the range of the other source (an LLM draw of 0 when humans answer 1..5, or a
  human level the LLM never drew beyond its range): a warning;
* a few non-integers among integers (a half point) make the item continuous: a warning.

Warnings are ``ScaleWarning`` (a ``SynthsurveyWarning``): ``warnings.simplefilter("error",
ss.ScaleWarning)`` turns them into errors. Each is also written into the scale's ``source``.
"""

import warnings

import numpy as np

from ..common.errors import ScaleSuggestion, ScaleWarning, SynthsurveyError, preview
from .scales import MAX_INFERRED_LEVELS, Scale, declared_scales


MIN_RANGE_COUNT = 30  # values a source needs before levels outside its range are reported


def value_counts(values):
    """(distinct values, their counts) of ``values`` (an array, or a (distinct, counts) pair
    already), NaN left out."""
    if values is None:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    if isinstance(values, tuple):
        distinct, counts = (np.asarray(part) for part in values)
        keep = ~np.isnan(distinct.astype(float)) & (counts > 0)
        return distinct[keep].astype(float), counts[keep]
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    return np.unique(values, return_counts=True)


def _without_codes(distinct, counts, missing):
    keep = np.ones(len(distinct), dtype=bool)
    for code in missing:
        keep &= ~np.isclose(distinct, code)
    return distinct[keep], counts[keep]


def _shown(values):
    return ", ".join(f"{v:g}" for v in values)


def _where(values, llm, human):
    """'in 12 human answers and 3 LLM draws' for the given values."""
    parts = []
    for name, (distinct, counts) in (("human answer(s)", human), ("LLM draw(s)", llm)):
        n = int(sum(counts[np.isclose(distinct, v)].sum() for v in values))
        if n:
            parts.append(f"{n} {name}")
    return " and ".join(parts)


def suggestion(item, levels, missing=(), every_item=False):
    """The ScaleSuggestion of ``item`` with ``levels`` and ``missing`` codes."""
    kind = "binary" if list(levels) == [0.0, 1.0] else "ordinal"
    return ScaleSuggestion(str(item), kind, tuple(float(v) for v in levels), tuple(float(v) for v in missing),
                           every_item)


def python_spelling(suggested):
    """A ScaleSuggestion in Python: ``scales={'q1': ss.Scale('ordinal', (1, 2, 3), missing=(99,))}``
    (and the every-item form when it applies)."""
    missing = suggested.missing
    codes = f", missing=({_shown(missing)}{',' if len(missing) == 1 else ''})" if missing else ""
    text = f"scales={{{suggested.item!r}: ss.Scale({suggested.kind!r}, ({_shown(suggested.levels)}){codes})}}"
    if suggested.every_item:
        text += f" (or scales={{'missing': [{_shown(missing)}]}} for every item)"
    return text


def _suggest(message, item, levels, missing, every_item=False):
    """A SynthsurveyError of ``message`` whose ``{}`` is the suggested declaration (see
    ``common.errors``), spelled in Python."""
    suggested = suggestion(item, levels, missing, every_item)
    spelled = python_spelling(suggested)
    return SynthsurveyError(message.format(spelled), suggested, spelled)


def _declaration(item, levels, missing=()):
    return python_spelling(suggestion(item, levels, missing))


def _runs(integers):
    """The runs of consecutive integers in sorted ``integers``, as a list of arrays."""
    breaks = np.flatnonzero(np.diff(integers) > 1) + 1
    return np.split(integers, breaks)


def infer(values, item, human_values=None, declared=None):
    """The Scale of ``item`` inferred from LLM ``values`` (an array, or (distinct, counts)) and
    ``human_values``; ``declared`` is a partial declaration (missing codes only) or None. Warns
    (``ScaleWarning``) or raises as the module docstring says."""
    missing = declared.missing if declared is not None else ()
    llm = _without_codes(*value_counts(values), missing)
    human = _without_codes(*value_counts(human_values), missing)
    distinct = np.union1d(llm[0], human[0])
    if distinct.size == 0:
        raise SynthsurveyError(f"item {item!r} has no non-missing responses to infer its scale from")
    if distinct.size < 2:
        raise SynthsurveyError(
            f"item {item!r} has a single level ({distinct[0]:g}) in the data: "
            "declare its scale with scales={...} or drop the item")
    findings = []
    integer = distinct == np.round(distinct)
    if integer.any() and not integer.all() and (~integer).sum() < integer.sum():
        odd = distinct[~integer]
        findings.append(
            f"value(s) {preview([float(v) for v in odd])} ({_where(odd, llm, human)}) are not whole numbers while "
            f"{int(integer.sum())} other values are: the item is inferred continuous; if they are errors or "
            f"codes, declare the scale, e.g. {_declaration(item, distinct[integer], odd)}")
    extras = np.zeros(0)
    if integer.all():
        runs = _runs(distinct)
        main = max(runs, key=lambda run: (len(run), sum(_where_count(run, llm, human))))
        far, near = [], []
        for run in runs:
            if len(run) >= len(main):  # only runs shorter than the main one look like codes
                continue
            unused = (main[0] - run[-1] if run[-1] < main[0] else run[0] - main[-1]) - 1
            (far if unused > len(main) else near).append(run)
        if far:
            far = np.concatenate(far)
            message = (f"item {item!r}: value(s) {_shown(far)} ({_where(far, llm, human)}) lie far outside the run of "
                       f"the other values {main[0]:g}..{main[-1]:g}: they look like missing-value codes (don't know / "
                       "refused). Declare them, e.g. {}; declare the item 'continuous' if they are answers")
            raise _suggest(message, item, main, far, every_item=True)
        if near:
            extras = np.concatenate(near)
            effect = ("they add levels" if distinct[-1] - distinct[0] + 1 <= MAX_INFERRED_LEVELS
                      else "the item is inferred continuous")
            findings.append(
                f"value(s) {_shown(extras)} ({_where(extras, llm, human)}) lie outside the run of the other values "
                f"{main[0]:g}..{main[-1]:g}, with unused levels between: "
                f"{effect}"
                f"; if they are missing-value codes declare them, e.g. {_declaration(item, main, extras)}")
        findings += _one_source_levels(item, llm, human, skip=extras)
        if distinct[-1] - distinct[0] + 1 <= MAX_INFERRED_LEVELS:
            levels = tuple(np.arange(distinct[0], distinct[-1] + 1))
            kind, how = ("binary", "values are 0/1") if levels == (0.0, 1.0) else \
                ("ordinal", f"integer values {distinct[0]:g}..{distinct[-1]:g}")
            return _report(Scale(kind, levels, _source(how, findings), missing, tuple(findings)), item, findings)
    how = f"{distinct.size} distinct values, not a short integer range"
    return _report(Scale("continuous", (), _source(how, findings), missing, tuple(findings)), item, findings)


def _where_count(run, llm, human):
    return [int(counts[np.isin(distinct, run)].sum()) for distinct, counts in (llm, human)]


def _one_source_levels(item, llm, human, skip=()):
    """Findings on levels one source uses outside the range of the other, except the values in
    ``skip`` (reported already). A source's range counts when it holds at least
    ``MIN_RANGE_COUNT`` values on 2 or more levels (a handful of answers says little about it)."""
    findings = []
    for name, mine, other, other_name in (("the LLM draws", llm, human, "the humans' answers"),
                                          ("the human answers", human, llm, "the LLM draws")):
        if len(mine[0]) == 0 or len(other[0]) < 2 or other[1].sum() < MIN_RANGE_COUNT:
            continue
        outside = mine[0][((mine[0] < other[0].min()) | (mine[0] > other[0].max())) & ~np.isin(mine[0], skip)]
        if len(outside):
            findings.append(
                f"level(s) {_shown(outside)} occur only in {name} ({_where(outside, llm, human)}), outside the "
                f"range {other[0].min():g}..{other[0].max():g} of {other_name}: the inferred levels include them; "
                "declare the scale (its levels and missing codes) if they are not levels")
    return findings


def _source(how, findings):
    return f"inferred: {how}" + (f" ({len(findings)} warning(s): see the scale's notes)" if findings else "")


def _report(scale, item, findings):
    for finding in findings:
        warnings.warn(f"item {item!r}: {finding}", ScaleWarning, stacklevel=4)
    return scale


def infer_scale(values, item, human_values=None, declared=None):
    """An item's scale inferred from its observed numeric responses; see ``infer``."""
    return infer(values, item, human_values, declared)


def resolve_scale(item, declared, values, human_values=None):
    """The Scale of ``item``: its complete declaration, else inferred from ``values`` (LLM draws)
    and ``human_values`` with the codes of a partial declaration left out."""
    if declared is not None and not declared.is_partial:
        return declared
    return infer(values, item, human_values, declared)


def resolve_scales(responses_by_item, declared=None, human_values=None):
    """Return ``{item: Scale}`` for every item, declared where given, else inferred.

    responses_by_item: mapping item -> array of responses (LLM draws, or all responses).
    declared: optional declarations (see ``scales.declared_scales``).
    human_values: optional mapping item -> human answers, inferred together with the draws.
    """
    declared = declared_scales(declared, responses_by_item, "the data")
    human_values = human_values or {}
    return {item: resolve_scale(item, declared.get(item), values, human_values.get(item))
            for item, values in responses_by_item.items()}
