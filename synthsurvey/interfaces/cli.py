"""``synthsurvey`` command.

    synthsurvey                              the main job on the bundled simulated study
    synthsurvey run study.toml [--out DIR]   a study file (see ``interfaces.study``)
    synthsurvey --samples ... --humans ... --formula ... [options]   a run from flags

Every user error exits with status 2 and one line naming the culprit (``--traceback`` shows the
Python traceback of an unexpected failure instead of its one line). Nothing heavy is imported
before the arguments are parsed, so ``synthsurvey --help`` is instant.
"""

import argparse
import sys
import warnings

USAGE_ERROR = 2
BUNDLED_COVARIATES = ["age", "female", "C(educ)", "ideology", "rural"]


class Parser(argparse.ArgumentParser):
    """argparse, with usage errors as one line and exit status 2."""

    def error(self, message):
        raise UsageError(f"{message} (see synthsurvey --help)")


class UsageError(Exception):
    """A command-line mistake."""


def command_line_spelling(suggested):
    """A ScaleSuggestion (``common.errors``) as flags and study-file keys:
    ``--scale q1=1,2,3,4,5 --missing 99 (in a study file: scale = [1, 2, 3, 4, 5] and missing =
    [99] under [items.q1])``; ``--missing`` gives the codes of every item."""
    levels = ",".join(f"{v:g}" for v in suggested.levels)
    codes = ",".join(f"{v:g}" for v in suggested.missing)
    listed = lambda values: "[" + ", ".join(f"{v:g}" for v in values) + "]"  # noqa: E731
    flags = f"--scale {suggested.item}={'binary' if suggested.kind == 'binary' else levels}"
    study = f"scale = {listed(suggested.levels)}"
    if suggested.missing:
        flags += f" --missing {codes}"
        study += f" and missing = {listed(suggested.missing)}"
    return f"{flags} (--missing: every item's codes; in a study file: {study} under [items.{suggested.item}])"


def parser():
    described = Parser(prog="synthsurvey", description=(
        "Debias LLM survey answers with a human pilot. With no arguments, runs on the bundled simulated study; "
        "`synthsurvey run study.toml` runs a study file; the flags below describe a run without one."))
    described.add_argument("--samples", help="LLM draws: a CSV (any delimiter) or parquet file, or a folder of them")
    described.add_argument("--humans", help="human pilot: id, item, response (or one column per item with --wide)")
    described.add_argument("--covariates", help="one row per person (plus the key column for persona keys)")
    described.add_argument("--formula", action="append", default=[], help="'item ~ terms'; repeat for several items")
    described.add_argument("--family", action="append", default=[],
                           help="one per --formula (ols, ordinal, logit, mnlogit, quantreg); default: logit for "
                                "binary items, ols otherwise")
    described.add_argument("--scale", action="append", default=[], metavar="ITEM=LEVELS",
                           help="declare a scale: q1=1,2,3,4,5 or q1=binary or q1=continuous; repeatable")
    described.add_argument("--missing", default=None, metavar="CODES",
                           help="missing-value codes of every item (don't know / refused), e.g. 98,99")
    described.add_argument("--wide", action="store_true", help="the humans file has one column per item")
    described.add_argument("--id-column", default="id", help="the id column of humans and covariates (default id)")
    described.add_argument("--key", default="id", help="column linking samples to people (default id)")
    described.add_argument("--weights", help="a covariates column of population design weights")
    described.add_argument("--analyst", action="append", default=[],
                           help="an analyst formula 'item ~ covariates' for the report's structural axis; repeatable")
    described.add_argument("--by", action="append", default=[], help="covariate for subgroup fidelity; repeatable")
    described.add_argument("--alpha", type=float, default=0.05, help="1 - confidence level (default 0.05)")
    described.add_argument("--folds", type=int, default=5, help="cross-fitting folds (default 5)")
    described.add_argument("--seed", type=int, default=0, help="seed of the folds (default 0)")
    described.add_argument("--out", default=None, help="output folder (default synthsurvey-output)")
    described.add_argument("--traceback", action="store_true", help="show the traceback of an unexpected failure")
    return described


def run_parser():
    described = Parser(prog="synthsurvey run", description="Run a study file (TOML).")
    described.add_argument("study", help="the study file")
    described.add_argument("--out", default=None, help="output folder (overrides the study file's)")
    described.add_argument("--traceback", action="store_true", help="show the traceback of an unexpected failure")
    return described


def _codes(text, flag):
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UsageError(f"{flag} takes numbers separated by commas, got {text!r}") from None


def _scales(specs):
    scales = {}
    for spec in specs:
        item, separator, levels = spec.partition("=")
        if not separator or not item or not levels:
            raise UsageError(f"--scale takes ITEM=LEVELS (q1=1,2,3,4,5 or q1=binary), got {spec!r}")
        scales[item] = {"kind": levels} if levels in ("continuous", "binary") else {"levels": _codes(levels, "--scale")}
        if levels == "binary":
            scales[item]["levels"] = [0, 1]
    return scales


def study_from_flags(args):
    """A Study from the flags (``interfaces.study``), or None for the bundled study."""
    from .study import Study

    if args.samples is None:
        if args.humans or args.formula or args.covariates:
            raise UsageError("--humans, --covariates and --formula need --samples")
        return None
    if args.humans is None or not args.formula:
        raise UsageError("with --samples, pass --humans and at least one --formula")
    if args.family and len(args.family) != len(args.formula):
        raise UsageError(f"give one --family per --formula (got {len(args.formula)} formula(s) and "
                         f"{len(args.family)} famil{'y' if len(args.family) == 1 else 'ies'})")
    from ..models.formula import parse

    items = [parse(formula).item for formula in args.formula]
    repeated = sorted({item for item in items if items.count(item) > 1})
    if repeated:
        raise UsageError(f"item(s) {', '.join(map(repr, repeated))} have several --formula: give one per item")
    analyst = {parse(formula).item: formula for formula in args.analyst}
    return Study(samples=args.samples, humans=args.humans, covariates=args.covariates, wide=args.wide,
                 id_column=args.id_column, key=args.key, items=items, formulas=dict(zip(items, args.formula)),
                 families=dict(zip(items, args.family)), scales=_scales(args.scale), analyst=analyst,
                 missing=tuple(_codes(args.missing, "--missing")) if args.missing else (), by=tuple(args.by),
                 weights=args.weights, alpha=args.alpha, folds=args.folds, seed=args.seed,
                 out=args.out or "synthsurvey-output")


def bundled():
    """(Study, data) of the bundled simulated study: full-vector OLS for belief, logit for action."""
    from ..featurize.scales import Scale
    from ..io.datasets import load_simulated
    from ..models.defaults import default_formula
    from .study import Study

    data = load_simulated()
    formulas = {"belief": default_formula("belief", (1, 2, 3, 4, 5), BUNDLED_COVARIATES),
                "action": default_formula("action", Scale("binary", (0, 1)), BUNDLED_COVARIATES)}
    study = Study(samples="(bundled)", humans="(bundled)", items=list(formulas), formulas=formulas,
                  families={"belief": "ols", "action": "logit"},
                  analyst={"belief": "belief ~ age + female + C(educ) + ideology + rural"}, by=("educ", "rural"),
                  coherence=("belief", "action"), holdout=data.holdout)
    return study, (data.samples, data.pilot, data.covariates)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    show_traceback = "--traceback" in argv
    try:
        return _main(argv)
    except UsageError as error:
        print(f"synthsurvey: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except Exception as error:  # noqa: BLE001 (the command line prints one line, never a traceback)
        from ..common.errors import SynthsurveyError

        if isinstance(error, SynthsurveyError):
            print(f"synthsurvey: error: {error.respelled(command_line_spelling)}", file=sys.stderr)
            return USAGE_ERROR
        if show_traceback:
            raise
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        print(f"synthsurvey: unexpected error: {type(error).__name__}: {message} (rerun with --traceback and "
              "report it)", file=sys.stderr)
        return 1


def _main(argv):
    if argv[:1] == ["run"]:
        args = run_parser().parse_args(argv[1:])
        from .study import read_study

        study, data = read_study(args.study), None
        if args.out:
            study.out = args.out
    else:
        args = parser().parse_args(argv)
        study, data = study_from_flags(args), None
        if study is None:
            study, data = bundled()
            study.out = args.out or "synthsurvey-output"
            print("synthsurvey: no --samples given; running on the bundled simulated study")
    from ..common.errors import SynthsurveyWarning
    from .job import run_study

    with warnings.catch_warnings():
        warnings.simplefilter("always", SynthsurveyWarning)
        warnings.showwarning = _one_line_warning
        results = run_study(study, data)
    for item in results.items:
        if item in results.fits:
            fit = results.fits[item]
            print(f"  {item}: {fit.family} fit on {fit.nobs} pilot answers, {fit.n_population} people predicted"
                  if fit.in_memory else f"  {item}: {fit.family} fit on {fit.nobs} pilot answers (distributed)")
        else:
            print(f"  {item}: not fitted, pilot alone: {results.failures[item]}")
    print(f"synthsurvey: results written to {study.out}/")
    return 0


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    from ..common.errors import SynthsurveyWarning

    if issubclass(category, SynthsurveyWarning):
        print(f"synthsurvey: warning: {message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
