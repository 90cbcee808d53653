"""Reading files as they come: delimiters, compression, parquet, folders, wide and Qualtrics
files; every problem a SynthsurveyError naming the file."""

import json

import pandas as pd
import pytest

import synthsurvey as ss
from synthsurvey.io.readers import read_humans, read_samples, read_table

TABLE = pd.DataFrame({"id": ["R_3fGh", "R_9kLm", "R_2pQw"], "item": ["q1", "q1", "q1"], "response": [1.0, 99.0, 5.0]})


@pytest.mark.parametrize("delimiter, name", [(",", "a.csv"), (";", "b.csv"), ("\t", "c.tsv"), ("|", "d.txt"),
                                             (";", "e.csv.gz")])
def test_csv_delimiters_are_sniffed(tmp_path, delimiter, name):
    TABLE.to_csv(tmp_path / name, sep=delimiter, index=False)
    pd.testing.assert_frame_equal(read_table(tmp_path / name), TABLE)


def test_parquet_and_the_errors_name_the_file(tmp_path):
    TABLE.to_parquet(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(read_table(tmp_path / "t.parquet"), TABLE)
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("id,item,response\n")
    (tmp_path / "bad.parquet").write_text("not parquet")
    for name, message in (("nope.csv", "does not exist"), ("empty.csv", "is empty"),
                          ("header.csv", "has a header but no rows"), ("bad.parquet", "cannot read file .* as parquet")):
        with pytest.raises(ss.SynthsurveyError, match=f"'{tmp_path / name}' {message}" if "cannot" not in message
                           else message):
            read_table(tmp_path / name)


def test_a_qualtrics_export_loses_its_two_extra_header_rows(tmp_path):
    wide = pd.DataFrame({"ResponseId": ["R_3fGh", "R_9kLm"], "q1": [1, 99], "q2": [4, None]})
    rows = [["Response ID", "How much ...?", "How often ...?"],
            [json.dumps({"ImportId": c}) for c in ("_recordId", "QID1", "QID2")]]
    top = pd.DataFrame(rows, columns=wide.columns)
    pd.concat([top, wide.astype(object)]).to_csv(tmp_path / "export.csv", index=False)
    humans = read_humans(tmp_path / "export.csv", wide=True, id_column="ResponseId", items=["q1", "q2"])
    assert humans.to_dict("list") == {"id": ["R_3fGh", "R_9kLm", "R_3fGh", "R_9kLm"], "item": ["q1", "q1", "q2", "q2"],
                                      "response": [1.0, 99.0, 4.0, pytest.approx(float("nan"), nan_ok=True)]}


def test_a_wide_file_read_as_long_is_refused_with_the_remedy(tmp_path):
    pd.DataFrame({"id": [1, 2], "q1": [1, 2], "q2": [3, 4]}).to_csv(tmp_path / "wide.csv", index=False)
    with pytest.raises(ss.SynthsurveyError, match="has no 'item' and 'response' columns but has column\\(s\\) named "
                                                  "like items \\('q1', 'q2'\\): it looks wide .* pass --wide"):
        read_humans(tmp_path / "wide.csv", items=["q1", "q2"])


def test_folders_of_csv_or_parquet_but_not_both(tmp_path):
    folder = tmp_path / "draws"
    folder.mkdir()
    TABLE.iloc[:2].to_csv(folder / "part1.csv", index=False)
    TABLE.iloc[2:].to_csv(folder / "part2.csv", sep=";", index=False)
    pd.testing.assert_frame_equal(read_samples(folder), TABLE)
    TABLE.to_parquet(folder / "other.parquet")
    with pytest.raises(ss.SynthsurveyError, match="holds 2 CSV and 1 parquet file\\(s\\).*keep one kind"):
        read_samples(folder)
    (tmp_path / "none").mkdir()
    (tmp_path / "none" / "notes.md").write_text("x")
    with pytest.raises(ss.SynthsurveyError, match="holds no CSV or parquet file; it holds 'notes.md'"):
        read_samples(tmp_path / "none")
