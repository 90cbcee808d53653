"""A whole questionnaire end to end: 30 items (20 five-point, 5 seven-point, 5 binary), 5,000
respondents x 30 LLM draws (4.5M responses), a pilot of 300 with don't-know codes (99) and empty
answers; the ordinal family on the 5-point items, the defaults elsewhere (ols, logit); population
means and shares of every item, fidelity and the report. Each stage's wall time is printed, and
the ordinal family's population mean per item (its five cross-fitting folds included).

Targets (issue 14): end to end under 60 s on 2 cores; the ordinal population mean under 0.3 s per
item with a pilot of 300; ``import synthsurvey`` under 1 s and ``synthsurvey --help`` under 0.5 s
in fresh processes (both printed here, best of 3).
Usage: python benchmarks/questionnaire.py [n_people] [output folder]
"""

import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import synthsurvey as ss
from synthsurvey.evaluation.questionnaire import QuestionnaireResults
from synthsurvey.featurize.scales import answers_by_item
from synthsurvey.featurize.table import feature_table
from synthsurvey.inference.population import population_mean
from synthsurvey.io.simulate_questionnaire import item_plan
from synthsurvey.models import fit_items

COVARIATES = ["age", "female", "C(educ)", "ideology"]


def fresh(*arguments):
    """Best-of-3 wall time (s) of a fresh Python process run with ``arguments``."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, *arguments], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    n_people = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp(prefix="questionnaire-"))
    print(f"fresh python: {fresh('-c', 'pass'):.3f} s wall")
    print(f"import synthsurvey: {fresh('-c', 'import synthsurvey'):.3f} s wall (target < 1 s)")
    print(f"synthsurvey --help: {fresh('-m', 'synthsurvey.interfaces.cli', '--help'):.3f} s wall (target < 0.5 s)")

    items = item_plan(20, 5, 5)
    start = time.perf_counter()
    q = ss.simulate_questionnaire(n_people=n_people, n_draws=30, n_pilot=300, items=items, seed=0,
                                  dont_know=(99, 0.03), pilot_missing=0.02)
    print(f"(simulating {len(q.samples):,} draws: {time.perf_counter() - start:.1f} s, not counted)")
    five_point = [item for item, levels in items.items() if levels == 5]
    stages = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ss.SynthsurveyWarning)
        start = time.perf_counter()
        import statsmodels.api  # noqa: F401  (counted: the first fit imports it)
        features, _ = feature_table(q.samples, scales={"missing": [99]}, extra_values=answers_by_item(q.pilot))
        stages["features (30 items, once)"] = time.perf_counter() - start

        start = time.perf_counter()
        fitted = fit_items(q.samples, q.pilot, q.covariates, scales={"missing": [99]}, covariate_terms=COVARIATES,
                           families={item: "ordinal" for item in five_point}, features=features)
        study = QuestionnaireResults(fitted)
        stages["fits (30 items)"] = time.perf_counter() - start

        start = time.perf_counter()
        per_item = []
        for item in five_point:
            begin = time.perf_counter()
            population_mean(study[item])
            per_item.append(time.perf_counter() - begin)
        stages["ordinal population means (20 items, folds fit here)"] = time.perf_counter() - start

        start = time.perf_counter()
        population = study.population()
        stages["population means and shares (all items, 3 methods)"] = time.perf_counter() - start

        start = time.perf_counter()
        path = study.report(out / "report.html", by=["educ"], analyst={"q01": "q01 ~ age + ideology"})
        stages["fidelity and report"] = time.perf_counter() - start

    total = sum(stages.values())
    print(f"\n{len(q.samples):,} responses, {len(items)} items, pilot 300, {n_people:,} people")
    for name, seconds in stages.items():
        print(f"  {name:<55} {seconds:6.2f} s")
    print(f"  {'end to end':<55} {total:6.2f} s  (target < 60 s)")
    print(f"ordinal population mean per item: mean {sum(per_item) / len(per_item):.3f} s, max {max(per_item):.3f} s "
          "(target < 0.3 s)")
    means = population.table().query("term == 'mean'")
    print(f"population table: {len(population.table())} rows ({len(means)} means); report: {path} "
          f"({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
