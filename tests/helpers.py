"""Small helpers the tests share."""

import numpy as np
import pandas as pd


def long_samples(responses, item="q", ids=None):
    """A samples table from a (people, draws) array of responses."""
    responses = np.asarray(responses)
    n_people, n_draws = responses.shape
    ids = np.arange(1, n_people + 1) if ids is None else np.asarray(ids)
    return pd.DataFrame({
        "id": np.repeat(ids, n_draws),
        "item": item,
        "draw": np.tile(np.arange(n_draws), n_people),
        "response": responses.ravel(),
    })


def sent_by_r(frame, alive):
    """``frame`` as R sends it (a frame spec whose columns point at R's memory, here numpy buffers
    appended to ``alive``): numbers as doubles or integers, anything else as character codes."""
    columns = []
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_float_dtype(values):
            data, column = np.ascontiguousarray(values.to_numpy(dtype="<f8")), {"kind": "double"}
        elif pd.api.types.is_integer_dtype(values):
            data, column = np.ascontiguousarray(values.to_numpy(dtype="<i4")), {"kind": "integer"}
        else:
            codes, levels = pd.factorize(values.astype(str))
            data, column = np.ascontiguousarray(codes + 1, dtype="<i4"), {"kind": "character",
                                                                         "levels": list(levels)}
        alive.append(data)
        columns.append({**column, "address": hex(data.ctypes.data)})
    return {"names": list(frame.columns), "nrow": len(frame), "columns": columns}


def read_by_r(spec):
    """A frame spec going to R, read back as pandas (numbers and text)."""
    columns = {}
    for name, column in zip(spec["names"], spec["columns"]):
        if column["kind"] in ("double", "date", "datetime"):
            columns[name] = np.frombuffer(bytes(column["data"]), dtype="<f8")
            continue
        codes = np.frombuffer(bytes(column["data"]), dtype="<i4")
        if column["kind"] in ("character", "factor"):
            levels = np.array(column["levels"] + [None], dtype=object)
            columns[name] = levels[np.where(codes > 0, codes - 1, len(levels) - 1)]
        else:
            columns[name] = codes
    return pd.DataFrame(columns)
