"""Reading survey files as they come: CSV with any common delimiter, parquet, folders of either,
wide human files, Qualtrics exports. Every problem is a SynthsurveyError naming the file.

* ``read_table``: a CSV (compressed too: .gz, .bz2, .xz, .zip) whose delimiter (comma, semicolon,
  tab or bar) is sniffed, or a parquet file. A Qualtrics export (a question-text row and an
  ``{"ImportId": ...}`` row under the header) loses those two rows.
* ``read_samples``: a file, or a folder or glob of CSV files (read and stacked) or of parquet
  files (read lazily with Dask when installed, each file holding whole respondents). A folder
  mixing kinds, or holding neither, is an error that lists what it holds.
* ``read_humans``: long (id, item, response) or, with ``wide=True``, one column per item (melted;
  an empty cell is a missing answer, kept and counted by the fits). A wide file read as long is
  refused with a message that says so.
"""

import csv
import glob
import io
from pathlib import Path

import pandas as pd

from ..common.errors import SynthsurveyError, preview

DELIMITERS = ",;\t|"
CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zip", ".tsv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
SNIFF_BYTES = 1 << 16


def _kind(path):
    name = path.name.lower()
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(CSV_SUFFIXES) or name.endswith((".gz", ".bz2", ".xz", ".zip")):
        return "csv"
    return None


def _head(path):
    """The first bytes of a (possibly compressed) text file, decoded."""
    import bz2
    import gzip
    import lzma
    import zipfile

    name = path.name.lower()
    if name.endswith(".gz"):
        opener = gzip.open(path, "rb")
    elif name.endswith(".bz2"):
        opener = bz2.open(path, "rb")
    elif name.endswith(".xz"):
        opener = lzma.open(path, "rb")
    elif name.endswith(".zip"):
        archive = zipfile.ZipFile(path)
        opener = archive.open(archive.namelist()[0])
    else:
        opener = open(path, "rb")
    with opener as handle:
        return handle.read(SNIFF_BYTES).decode("utf-8-sig", errors="replace")


def sniff_delimiter(text):
    """The delimiter of CSV text among comma, semicolon, tab and bar (comma when unsure)."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        counts = {delimiter: lines[0].count(delimiter) for delimiter in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def read_table(path, what="file"):
    """A DataFrame from a CSV (delimiter sniffed) or parquet file; see the module docstring.
    what: how messages name the file (e.g. "humans file")."""
    path = Path(path)
    if not path.exists():
        raise SynthsurveyError(f"{what} {str(path)!r} does not exist")
    if path.is_dir():
        raise SynthsurveyError(f"{what} {str(path)!r} is a folder; give a CSV or parquet file")
    if path.stat().st_size == 0:
        raise SynthsurveyError(f"{what} {str(path)!r} is empty")
    kind = _kind(path) or "csv"
    try:
        if kind == "parquet":
            table = pd.read_parquet(path)
        else:
            table = _read_csv(path)
    except SynthsurveyError:
        raise
    except (ValueError, OSError, UnicodeDecodeError) as error:  # pandas' and pyarrow's parse errors
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise SynthsurveyError(f"cannot read {what} {str(path)!r} as {kind}: {first}") from None
    if len(table.columns) == 0:
        raise SynthsurveyError(f"{what} {str(path)!r} has no columns")
    if len(table) == 0:
        raise SynthsurveyError(f"{what} {str(path)!r} has a header but no rows")
    return table


def _read_csv(path):
    text = _head(path)
    if not text.strip():
        raise SynthsurveyError(f"file {str(path)!r} holds no text")
    delimiter = sniff_delimiter(text)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    qualtrics = len(rows) > 2 and any('"ImportId"' in cell or "{'ImportId'" in cell for cell in rows[2])
    try:
        return pd.read_csv(path, sep=delimiter, skiprows=[1, 2] if qualtrics else None)
    except pd.errors.EmptyDataError:
        raise SynthsurveyError(f"file {str(path)!r} has no columns") from None


def _files(spec):
    """(CSV files, parquet files, other files) of a folder or glob."""
    path = Path(spec)
    names = sorted(path.iterdir()) if path.is_dir() else sorted(Path(p) for p in glob.glob(str(spec)))
    names = [p for p in names if p.is_file() and not p.name.startswith(".")]
    kinds = {"csv": [], "parquet": [], None: []}
    for name in names:
        kinds[_kind(name)].append(name)
    return kinds["csv"], kinds["parquet"], kinds[None]


def read_samples(spec, lazy=True):
    """LLM samples from a file, or from a folder or glob of CSV or parquet files (see the module
    docstring). A parquet folder is read lazily with Dask when it is installed and ``lazy``."""
    path = Path(spec)
    is_many = path.is_dir() or any(ch in str(spec) for ch in "*?[")
    if not is_many:
        return read_table(spec, "samples file")
    csv_files, parquet_files, others = _files(spec)
    where = f"samples folder {str(spec)!r}"
    if csv_files and parquet_files:
        raise SynthsurveyError(f"{where} holds {len(csv_files)} CSV and {len(parquet_files)} parquet file(s) "
                               f"(e.g. {csv_files[0].name}, {parquet_files[0].name}): keep one kind")
    if not csv_files and not parquet_files:
        shown = f"; it holds {preview([p.name for p in others])}" if others else " (it is empty)"
        raise SynthsurveyError(f"{where} holds no CSV or parquet file{shown}")
    if parquet_files and lazy:
        try:
            import dask.dataframe as dd  # the optional dask extra reads folders lazily
        except ImportError:
            dd = None
        if dd is not None:
            return dd.read_parquet([str(p) for p in parquet_files])
    files = csv_files or parquet_files
    return pd.concat([read_table(p, "samples file") for p in files], ignore_index=True)


def read_humans(path, wide=False, id_column="id", items=None):
    """The human pilot as a long table (id, item, response); see the module docstring.
    id_column: the file's respondent id column (e.g. Qualtrics' ``ResponseId``), renamed ``id``.
    items: the items of the samples: a wide file's item columns (others are left out), and what
    a long read uses to recognise a wide file."""
    table = rename_id(read_table(path, "humans file"), id_column, "humans file", path)
    if wide:
        columns = [c for c in table.columns if c != "id" and (items is None or c in set(items))]
        if not columns:
            raise SynthsurveyError(f"humans file {str(path)!r} has no column named like an item of the samples "
                                   f"({preview(list(items or []))})")
        long = table.melt(id_vars="id", value_vars=columns, var_name="item", value_name="response")
        return long
    if "item" not in table.columns or "response" not in table.columns:
        named = [c for c in table.columns if items is not None and c in set(items)]
        if named:
            raise SynthsurveyError(
                f"humans file {str(path)!r} has no 'item' and 'response' columns but has column(s) named like items "
                f"({preview(named)}): it looks wide (one column per item); pass --wide (wide = true in a study file)")
        raise SynthsurveyError(f"humans file {str(path)!r} needs columns id, item, response (long) or one column "
                               f"per item with --wide; it has {preview(list(table.columns), 8)}")
    return table


def rename_id(table, id_column, what, path):
    """``table`` with its ``id_column`` named ``id``; an error when it has none."""
    if id_column not in table.columns:
        raise SynthsurveyError(f"{what} {str(path)!r} has no id column {id_column!r}; it has "
                               f"{preview(list(table.columns), 8)} (name the id column with --id-column)")
    if id_column != "id":
        if "id" in table.columns:
            raise SynthsurveyError(f"{what} {str(path)!r} has both {id_column!r} and 'id' columns")
        table = table.rename(columns={id_column: "id"})
    return table
