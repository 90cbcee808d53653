"""Data-frame conversion between R and pandas for the R package.

The R package hosts Python through reticulate. reticulate's own data-frame conversion turns
an integer NA into -2147483648, a logical NA into True and a character NA into "NA", and
the Debian reticulate (1.28) cannot convert numpy 2 arrays at all; rpy2 inside a
reticulate-hosted Python crashes when R's garbage collector finalizes a Python object
while rpy2 has released the GIL. So each column travels as raw bytes of its R storage
(R ``writeBin``/``readBin`` on one side, ``numpy.frombuffer`` on the other: exact, NA bit
patterns included) plus its levels, and is rebuilt with its missing values:

| R                         | pandas                                       |
|---------------------------|----------------------------------------------|
| double                    | float64 (NA -> NaN)                          |
| integer                   | int32 (read in place), or nullable Int32 when it has NA |
| logical                   | bool, or nullable boolean when it has NA     |
| character                 | dictionary-encoded Arrow string (NA -> null) |
| factor / ordered factor   | Categorical (ordered kept; NA -> missing)    |
| Date                      | datetime64 (NA -> NaT)                       |

A frame spec is ``{"names": [...], "nrow": n, "columns": [column spec, ...]}`` and a column
spec ``{"kind": ..., "data": bytearray, "levels": [...], "ordered": bool}``.
"""

import numpy as np
import pandas as pd

from .errors import SynthsurveyError

NA_INTEGER = -2147483648


def frame_from_spec(spec):
    """A pandas DataFrame from an R frame spec (see module docstring)."""
    spec = dict(spec)
    names = list(spec["names"]) if spec["names"] is not None else []
    columns = spec["columns"]
    if isinstance(columns, dict):  # a one-column list arrives as its element
        columns = [columns]
    n_rows = int(spec["nrow"])
    data = {name: _column_from_spec(dict(column), n_rows) for name, column in zip(names, columns)}
    return pd.DataFrame(data, index=pd.RangeIndex(n_rows), copy=False)


def _levels(column):
    levels = column.get("levels")
    if levels is None:
        return []
    return [levels] if isinstance(levels, str) else list(levels)


def _column_from_spec(column, n_rows):
    kind = column["kind"]
    raw = column["data"]  # a bytearray: read in place
    if kind in ("double", "date"):
        values = np.frombuffer(raw, dtype="<f8", count=n_rows).copy()
        if kind == "date":
            return pd.to_datetime(values, unit="D", origin="unix")
        return values
    codes = np.frombuffer(raw, dtype="<i4", count=n_rows)  # read in place; R integers are 32-bit
    missing = codes == NA_INTEGER
    if kind == "integer":
        if missing.any():
            return pd.arrays.IntegerArray(np.where(missing, 0, codes).astype(np.int32), missing)
        return codes
    if kind == "logical":
        values = codes.astype(bool)
        return pd.arrays.BooleanArray(values, missing) if missing.any() else values
    levels = _levels(column)
    if kind == "factor":
        return pd.Categorical.from_codes(np.where(missing, -1, codes - 1), categories=levels,
                                         ordered=bool(column.get("ordered", False)))
    if kind == "character":
        import pyarrow as pa

        indices = pa.array(np.where(missing, 0, codes - 1).astype(np.int32), mask=missing)
        return pd.arrays.ArrowExtensionArray(pa.DictionaryArray.from_arrays(indices, pa.array(levels, pa.string())))
    raise SynthsurveyError(f"unknown column kind {kind!r}")


def frame_to_spec(frame):
    """An R frame spec from a pandas DataFrame (see module docstring)."""
    return {
        "names": [str(column) for column in frame.columns],
        "nrow": len(frame),
        "columns": [_column_to_spec(frame[column]) for column in frame.columns],
    }


def _int_bytes(values, missing):
    values = np.asarray(values, dtype=np.int64)
    return bytearray(np.where(missing, NA_INTEGER, values).astype("<i4").tobytes())


def _float_bytes(values):
    return bytearray(np.asarray(values, dtype="<f8").tobytes())


def _column_to_spec(series):
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        return {"kind": "factor", "data": _int_bytes(codes + 1, codes < 0),
                "levels": [_label(v) for v in dtype.categories], "ordered": bool(dtype.ordered)}
    if pd.api.types.is_datetime64_any_dtype(dtype):
        days = (series.dt.normalize() - pd.Timestamp(0)).dt.days.to_numpy(dtype=float, na_value=np.nan)
        return {"kind": "date", "data": _float_bytes(days)}
    if pd.api.types.is_bool_dtype(dtype):
        missing = series.isna().to_numpy()
        values = series.to_numpy(dtype=object, na_value=False).astype(bool).astype(np.int64)
        return {"kind": "logical", "data": _int_bytes(values, missing)}
    if pd.api.types.is_integer_dtype(dtype):
        missing = series.isna().to_numpy()
        values = series.to_numpy(dtype=np.float64, na_value=0)
        if np.any(np.abs(values) > 2**31 - 1):
            return {"kind": "double", "data": _float_bytes(np.where(missing, np.nan, values))}
        return {"kind": "integer", "data": _int_bytes(values.astype(np.int64), missing)}
    if pd.api.types.is_float_dtype(dtype):
        return {"kind": "double", "data": _float_bytes(series.to_numpy(dtype=float, na_value=np.nan))}
    codes, uniques = pd.factorize(series.astype(object).where(series.notna(), None), use_na_sentinel=True)
    return {"kind": "character", "data": _int_bytes(codes + 1, codes < 0), "levels": [str(u) for u in uniques]}


def _label(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
