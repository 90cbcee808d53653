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
    names, auto = [], []
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
    has_intercept = any(not term.factors for term in description.rhs_termlist)
    llm = tuple(n for n in names if n.startswith("llm_"))
    covariates = tuple(n for n in names if not n.startswith("llm_"))
    return FormulaSpec(formula, item, rhs or "1", llm, covariates, has_intercept, references, tuple(auto))


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


def build(rhs, frame):
    """Return the Design of ``rhs`` on ``frame`` (rows with missing values must be removed first)."""
    env = patsy.EvalEnvironment([FORMULA_NAMESPACE])
    try:
        matrix = patsy.dmatrix(rhs, frame, eval_env=env, NA_action="raise", return_type="dataframe")
    except patsy.PatsyError as error:
        raise SynthsurveyError(f"cannot build the design of '{refs.readable(rhs)}': {error}") from None
    return Design(_readable_columns(matrix), matrix.design_info)


def _readable_columns(matrix):
    """``matrix`` with ``Q('llm_x[...]')`` in its column names written back as ``llm_x[...]``."""
    names = [refs.readable(str(column)) for column in matrix.columns]
    if names != list(matrix.columns):
        matrix.columns = names
    return matrix


def rebuild(design, frame):
    """Return the design matrix of ``design`` evaluated on the rows of ``frame``."""
    try:
        (matrix,) = patsy.build_design_matrices([design.info], frame, NA_action="raise",
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
