"""What every R entry module shares (``rapi``, ``rquestionnaire``, ``rgroups``): frame specs in
(ids linked across tables as text, see ``link``), scale declarations as R sends them, and any
result out through ``result_spec`` (its tidy table, notes, keys and pickle). No statistics here."""

import pickle
import re
import warnings

import numpy as np
import pandas as pd

from ..common.errors import SynthsurveyError, SynthsurveyWarning, preview
from .rbridge import frame_from_spec, frame_to_spec

ROW = "_r_row"  # position (1-based) of each frame row's person in R's covariates


def from_spec(spec):
    """A pandas DataFrame from a frame spec (None stays None)."""
    return None if spec is None else frame_from_spec(spec)


def names(values):
    """R's character vector (one string or several) as a list of str; None stays None."""
    return None if values is None else [str(value) for value in np.atleast_1d(values)]


def _declaration(spec):
    """One scale declaration as R sends it: a string, numbers (levels), or a named list (a dict:
    kind, levels, missing) whose numbers come as a number or a list of them."""
    if isinstance(spec, str):
        return spec
    if isinstance(spec, dict):
        return {key: value if isinstance(value, str) else [float(v) for v in np.atleast_1d(value)]
                for key, value in spec.items()}
    return [float(v) for v in np.atleast_1d(spec)]


def scale_declarations(scales):
    """R's ``scales=`` as the core takes it (see ``featurize.scales.declared_scales``): a dict by
    item of declarations, or one declaration for every item (``list(missing = 99)`` from R)."""
    if scales is None:
        return None
    return {name: _declaration(spec) for name, spec in dict(scales).items()}


def estimate_options(options):
    """The options R sends to an estimator, in the types the core takes."""
    options = dict(options)
    for name in ("folds", "seed", "replications"):
        if name in options:
            options[name] = int(options[name])
    for name in ("weights", "pilot_weights"):
        if name in options and not isinstance(options[name], (str, type(None))):
            options[name] = np.asarray(options[name], dtype=float)
    if "by" in options and options["by"] is not None and not isinstance(options["by"], str):
        options["by"] = [str(name) for name in options["by"]]
    return options


# ids ------------------------------------------------------------------------------------------

def is_text(series):
    dtype = series.dtype.categories.dtype if isinstance(series.dtype, pd.CategoricalDtype) else series.dtype
    return not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))


def integer_text(values):
    """Integers from texts that are each the canonical text of one ("12", not "012" or "12.0");
    None when some text is not."""
    texts = pd.Series(values, dtype=object).astype(str)
    numbers = pd.to_numeric(texts, errors="coerce")
    if numbers.isna().any() or not np.all(np.mod(numbers, 1) == 0):
        return None
    numbers = numbers.astype(np.int64)
    return numbers.to_numpy() if (numbers.astype(str) == texts).all() else None


def number_text(series):
    """A numeric id column as text (object array): integers without a decimal point, NA as None."""
    values = series.to_numpy(dtype=float, na_value=np.nan)
    whole = np.isfinite(values) & (np.mod(values, 1) == 0)
    text = np.empty(len(values), dtype=object)
    text[whole] = values[whole].astype(np.int64).astype(str)
    text[~whole] = [None if np.isnan(v) else repr(float(v)) for v in values[~whole]]
    return text


def as_numbers(series):
    """A text id column whose every value is an integer's canonical text, as integers (a
    Categorical through its categories); None otherwise."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        numbers = integer_text(series.cat.categories)
        if numbers is None or series.isna().any():
            return None
        return pd.Series(numbers[series.cat.codes.to_numpy()], index=series.index)
    values = series.dropna().unique()
    numbers = integer_text(values)
    if numbers is None or series.isna().any():
        return None
    return series.map(dict(zip(values, numbers))).astype(np.int64)


def link(columns):
    """Make the id columns ``columns`` [(table name, frame, column)], which must hold the same ids,
    comparable: when some hold text and others numbers, the text becomes numbers if every text is
    an integer's canonical text, else the numbers become text; the ids must then match as text
    between the tables, or the error shows both."""
    present = [(name, frame, column) for name, frame, column in columns
               if frame is not None and column in frame.columns]
    if len({is_text(frame[column]) for _, frame, column in present}) < 2:
        return
    shown = {name: f"{column}: {'text' if is_text(frame[column]) else 'numbers'}, e.g. "
                   f"{preview(frame[column].dropna().unique()[:3])}" for name, frame, column in present}
    text = [(frame, column) for _, frame, column in present if is_text(frame[column])]
    converted = [as_numbers(frame[column]) for frame, column in text]
    if all(values is not None for values in converted):
        for (frame, column), values in zip(text, converted):
            frame[column] = values.to_numpy()
    else:
        for _, frame, column in present:
            if not is_text(frame[column]):
                frame[column] = number_text(frame[column])
            elif isinstance(frame[column].dtype, pd.CategoricalDtype):
                frame[column] = frame[column].astype(object).to_numpy()
    first_name, first, first_column = present[0]
    for name, frame, column in present[1:]:
        shared = pd.Index(first[first_column].dropna().unique()).intersection(pd.Index(frame[column].dropna().unique()))
        if len(shared) == 0:
            raise SynthsurveyError(f"the ids of {first_name} ({shown[first_name]}) and of {name} ({shown[name]}) "
                                   "do not match as text")


def linked_ids(samples, humans, covariates, key):
    """Make the id columns of the three tables comparable (see ``link``); returns None."""
    if key == "id":
        link([("samples", samples, "id"), ("humans", humans, "id"), ("covariates", covariates, "id")])
    else:
        link([("samples", samples, key), ("covariates", covariates, key)])
        link([("humans", humans, "id"), ("covariates", covariates, "id")])


def call_tables(samples, humans, covariates, key, row_numbers=False, features=None):
    """The tables of a call as pandas, ids linked (see ``link``); ``features`` (a feature table,
    standing in for the samples) is linked like them. With ``row_numbers``, covariates get the
    column ``_r_row``: each person's row in R's covariates."""
    samples, humans, covariates, features = (from_spec(table) for table in (samples, humans, covariates, features))
    if row_numbers and covariates is not None:
        covariates[ROW] = np.arange(1, len(covariates) + 1, dtype=np.int32)
    for draws in (samples, features):
        if draws is not None:
            linked_ids(draws, humans, covariates, key)
    return samples, humans, covariates, features


# results -----------------------------------------------------------------------------------------

def result_spec(result):
    """What R needs of any result: its tidy table (a frame spec), alpha, notes, the Python
    object and its pickle (which R keeps, to restore the object in a later session)."""
    table = result.table()
    return {"table": frame_to_spec(table), "alpha": result.alpha, "notes": list(result.notes),
            "keys": [str(key) for key in table.attrs.get("keys", ())], "py": result,
            "pickle": bytearray(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))}


def _r_numbers(values):
    """Numbers as R writes them: ``99``, ``c(8, 9)``, ``1:5`` for a run of whole numbers."""
    values = [float(v) for v in values]
    text = [f"{v:g}" for v in values]
    if len(values) > 2 and all(v.is_integer() for v in values) and values == [values[0] + i for i in range(len(values))]:
        return f"{text[0]}:{text[-1]}"
    return text[0] if len(text) == 1 else f"c({', '.join(text)})"


def r_spelling(suggested):
    """A ScaleSuggestion (``common.errors``) in R's syntax:
    ``scales = list(q1 = list(kind = "ordinal", levels = 1:5, missing = 99))`` (and the every-item
    form ``scales = list(missing = 99)`` when it applies)."""
    name = suggested.item if re.fullmatch(r"[A-Za-z][A-Za-z0-9._]*", suggested.item) else f"`{suggested.item}`"
    parts = [f'kind = "{suggested.kind}"', f"levels = {_r_numbers(suggested.levels)}"]
    if suggested.missing:
        parts.append(f"missing = {_r_numbers(suggested.missing)}")
    text = f"scales = list({name} = list({', '.join(parts)}))"
    if suggested.every_item and suggested.missing:
        text += f" (or scales = list(missing = {_r_numbers(suggested.missing)}) for every item)"
    return text


def with_warnings(function, *args):
    """Call ``function(*args)`` and return {"value": its value, "warnings": the messages of the
    SynthsurveyWarnings it raised}, which R raises as R warnings (class synthsurvey_warning);
    other warnings are shown as Python shows them (once per place, by its default filters)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SynthsurveyWarning)
        try:
            value = function(*args)
        except SynthsurveyError as error:
            if error.suggestion is None:
                raise
            raise SynthsurveyError(error.respelled(r_spelling)) from None
    messages = []
    for warning in caught:
        if issubclass(warning.category, SynthsurveyWarning):
            messages.append(str(warning.message))
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return {"value": value, "warnings": messages}
