"""The R bridge's Python side: frames go to R as the bytes of R's storage (NA as R's bit
patterns), and come from R as column specs pointing at R's memory (here: numpy buffers)."""

import numpy as np
import pandas as pd

from synthsurvey.interfaces.rbridge import NA_INTEGER, frame_from_spec, frame_to_spec, matrix_from_spec


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


def test_character_columns_arrive_as_sorted_categoricals_that_pandas_can_sort():
    """R's character codes (1-based, in order of first appearance) become a Categorical whose
    categories are sorted as Python sorts strings: sorting, grouping and merging on it give what the
    same column of Python strings gives (pandas 3 cannot sort Arrow dictionary arrays)."""
    codes = np.array([1, 2, NA_INTEGER, 3, 1], dtype="<i4")
    spec = {"names": ["id"], "nrow": 5, "columns": [
        {"kind": "character", "address": hex(codes.ctypes.data), "levels": ["R_b", "R_a", "Z"]}]}
    frame = frame_from_spec(spec)
    assert list(frame["id"].cat.categories) == ["R_a", "R_b", "Z"]
    assert frame["id"].tolist()[:2] == ["R_b", "R_a"] and pd.isna(frame["id"].iloc[2])
    strings = pd.Series(["R_b", "R_a", None, "Z", "R_b"], dtype=object)
    assert frame.sort_values("id")["id"].tolist()[:4] == strings.sort_values().tolist()[:4]
    merged = frame.merge(pd.DataFrame({"id": ["R_a", "Z"], "x": [1, 2]}), on="id", how="left")
    assert merged["x"].tolist()[1] == 1 and merged["x"].tolist()[3] == 2
    back = frame_to_spec(frame)["columns"][0]
    assert back["kind"] == "factor" and back["levels"] == ["R_a", "R_b", "Z"]


def test_dates_times_and_matrices_from_r():
    days = np.array([0.0, np.nan, 19783.0])
    seconds = np.array([1.5, 86400.0 * 19783 + 30, np.nan])
    spec = {"names": ["d", "t"], "nrow": 3, "columns": [
        {"kind": "date", "address": hex(days.ctypes.data)}, {"kind": "datetime", "address": hex(seconds.ctypes.data)}]}
    frame = frame_from_spec(spec)
    assert frame["d"].iloc[2] == pd.Timestamp("2024-03-01") and pd.isna(frame["d"].iloc[1])
    assert str(frame["t"].dt.tz) == "UTC" and frame["t"].iloc[1] == pd.Timestamp("2024-03-01 00:00:30", tz="UTC")
    kinds = [column["kind"] for column in frame_to_spec(frame)["columns"]]
    assert kinds == ["date", "datetime"]
    back = np.frombuffer(bytes(frame_to_spec(frame)["columns"][1]["data"]), dtype="<f8")
    np.testing.assert_array_equal(back[:2], seconds[:2])
    matrix = np.asfortranarray(np.arange(6, dtype=float).reshape(3, 2))
    design = matrix_from_spec({"address": hex(matrix.ctypes.data), "nrow": 3, "ncol": 2, "names": ["(Intercept)", "x"]})
    np.testing.assert_array_equal(design.to_numpy(), matrix)
    assert list(design.columns) == ["(Intercept)", "x"]
