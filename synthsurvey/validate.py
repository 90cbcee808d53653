"""Checks on the long tables users pass in; each failure names the column, id or value."""

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
    converted = pd.to_numeric(series, errors="coerce")
    bad = series[converted.isna() & series.notna()]
    if len(bad):
        raise SynthsurveyError(
            f"{name} column {column!r} must be numeric; non-numeric values: {preview(bad.unique())}"
        )
    return converted.to_numpy(dtype=float, na_value=np.nan)


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
