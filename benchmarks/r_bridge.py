"""Overhead of the R package over the Python core: a full ``ss_debias`` + ``ss_population_mean``
from R against the same calls in Python, on 200,000 respondents x 40 draws of two items
(16M LLM responses, a pilot of 2,000), in one run, twice: with integer ids, and with character
ids (``"R_0001234"``, as Qualtrics/Prolific exports give them) beside the character items.

The R side runs in an Rscript process hosting this Python through reticulate; the data are
made once by the seeded generator and handed to R before the clock starts, so the timed R
call includes converting the R data.frames to pandas (the bridge), building R's design with
``model.matrix``, and everything else. The Python side gets the same tables as pandas reads them
(character ids as pandas strings). Target (issues 6 and 17): R time at most 1.3x the Python time.
Usage: python benchmarks/r_bridge.py [n_people]
"""

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time

import pandas as pd

import synthsurvey as ss
from synthsurvey.io.simulate import simulate_study

N_DRAWS, N_PILOT, SEED = 40, 2000, 7
R_FORMULA = "belief ~ llm_mean + llm_sd + llm_p1 + llm_p5 + age + female + factor(educ) + ideology"
PY_FORMULA = "belief ~ llm_mean + llm_sd + llm_p1 + llm_p5 + age + female + C(educ) + ideology"


def text_ids(study):
    """The study with every id as text (a pandas string column, as read_csv gives it)."""
    def convert(frame):
        frame = frame.copy()
        frame["id"] = pd.Series(frame["id"].map(lambda i: f"R_{(i * 7919) % 10_000_000:07d}"), dtype="str")
        return frame
    return type(study)(**{name: convert(getattr(study, name)) for name in ("samples", "pilot", "covariates",
                                                                          "holdout")})


def python_seconds(study, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fit = ss.debias(PY_FORMULA, study.samples, study.pilot, study.covariates)
        estimate = ss.population_mean(fit)
        best = min(best, time.perf_counter() - start)
    return best, estimate.estimate


def r_seconds(n_people, text, repeats=3):
    script = textwrap.dedent(f"""
        suppressPackageStartupMessages(library(synthsurvey))
        data <- lapply(synthsurvey:::.call("simulate", {n_people}L, {N_DRAWS}L, {N_PILOT}L, {SEED}L),
                       synthsurvey:::.frame_out)
        if ({'TRUE' if text else 'FALSE'}) {{
          as_text <- function(frame) {{
            frame$id <- sprintf("R_%07d", (frame$id * 7919) %% 10000000)
            frame
          }}
          data <- lapply(data, as_text)
        }}
        stopifnot(is.character(data$samples$item))
        best <- Inf
        for (i in 1:{repeats}) {{
          start <- proc.time()[["elapsed"]]
          fit <- ss_debias({R_FORMULA}, data$samples, data$pilot, data$covariates)
          estimate <- ss_population_mean(fit)
          best <- min(best, proc.time()[["elapsed"]] - start)
        }}
        cat(jsonlite::toJSON(list(seconds = best, estimate = coef(estimate)[[1]], id = class(data$samples$id)),
                             digits = NA, auto_unbox = TRUE))
    """)
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as handle:
        handle.write(script)
    env = {**os.environ, "SYNTHSURVEY_PYTHON": sys.executable}
    run = subprocess.run(["Rscript", handle.name], env=env, capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(run.stderr)
    result = json.loads(run.stdout.strip().splitlines()[-1])
    return result["seconds"], result["estimate"], result["id"]


def main():
    n_people = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    study = simulate_study(n_people, N_DRAWS, N_PILOT, SEED)
    print(f"{n_people:,} respondents x {N_DRAWS} draws x 2 items ({len(study.samples) / 1e6:.0f}M responses), "
          f"pilot {N_PILOT}: ss_debias + ss_population_mean")
    for label, text in (("integer ids, character items", False), ("character ids and items", True)):
        data = text_ids(study) if text else study
        t_python, estimate_python = python_seconds(data)
        t_r, estimate_r, r_id = r_seconds(n_people, text)
        print(f" {label} (R id column: {r_id}):")
        print(f"  Python   {t_python:7.2f} s   (population mean {estimate_python:.10f})")
        print(f"  R        {t_r:7.2f} s   (population mean {estimate_r:.10f})")
        print(f"  R / Python overhead  {t_r / t_python:5.2f}x   (target <= 1.3x)")


if __name__ == "__main__":
    main()
