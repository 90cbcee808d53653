"""Checks of user input (tables and arguments); each failure names the column, id or value."""

import numpy as np
import pandas as pd

from .errors import SynthsurveyError, preview, show


def require_frame(frame, name):
    """Raise unless ``frame`` is a pandas DataFrame."""
    if not isinstance(frame, pd.DataFrame):
        raise SynthsurveyError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")


def require_columns(frame, columns, name):
    """Raise naming every column of ``columns`` that ``frame`` (called ``name``) lacks."""
    require_frame(frame, name)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SynthsurveyError(
            f"{name} is missing column(s) {preview(missing)}; it has {preview(list(frame.columns), 12)}"
        )


def numeric_values(frame, column, name):
    """Return ``frame[column]`` as a numeric numpy array, raising on non-numeric values."""
    series = frame[column]
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(series.cat.categories.dtype)
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=np.int8)
    if pd.api.types.is_numeric_dtype(series.dtype):
        if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iu":
            return series.to_numpy()
        return series.to_numpy(dtype=float, na_value=np.nan)
    converted = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    # NaN, not only null: an Arrow-backed column (the R bridge's text columns) coerces to NaN
    bad = series[np.isnan(converted) & series.notna().to_numpy()]
    if len(bad):
        raise SynthsurveyError(
            f"{name} column {column!r} must be numeric; non-numeric values: {preview(bad.unique())}"
        )
    return converted


def reject_missing(values, frame, column, name, id_columns):
    """Raise if ``values`` (the numeric ``frame[column]``) has NaN, naming the rows' ids."""
    if values.dtype.kind != "f":
        return
    missing = np.isnan(values)
    if missing.any():
        rows = frame.loc[missing, id_columns].head(5)
        where = "; ".join(
            ", ".join(f"{c}={show(row[c])}" for c in id_columns) for _, row in rows.iterrows()
        )
        raise SynthsurveyError(
            f"{name} column {column!r} has {int(missing.sum())} missing value(s), e.g. at {where}; "
            "drop or impute them before calling synthsurvey"
        )


def reject_duplicates(frame, columns, name):
    """Raise if ``frame`` repeats a combination of ``columns``, naming one example."""
    duplicated = frame.duplicated(subset=columns, keep=False)
    if duplicated.any():
        example = frame.loc[duplicated, columns].iloc[0]
        where = ", ".join(f"{c}={show(example[c])}" for c in columns)
        raise SynthsurveyError(
            f"{name} has {int(duplicated.sum())} rows that repeat a ({', '.join(columns)}) "
            f"combination, e.g. {where}"
        )


def check_alpha(alpha):
    """Return ``alpha`` as a float, raising unless it lies strictly between 0 and 1 (0.05 gives
    95% intervals)."""
    try:
        value = float(alpha)
    except (TypeError, ValueError):
        raise SynthsurveyError(f"alpha must be a number between 0 and 1, got {alpha!r}") from None
    if not 0 < value < 1:
        raise SynthsurveyError(
            f"alpha must lie strictly between 0 and 1 (alpha=0.05 gives 95% intervals), got {alpha!r}"
        )
    return value


def as_names(by, argument="by"):
    """``by`` as a tuple of column names: None -> (), a name -> (name,), a list of names -> tuple."""
    if by is None:
        return ()
    if isinstance(by, str):
        return (by,)
    try:
        names = tuple(by)
    except TypeError:
        raise SynthsurveyError(f"{argument} must be a column name or a list of names, got {by!r}") from None
    bad = [name for name in names if not isinstance(name, str)]
    if bad:
        raise SynthsurveyError(f"{argument} must hold column names (strings), got {preview(bad)}")
    return names


def check_count(value, name, minimum=1):
    """Return ``value`` as an int, raising unless it is a whole number >= ``minimum``."""
    if isinstance(value, bool) or not float(value).is_integer() or int(value) < minimum:
        raise SynthsurveyError(f"{name} must be a whole number of at least {minimum}, got {value!r}")
    return int(value)
