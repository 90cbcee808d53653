"""The R bridge's Python side: frames go to R as the bytes of R's storage (NA as R's bit
patterns), and come from R as column specs pointing at R's memory (here: numpy buffers)."""

import numpy as np
import pandas as pd

from synthsurvey.interfaces.rbridge import NA_INTEGER, frame_from_spec, frame_to_spec


def test_columns_to_r_keep_types_and_missing_values():
    frame = pd.DataFrame({"i": pd.array([1, None, 3], dtype="Int64"), "x": [1.5, np.nan, -2.0],
                          "b": pd.array([True, None, False], dtype="boolean"), "s": ["a", None, "c"],
                          "f": pd.Categorical(["lo", "hi", None], categories=["lo", "hi"], ordered=True)})
    spec = frame_to_spec(frame)
    kinds = {name: column["kind"] for name, column in zip(spec["names"], spec["columns"])}
    assert kinds == {"i": "integer", "x": "double", "b": "logical", "s": "character", "f": "factor"}
    integers = np.frombuffer(bytes(spec["columns"][0]["data"]), dtype="<i4")
    assert integers.tolist() == [1, NA_INTEGER, 3]
    factor = spec["columns"][4]
    assert np.frombuffer(bytes(factor["data"]), dtype="<i4").tolist() == [1, 2, NA_INTEGER]
    assert factor["levels"] == ["lo", "hi"] and factor["ordered"]


def test_columns_from_r_are_read_from_memory():
    values = np.array([3.0, np.nan, 1.0])
    codes = np.array([2, NA_INTEGER, 1], dtype="<i4")  # R factor codes are 1-based
    spec = {"names": ["x", "f"], "nrow": 3, "columns": [
        {"kind": "double", "address": hex(values.ctypes.data)},
        {"kind": "factor", "address": hex(codes.ctypes.data), "levels": ["a", "b"], "ordered": False}]}
    frame = frame_from_spec(spec)
    np.testing.assert_array_equal(frame["x"], values)
    assert frame["f"].tolist()[0] == "b" and pd.isna(frame["f"].tolist()[1]) and frame["f"].tolist()[2] == "a"
