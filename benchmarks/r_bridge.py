"""Overhead of the R package over the Python core: a full ``ss_debias`` + ``ss_population_mean``
from R against the same calls in Python, on 200,000 respondents x 40 draws of two items
(16M LLM responses, a pilot of 2,000), in one run.

The R side runs in an Rscript process hosting this Python through reticulate; the data are
made once by the seeded generator and handed to R before the clock starts, so the timed R
call includes converting the R data.frames to pandas (the bridge) and everything else.
Target (issue 6): R time at most 1.3x the Python time.
Usage: python benchmarks/r_bridge.py [n_people]
"""

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time

import synthsurvey as ss
from synthsurvey.io.simulate import simulate_study

N_DRAWS, N_PILOT, SEED = 40, 2000, 7
R_FORMULA = "belief ~ llm_mean + llm_sd + llm_p1 + llm_p5 + age + female + factor(educ) + ideology"
PY_FORMULA = "belief ~ llm_mean + llm_sd + llm_p1 + llm_p5 + age + female + C(educ) + ideology"


def python_seconds(study, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fit = ss.debias(PY_FORMULA, study.samples, study.pilot, study.covariates)
        estimate = ss.population_mean(fit)
        best = min(best, time.perf_counter() - start)
    return best, estimate.estimate


def r_seconds(n_people, repeats=3):
    script = textwrap.dedent(f"""
        suppressPackageStartupMessages(library(synthsurvey))
        data <- lapply(synthsurvey:::.call("simulate", {n_people}L, {N_DRAWS}L, {N_PILOT}L, {SEED}L),
                       synthsurvey:::.frame_out)
        best <- Inf
        for (i in 1:{repeats}) {{
          start <- proc.time()[["elapsed"]]
          fit <- ss_debias({R_FORMULA}, data$samples, data$pilot, data$covariates)
          estimate <- ss_population_mean(fit)
          best <- min(best, proc.time()[["elapsed"]] - start)
        }}
        cat(jsonlite::toJSON(list(seconds = best, estimate = coef(estimate)[[1]]), digits = NA, auto_unbox = TRUE))
    """)
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as handle:
        handle.write(script)
    env = {**os.environ, "SYNTHSURVEY_PYTHON": sys.executable}
    run = subprocess.run(["Rscript", handle.name], env=env, capture_output=True, text=True, check=True)
    result = json.loads(run.stdout.strip().splitlines()[-1])
    return result["seconds"], result["estimate"]


def main():
    n_people = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    study = simulate_study(n_people, N_DRAWS, N_PILOT, SEED)
    t_python, estimate_python = python_seconds(study)
    t_r, estimate_r = r_seconds(n_people)
    print(f"{n_people:,} respondents x {N_DRAWS} draws x 2 items ({len(study.samples) / 1e6:.0f}M responses), "
          f"pilot {N_PILOT}: ss_debias + ss_population_mean")
    print(f"  Python   {t_python:7.2f} s   (population mean {estimate_python:.10f})")
    print(f"  R        {t_r:7.2f} s   (population mean {estimate_r:.10f})")
    print(f"  R / Python overhead  {t_r / t_python:5.2f}x   (target <= 1.3x)")


if __name__ == "__main__":
    main()
