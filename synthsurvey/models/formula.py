"""Formula handling: the only module that imports patsy.

A debiasing formula reads ``item ~ rhs``: the left-hand side names an item
(``Q("item name")`` for names that are not identifiers), ``llm_*`` names on the
right are that item's draw features, other names are covariates. ``llm_mean[src]``,
``llm_mean[q2]`` and ``llm_mean[q2, src]`` name a feature of another source or item (see
``references``; they reach patsy as ``Q('<column>')`` and come back readable in term names), and
``llm_auto`` the draw features chosen by cross-validation (see ``selection``).
"""

import ast
from dataclasses import dataclass

import numpy as np
import pandas as pd
import patsy
import scipy.linalg

from ..common.errors import SynthsurveyError, preview
from . import references as refs

FORMULA_NAMESPACE = {
    "np": np, "log": np.log, "log1p": np.log1p, "exp": np.exp, "sqrt": np.sqrt, "abs": np.abs,
}
PATSY_BUILTINS = {"C", "I", "Q", "center", "standardize", "scale", "bs", "cr", "cc", "te",
                  "Treatment", "Sum", "Helmert", "Poly", "Diff", "Ref"}


@dataclass(frozen=True)
class FormulaSpec:
    """A parsed ``item ~ rhs`` formula: the item, the right-hand side and the data
    columns it reads (``llm_features`` and ``covariates``), in order of appearance."""

    formula: str
    item: str
    rhs: str
    llm_features: tuple
    covariates: tuple
    has_intercept: bool
    categorical: tuple = ()  # columns wrapped in C(...): coded as categories whatever their type
    references: tuple = ()  # bracket references (references.Reference), in order of appearance
    auto: tuple = ()  # the llm_auto terms (column names: "llm_auto", "llm_auto[src]" ...)


def parse(formula):
    """Return a FormulaSpec for ``formula``; raise if it has no single item on the left."""
    if not isinstance(formula, str) or formula.count("~") != 1:
        raise SynthsurveyError(f"formula must be a string 'item ~ terms', got {formula!r}")
    lhs, rhs = (part.strip() for part in formula.split("~"))
    item = _item_name(lhs, formula)
    rhs, references = refs.rewrite(rhs) if rhs else (rhs, ())
    try:
        description = patsy.ModelDesc.from_formula(rhs if rhs else "1")
    except patsy.PatsyError as error:
        raise SynthsurveyError(f"cannot parse the right-hand side of {formula!r}: {error}") from None
    names, categorical, auto = [], [], []
    for term in description.rhs_termlist:
        for factor in term.factors:
            for name in _names_in(factor.code):
                if name not in names:
                    names.append(name)
                if _is_auto(name):
                    if len(term.factors) != 1 or factor.code not in (name, refs.quoted(name)):
                        raise SynthsurveyError(
                            f"{refs.readable(term.name())!r} in {formula!r}: {refs.AUTO} stands for a set of draw "
                            f"features and must be a term of its own (item ~ {refs.AUTO} + covariates)")
                    auto.append(name)
            categorical += [name for name in _categorical_in(factor.code) if name not in categorical]
    has_intercept = any(not term.factors for term in description.rhs_termlist)
    llm = tuple(n for n in names if n.startswith("llm_"))
    covariates = tuple(n for n in names if not n.startswith("llm_"))
    return FormulaSpec(formula, item, rhs or "1", llm, covariates, has_intercept, categorical=tuple(categorical),
                       references=references, auto=tuple(auto))


def _categorical_in(code):
    """Column names a factor's code wraps in ``C(...)``."""
    found = []
    for node in ast.walk(ast.parse(code, mode="eval")):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "C" and node.args:
            found += _names_in(ast.unparse(node.args[0]))
    return found


def _is_auto(name):
    return name == refs.AUTO or name.startswith(refs.AUTO + "[")


def item_lhs(item):
    """The left-hand side naming ``item``: the name itself, or ``Q("name")`` when it is not an identifier."""
    return item if str(item).isidentifier() else f'Q("{item}")'


def _item_name(lhs, formula):
    if lhs.isidentifier():
        return lhs
    try:
        node = ast.parse(lhs, mode="eval").body
    except SyntaxError:
        node = None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Q"
            and len(node.args) == 1 and isinstance(node.args[0], ast.Constant)):
        return str(node.args[0].value)
    raise SynthsurveyError(
        f"the left-hand side of {formula!r} must name one item (use Q(\"name\") for names with "
        f"spaces); transforms of the response such as {lhs!r} are not supported"
    )


def _names_in(code):
    """Column names a patsy factor's code reads: bare names and Q("...") strings."""
    names = []
    for node in ast.walk(ast.parse(code, mode="eval")):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Q"
                and node.args and isinstance(node.args[0], ast.Constant)):
            names.append(str(node.args[0].value))
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id not in PATSY_BUILTINS and node.id not in FORMULA_NAMESPACE:
                names.append(node.id)
    return names


def check_columns(spec, frame, where):
    """Raise naming any column the formula reads that ``frame`` lacks."""
    unknown = [name for name in spec.llm_features + spec.covariates if name not in frame.columns]
    if unknown:
        llm = sorted(c for c in frame.columns if str(c).startswith("llm_"))
        internal = {"id", "response", "is_pilot"}
        other = [c for c in frame.columns
                 if not str(c).startswith(("llm_", "_")) and c not in internal]
        raise SynthsurveyError(
            f"formula {spec.formula!r} names unknown column(s) {preview(unknown)}; {where} has "
            f"features {preview(llm, 30)} and covariates {preview(other, 30)}"
        )


@dataclass(frozen=True)
class Design:
    """A built design: the matrix (DataFrame, one column per coefficient) and patsy's
    design info, which rebuilds the same columns for new rows."""

    matrix: pd.DataFrame
    info: object


@dataclass(frozen=True)
class Prebuilt:
    """A design built outside patsy, one row per row of a model's frame: the R package builds it
    with R's own ``model.matrix`` (so a fit from R has ``lm``'s columns, names, order and
    contrasts) and the fit uses it wherever it would build one (fitting, cross-fitting,
    predictions for the frame's rows). ``matrix`` is a float DataFrame indexed like the frame,
    ``ids`` the frame's ``id`` column (rows are checked against it), ``reads_llm`` a boolean
    per column: whether it reads an ``llm_*`` feature (the pilot-only baseline drops those).
    The intercept column, if any, is named ``Intercept``."""

    matrix: pd.DataFrame
    ids: np.ndarray
    reads_llm: tuple

    def __post_init__(self):
        if len(self.reads_llm) != self.matrix.shape[1] or len(self.ids) != len(self.matrix):
            raise SynthsurveyError(
                f"a prebuilt design needs one id per row and one reads_llm flag per column; got "
                f"{self.matrix.shape} for {len(self.ids)} ids and {len(self.reads_llm)} flags")
        if not np.isfinite(self.matrix.to_numpy(dtype=float)).all():
            bad = self.matrix.columns[~np.isfinite(self.matrix.to_numpy(dtype=float)).all(axis=0)]
            raise SynthsurveyError(f"the prebuilt design has missing or infinite values in column(s) "
                                   f"{preview(list(bad))}")

    def covariate_part(self):
        """The columns that read no ``llm_*`` feature (an intercept alone when none is left)."""
        keep = ~np.asarray(self.reads_llm, dtype=bool)
        if not keep.any():
            ones = pd.DataFrame({"Intercept": np.ones(len(self.matrix))}, index=self.matrix.index)
            return Prebuilt(ones, self.ids, (False,))
        return Prebuilt(self.matrix.loc[:, keep], self.ids, tuple(False for _ in range(int(keep.sum()))))

    def rows(self, frame, matrix=None):
        """The design's rows for ``frame``: the rows of the model's frame it holds (``frame`` a
        subset of that frame, same index), or, for other rows (new data), ``matrix``, their
        design built the same way outside (checked to have the design's columns)."""
        columns = self.matrix.columns
        if matrix is not None:
            missing = [c for c in columns if c not in matrix.columns]
            if missing or len(matrix) != len(frame):
                raise SynthsurveyError(
                    f"the design of the new rows must have {len(frame)} rows and the fit's columns; "
                    f"missing {preview(missing)}" if missing else
                    f"the design of the new rows has {len(matrix)} rows for {len(frame)} new rows")
            return matrix.loc[:, columns].set_axis(frame.index, axis=0).astype(float)
        known = frame.index.isin(self.matrix.index)
        if not known.all() or ("id" in frame and not np.array_equal(
                frame["id"].to_numpy(), self.ids[self.matrix.index.get_indexer(frame.index)])):
            raise SynthsurveyError(
                "this fit's design was built outside Python (by R's model.matrix): new rows need their "
                "design matrix, built the same way (the R package's predict() builds it)")
        return self.matrix.loc[frame.index]


def patsy_ready(frame):
    """``frame`` with the pandas column types patsy cannot read made readable, as R's model.matrix
    reads them: nullable booleans as booleans (a factor: ``x[T.True]``), nullable integers as
    floats, dates (datetime64 without time zone) as days since 1970-01-01 and date-times (with a
    time zone) as seconds since then: numbers, not one dummy per date. Other columns are not copied."""
    converted = {}
    for column, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.BooleanDtype):
            values = frame[column]
            converted[column] = values.astype(bool) if not values.isna().any() else values.astype(object)
        elif isinstance(dtype, pd.api.extensions.ExtensionDtype) and pd.api.types.is_integer_dtype(dtype):
            converted[column] = frame[column].astype(float)
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            values = frame[column]
            zoned = getattr(dtype, "tz", None) is not None
            seconds = (values.dt.tz_convert("UTC").dt.tz_localize(None) if zoned else values) - pd.Timestamp(0)
            converted[column] = seconds.dt.total_seconds() / (1.0 if zoned else 86400.0)
    return frame.assign(**converted) if converted else frame


def build(rhs, frame):
    """Return the Design of ``rhs`` on ``frame`` (rows with missing values must be removed first)."""
    env = patsy.EvalEnvironment([FORMULA_NAMESPACE])
    try:
        matrix = patsy.dmatrix(rhs, patsy_ready(frame), eval_env=env, NA_action="raise", return_type="dataframe")
    except patsy.PatsyError as error:
        raise SynthsurveyError(f"cannot build the design of '{refs.readable(rhs)}': {error}") from None
    return Design(_readable_columns(matrix), matrix.design_info)


def _readable_columns(matrix):
    """``matrix`` with ``Q('llm_x[...]')`` in its column names written back as ``llm_x[...]``."""
    names = [refs.readable(str(column)) for column in matrix.columns]
    if names != list(matrix.columns):
        matrix.columns = names
    return matrix


def unseen_levels(spec, pilot_rows, rows):
    """Levels of categorical covariates that ``rows`` hold but ``pilot_rows`` (the rows the design
    is built on) do not: a list of (column, {level: count}, boolean mask over ``rows``), one per
    column with such levels. Categorical: wrapped in ``C(...)``, or text columns (patsy codes
    their levels from the data, and cannot code a level the pilot lacks); bool and pandas
    categorical columns carry their levels in their type and are never unseen; dates and times
    are numbers (``patsy_ready``)."""
    if len(pilot_rows) == 0:
        return []
    found = []
    for column in spec.covariates:
        if column not in rows.columns:
            continue
        dtype = rows[column].dtype
        if (isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype)
                or pd.api.types.is_datetime64_any_dtype(dtype)):  # dates are numbers, as in model.matrix
            continue
        if column not in spec.categorical and pd.api.types.is_numeric_dtype(dtype):
            continue
        values = rows[column]
        mask = (~values.isin(pd.unique(pilot_rows[column].dropna())) & values.notna()).to_numpy()
        if mask.any():
            counts = values[mask].value_counts(sort=False)
            found.append((column, {level: int(count) for level, count in counts.items()}, mask))
    return found


def rebuild(design, frame, matrix=None):
    """Return the design matrix of ``design`` (a Design, or a Prebuilt one, whose new rows come as
    ``matrix``) evaluated on the rows of ``frame``."""
    if isinstance(design, Prebuilt):
        return design.rows(frame, matrix)
    try:
        (matrix,) = patsy.build_design_matrices([design.info], patsy_ready(frame), NA_action="raise",
                                                return_type="dataframe")
    except patsy.PatsyError as error:
        raise SynthsurveyError(f"cannot evaluate the design on new rows: {error}") from None
    return _readable_columns(matrix)


def rank_deficiency(matrix):
    """Return None if ``matrix`` (DataFrame) has full column rank, else a sentence naming
    the columns that are exact linear combinations of the others."""
    values = matrix.to_numpy(dtype=float)
    if values.shape[0] == 0:
        return None
    scale = np.linalg.norm(values, axis=0)
    zero = [c for c, s in zip(matrix.columns, scale) if s == 0]
    if zero:
        return f"column(s) {preview(zero)} are identically 0 in the pilot"
    constant = [c for c, column in zip(matrix.columns, values.T)
                if c != "Intercept" and "Intercept" in matrix.columns and np.ptp(column) == 0]
    if constant:
        return f"column(s) {preview(constant)} are constant in the pilot, like the intercept"
    normalised = values / scale
    _, r, pivot = scipy.linalg.qr(normalised, mode="economic", pivoting=True)
    diagonal = np.abs(np.diag(r))
    tolerance = diagonal[0] * max(values.shape) * np.finfo(float).eps * 10
    rank = int(np.sum(diagonal > tolerance))
    if rank == values.shape[1]:
        return None
    kept = pivot[:rank]
    parts = []
    for column in pivot[rank:]:
        coef, *_ = np.linalg.lstsq(normalised[:, kept], normalised[:, column], rcond=None)
        involved = [matrix.columns[k] for k, c in zip(kept, coef) if abs(c) > 1e-8]
        parts.append(f"{matrix.columns[column]!r} is an exact linear combination of {preview(involved, 12)}")
    note = ""
    names = " ".join(str(c) for c in matrix.columns)
    if "llm_p" in names:
        note = (" (the category shares llm_p* sum to 1 and llm_mean and llm_extreme are linear in them:"
                " keep at most C-2 shares beside llm_mean and an intercept)")
    return "; ".join(parts) + note


def covariate_rhs(spec):
    """Return the right-hand side of ``spec`` without any term that reads an ``llm_*``
    feature (``"1"`` when nothing is left): the pilot-only model's formula."""
    description = patsy.ModelDesc.from_formula(spec.rhs)
    kept = []
    for term in description.rhs_termlist:
        reads = [name for factor in term.factors for name in _names_in(factor.code)]
        if term.factors and not any(name.startswith("llm_") for name in reads):
            kept.append(term.name())
    rhs = " + ".join(kept) if kept else "1"
    return rhs if spec.has_intercept else rhs + " - 1"
