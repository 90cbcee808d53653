"""``synthsurvey`` command: run the main job from files, or on the bundled study."""

import argparse
import sys
from pathlib import Path

import pandas as pd

from ..common.errors import SynthsurveyError

BUNDLED_COVARIATES = ["age", "female", "C(educ)", "ideology", "rural"]


def read_table(path):
    """Read a CSV (optionally compressed) or parquet file into a DataFrame."""
    path = Path(path)
    if not path.exists():
        raise SynthsurveyError(f"file {str(path)!r} does not exist")
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path)


def read_samples(spec):
    """Samples from a file, or from a folder or glob of parquet files (read with Dask, partition
    by partition: each file must hold whole respondents)."""
    path = Path(spec)
    if path.is_dir() or any(ch in str(spec) for ch in "*?["):
        import dask.dataframe as dd  # the optional dask extra reads folders of parquet files

        pattern = str(path / "*.parquet") if path.is_dir() else str(spec)
        return dd.read_parquet(pattern)
    return read_table(spec)


def bundled_models():
    """The bundled study's models: full-vector OLS for ``belief``, logit for ``action``."""
    from ..featurize.scales import Scale
    from ..models.defaults import default_formula
    from .job import ItemModel

    return [
        ItemModel(default_formula("belief", (1, 2, 3, 4, 5), BUNDLED_COVARIATES), "ols"),
        ItemModel(default_formula("action", Scale("binary", (0, 1)), BUNDLED_COVARIATES), "logit"),
    ]


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="synthsurvey",
        description="Debias LLM survey answers with a human pilot. With no files, runs on the bundled simulated study.",
    )
    parser.add_argument("--samples", help="LLM draws: CSV or parquet with key, item, draw, response")
    parser.add_argument("--humans", help="human pilot: id, item, response")
    parser.add_argument("--covariates", help="one row per id (plus the key column for persona keys)")
    parser.add_argument("--formula", action="append", default=[],
                        help="'item ~ terms'; repeat for several items")
    parser.add_argument("--family", action="append", default=[],
                        help="family per --formula (ols, ordinal, logit, mnlogit, quantreg); default ols")
    parser.add_argument("--key", default="id", help="column linking samples to people (default id)")
    parser.add_argument("--by", action="append", default=[], help="covariate for subgroup fidelity; repeatable")
    parser.add_argument("--out", default="synthsurvey-output", help="output folder")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # the statistics are imported after the arguments are parsed: `synthsurvey --help` stays instant
    from ..io.datasets import load_simulated
    from .job import ItemModel, run_job

    try:
        if args.samples is None:
            study = load_simulated()
            samples, humans, covariates, holdout = study.samples, study.pilot, study.covariates, study.holdout
            models = bundled_models()
            report_options = {"formula": "belief ~ age + female + C(educ) + ideology + rural",
                              "by": ["educ", "rural"], "coherence": ("belief", "action")}
            print("synthsurvey: no --samples given; running on the bundled simulated study")
        else:
            if args.humans is None or not args.formula:
                raise SynthsurveyError("with --samples, pass --humans and at least one --formula")
            samples, humans = read_samples(args.samples), read_table(args.humans)
            covariates = read_table(args.covariates) if args.covariates else None
            holdout = None
            families = args.family + ["ols"] * (len(args.formula) - len(args.family))
            models = [ItemModel(f, fam) for f, fam in zip(args.formula, families)]
            report_options = {"by": args.by}
        fits = run_job(samples, humans, covariates, models, args.out, key=args.key, holdout=holdout,
                       report_options=report_options)
    except SynthsurveyError as error:
        print(f"synthsurvey: error: {error}", file=sys.stderr)
        return 2
    for item, fit in fits.items():
        print(f"  {item}: {fit.family} fit on {fit.nobs} pilot answers, {fit.n_population} people predicted")
    print(f"synthsurvey: results written to {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
