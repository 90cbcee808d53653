"""One results protocol for everything synthsurvey returns.

Every result keeps one table of estimates (a row per term: ``estimate``, ``std_error`` and the
degrees of freedom ``df`` of its reference distribution, ``inf`` for the normal) and derives all
else from it:

* ``table(alpha)``: the tidy DataFrame ``term, estimate, std_error, statistic, p_value, ci_low,
  ci_high`` plus the columns the result needs (``item``, ``level``, ``method``, ``design``,
  ``n_labeled``, ``n_unlabeled``, ``n_effective``, ``lam``, ``df`` ...). ``statistic`` is
  estimate / std_error, ``p_value`` two-sided against 0, intervals estimate -+ q std_error with
  q the 1 - alpha/2 quantile of t(df) (normal when df is infinite).
* ``conf_int(alpha)``: ``ci_low, ci_high`` indexed by the row labels.
* ``summary()``: a printable ``Summary`` whose table *is* ``table()``'s, so names and numbers
  can never disagree.
* a short ``__repr__``.

Rows whose interval is not estimate -+ q std_error (a quantile's interval found by inverting a
CDF) carry their own ``ci_low``/``ci_high`` at the ``alpha`` they were computed with; asking for
another alpha is an error that says so. Rows of proportions may say ``interval="logit"``: their
interval is symmetric on the log-odds scale, expit(logit(p) -+ q std_error / (p (1 - p))) (the
delta method; ``survey::svyciprop(method = "logit")``), inside (0, 1) and at any alpha; an estimate
outside (0, 1) keeps estimate -+ q std_error.

Results are immutable: attributes are set while constructing and never after (``Frozen``).
"""

import numpy as np
import pandas as pd
import scipy.special
import scipy.stats

from .checks import check_alpha
from .errors import SynthsurveyError

TIDY_COLUMNS = ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]


def reference_distribution(df):
    """scipy's t distribution with ``df`` degrees of freedom, or the standard normal for df = inf."""
    return scipy.stats.norm() if not np.isfinite(df) else scipy.stats.t(df)


def critical_values(alpha, df):
    """The 1 - alpha/2 quantiles of t(df) (the normal where df is infinite), one per row."""
    df = np.broadcast_to(np.asarray(df, dtype=float), np.shape(df))
    normal = scipy.stats.norm.ppf(1 - alpha / 2)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(df), scipy.stats.t.ppf(1 - alpha / 2, np.where(np.isfinite(df), df, 1)),
                        normal)


def with_intervals(estimates, alpha, fixed_alpha=None):
    """``estimates`` (DataFrame with term, estimate, std_error, df and any other columns) with
    statistic, p_value, ci_low, ci_high added, in tidy column order. Rows that already hold
    ``ci_low``/``ci_high`` (intervals not of the form estimate -+ q se) keep them; they are valid
    only at ``fixed_alpha``."""
    alpha = check_alpha(alpha)
    table = estimates.copy()
    if "df" not in table.columns:
        table["df"] = np.inf
    estimate = table["estimate"].to_numpy(dtype=float)
    std_error = table["std_error"].to_numpy(dtype=float)
    df = table["df"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = np.where(std_error > 0, estimate / std_error, np.nan)
    p_value = np.full(len(table), np.nan)
    finite = np.isfinite(statistic)
    normal = finite & ~np.isfinite(df)
    p_value[normal] = 2 * scipy.stats.norm.sf(np.abs(statistic[normal]))
    student = finite & np.isfinite(df)
    p_value[student] = 2 * scipy.stats.t.sf(np.abs(statistic[student]), df[student])
    quantile = critical_values(alpha, df)
    low, high = estimate - quantile * std_error, estimate + quantile * std_error
    if "interval" in table.columns:
        logit = (table["interval"] == "logit").to_numpy() & (estimate > 0) & (estimate < 1) & np.isfinite(std_error)
        if logit.any():
            p = estimate[logit]
            centre, half = scipy.special.logit(p), quantile[logit] * std_error[logit] / (p * (1 - p))
            low[logit], high[logit] = scipy.special.expit(centre - half), scipy.special.expit(centre + half)
    if "ci_low" in table.columns:  # rows with their own interval
        own = table["ci_low"].notna().to_numpy() & ~np.isfinite(std_error)
        if own.any() and fixed_alpha is not None and abs(alpha - fixed_alpha) > 1e-12:
            terms = ", ".join(map(str, table.loc[own, "term"].tolist()[:3]))
            raise SynthsurveyError(
                f"the interval(s) of {terms} were computed at alpha={fixed_alpha:g} (they are not estimate "
                f"+- quantile x std_error); estimate again with alpha={alpha:g}")
        low = np.where(own, table["ci_low"].to_numpy(dtype=float), low)
        high = np.where(own, table["ci_high"].to_numpy(dtype=float), high)
    table["statistic"], table["p_value"], table["ci_low"], table["ci_high"] = statistic, p_value, low, high
    leading = [c for c in table.columns if c not in TIDY_COLUMNS and c in estimates.attrs.get("keys", ())]
    rest = [c for c in table.columns if c not in TIDY_COLUMNS and c not in leading]
    return table[leading + TIDY_COLUMNS + rest].reset_index(drop=True)


class Frozen:
    """Attributes are set in ``__init__`` and frozen by ``_freeze()``: results are immutable."""

    def __setattr__(self, name, value):
        if self.__dict__.get("_frozen", False):
            raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name!r}")
        object.__setattr__(self, name, value)

    def _freeze(self):
        object.__setattr__(self, "_frozen", True)


def format_number(value, digits=4):
    """A number as text with ``digits`` significant digits (integers as they are)."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return "NA"
        if np.isinf(value):
            return "Inf" if value > 0 else "-Inf"
        if float(value).is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.{digits}g}"
    return str(value)


def format_table(table, digits=4):
    """A DataFrame as aligned text, numbers to ``digits`` significant digits."""
    shown = table.copy()
    for column in shown.columns:
        shown[column] = [format_number(v, digits) for v in shown[column]]
    return shown.to_string(index=False)


class Summary:
    """A printable summary: a title, (label, value) lines, the result's ``table()`` and notes.

    ``table`` is exactly the result's ``table()`` (so the two cannot disagree); ``str()`` renders
    text and ``_repr_html_`` HTML. ``tables`` holds further named tables some results add."""

    def __init__(self, title, info, table, notes=(), tables=None, columns=None):
        self.title = title
        self.info = list(info)
        self.table = table
        self.notes = tuple(notes)
        self.tables = dict(tables or {})
        self.columns = columns  # the columns shown in text (all when None)

    def as_text(self, digits=4):
        lines = [self.title, "=" * len(self.title)]
        width = max((len(label) for label, _ in self.info), default=0)
        lines += [f"{label:<{width}}  {format_number(value, digits)}" for label, value in self.info]
        shown = self.table if self.columns is None else self.table[[c for c in self.columns if c in self.table]]
        if len(shown):
            lines += ["", format_table(shown, digits)]
        for name, table in self.tables.items():
            lines += ["", f"{name}:", format_table(table, digits)]
        if self.notes:
            lines += [""] + [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)

    def __str__(self):
        return self.as_text()

    __repr__ = __str__

    def _repr_html_(self):
        info = "".join(f"<tr><th>{label}</th><td>{format_number(value)}</td></tr>" for label, value in self.info)
        shown = self.table if self.columns is None else self.table[[c for c in self.columns if c in self.table]]
        parts = [f"<h4>{self.title}</h4><table>{info}</table>",
                 shown.to_html(index=False, float_format=lambda v: format_number(v))]
        for name, table in self.tables.items():
            parts.append(f"<p>{name}</p>" + table.to_html(index=False, float_format=lambda v: format_number(v)))
        parts += [f"<p>Note: {note}</p>" for note in self.notes]
        return "".join(parts)


class Result(Frozen):
    """Base of every result (see the module docstring).

    Subclasses call ``_set_estimates(estimates, alpha, notes)`` in their constructor with a
    DataFrame holding ``term``, ``estimate``, ``std_error`` and optionally ``df`` (default inf),
    row-specific ``ci_low``/``ci_high`` and any other columns; ``estimates.attrs["keys"]`` may name
    columns shown before ``term`` (e.g. ``item``, ``group``). They give ``_title()`` and
    ``_info()`` for the summary."""

    label_columns = ("term",)

    def _set_estimates(self, estimates, alpha, notes=()):
        self._estimates = estimates.reset_index(drop=True)
        self._estimates.attrs = dict(estimates.attrs)
        self.alpha = check_alpha(alpha)
        self.notes = tuple(notes)

    def table(self, alpha=None):
        """The tidy DataFrame (see the module docstring) with intervals at level 1 - ``alpha``
        (default: the alpha the result was made with)."""
        return with_intervals(self._estimates, self.alpha if alpha is None else alpha, self.alpha)

    def conf_int(self, alpha=None):
        """DataFrame (ci_low, ci_high) at level 1 - alpha, indexed by the row labels."""
        table = self.table(alpha)
        labels = [c for c in self.label_columns if c in table.columns]
        return table.set_index(labels)[["ci_low", "ci_high"]]

    def _title(self):
        return type(self).__name__

    def _info(self):
        return []

    def summary(self, alpha=None):
        """A printable Summary of ``table(alpha)``."""
        alpha = self.alpha if alpha is None else alpha
        info = self._info() + [("Confidence level", f"{100 * (1 - alpha):g}%")]
        return Summary(self._title(), info, self.table(alpha), self.notes)

    def _only_row(self, column):
        if len(self._estimates) != 1:
            raise SynthsurveyError(
                f"this result has {len(self._estimates)} rows; `{column}` describes a one-row result only: "
                "use .table()")
        return self.table()[column].iloc[0]

    def __repr__(self):
        return (f"<{type(self).__name__}: {len(self._estimates)} row(s), {100 * (1 - self.alpha):g}% intervals; "
                ".table(), .summary()>")


def single_row_property(column, kind=float):
    """A property reading ``column`` of a one-row result's table (an error for more rows)."""
    return property(lambda self: kind(self._only_row(column)),
                    doc=f"``{column}`` of a one-row result (use ``table()`` for several rows).")


def frame_or_empty(parts):
    """pd.concat of ``parts`` (DataFrames), or an empty DataFrame when there are none."""
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
