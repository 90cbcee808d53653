"""Data-frame conversion between R and pandas for the R package.

The R package hosts Python through reticulate. reticulate's own data-frame conversion turns
an integer NA into -2147483648, a logical NA into True and a character NA into "NA", and
the Debian reticulate (1.28) cannot convert numpy 2 arrays at all; rpy2 inside a
reticulate-hosted Python crashes when R's garbage collector finalizes a Python object
while rpy2 has released the GIL. So columns travel as their R storage, NA bit patterns
included, plus their levels, and are rebuilt here with their missing values:

* R to Python: each column spec holds the hexadecimal ``address`` of the R vector's data
  (the package's C helper ``ss_address``; character columns are first coded to integers by
  ``ss_string_codes``), and the values are copied from there into numpy. R never moves an
  object, and the R side keeps every such vector referenced until the call returns.
* Python to R: each column spec holds the bytes of its R storage (``data``, a bytearray
  that R reads with ``readBin``).

| R                         | pandas                                       |
|---------------------------|----------------------------------------------|
| double                    | float64 (NA -> NaN)                          |
| integer                   | int32, or nullable Int32 when it has NA      |
| logical                   | bool, or nullable boolean when it has NA     |
| character                 | dictionary-encoded Arrow string (NA -> null) |
| factor / ordered factor   | Categorical (ordered kept; NA -> missing)    |
| Date                      | datetime64 (NA -> NaT)                       |

A frame spec is ``{"names": [...], "nrow": n, "columns": [column spec, ...]}`` and a column
spec ``{"kind": ..., "address": hex (from R) or "data": bytearray (to R), "levels": [...],
"ordered": bool}``.
"""

import ctypes

import numpy as np
import pandas as pd

from ..common.errors import SynthsurveyError

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


def _storage(column, dtype, n_rows):
    """A copy of a column's R storage, read from the R vector's ``address``, as a numpy array
    of ``dtype``."""
    dtype = np.dtype(dtype)
    if n_rows == 0:
        return np.empty(0, dtype=dtype)
    memory = (ctypes.c_char * (n_rows * dtype.itemsize)).from_address(int(column["address"], 16))
    return np.frombuffer(memory, dtype=dtype, count=n_rows).copy()


def _column_from_spec(column, n_rows):
    kind = column["kind"]
    if kind in ("double", "date"):
        values = _storage(column, "<f8", n_rows)
        if kind == "date":
            return pd.to_datetime(values, unit="D", origin="unix")
        return values
    codes = _storage(column, "<i4", n_rows)  # R integers, logicals and factor codes are 32-bit
    missing = codes == NA_INTEGER
    if kind == "integer":
        if missing.any():
            codes[missing] = 0
            return pd.arrays.IntegerArray(codes, missing)
        return codes
    if kind == "logical":
        values = codes.astype(bool)
        return pd.arrays.BooleanArray(values, missing) if missing.any() else values
    levels = _levels(column)
    any_missing = bool(missing.any())
    if any_missing:
        codes[missing] = 1
    codes -= 1  # R codes are 1-based
    if kind == "factor":
        if any_missing:
            codes[missing] = -1
        return pd.Categorical.from_codes(codes, categories=levels, ordered=bool(column.get("ordered", False)))
    if kind == "character":
        import pyarrow as pa

        indices = pa.array(codes, mask=missing) if any_missing else pa.array(codes)
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
