"""ss.features on a 5-level item: speed against a plain pandas groupby version and one
np.bincount pass, and peak memory at 100M responses.

Prints, from one run:
* on a 20M-response slice (200,000 respondents x 100 draws): seconds for the pandas
  version, for ss.features and for one np.bincount pass over the responses' cells
  (``np.bincount(id * 5 + response - 1)``, the index arithmetic included), and the ratios;
* at the full size (default 1,000,000 respondents x 100 draws = 100M responses), measured in
  a child process: seconds of ss.features, the ratio to one bincount pass, and the peak RSS
  of that process (data included: int32 ids, int8 draws and responses, a categorical item).

Targets (issue 3): >= 50x faster than pandas, within 3x of one bincount pass, < 2 GB peak RSS.
Timings are the fastest of a few repeats (the pandas version runs once).
Usage: python benchmarks/features.py [n_respondents]
"""

import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

N_DRAWS = 100
SLICE_RESPONDENTS = 200_000


def make_samples(n_respondents, seed=0):
    """Long samples of a 5-level item: int32 ids, int8 draws and responses, categorical item."""
    rng = np.random.default_rng(seed)
    n = n_respondents * N_DRAWS
    response = rng.integers(1, 6, n, dtype=np.int8)
    ids = np.repeat(np.arange(1, n_respondents + 1, dtype=np.int32), N_DRAWS)
    samples = pd.DataFrame({"id": ids}, copy=False)
    samples["item"] = pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), ["belief"])
    samples["draw"] = np.tile(np.arange(N_DRAWS, dtype=np.int8), n_respondents)
    samples["response"] = response
    return samples


def plain_types(samples):
    """The same table as read from a CSV: int64 columns and a string item."""
    return samples.astype({"id": np.int64, "item": str, "draw": np.int64, "response": np.int64})


def pandas_features(samples):
    """The straightforward pandas version: groupby agg + quantiles + shares + entropy."""
    grouped = samples.groupby(["id", "item"], observed=True)["response"]
    table = grouped.agg(["count", "mean", "std", "skew", "kurt"])
    quantiles = grouped.quantile([0.1, 0.25, 0.5, 0.75, 0.9]).unstack()
    shares = grouped.value_counts(normalize=True).unstack(fill_value=0)
    entropy = -(shares * np.log2(shares.where(shares > 0, 1))).sum(axis=1)
    return pd.concat([table, quantiles, shares, entropy.rename("entropy")], axis=1)


def bincount_pass(samples):
    ids = samples["id"].to_numpy()
    responses = samples["response"].to_numpy()
    return np.bincount(ids.astype(np.int64) * 5 + (responses - 1))


def timed(function, *args, repeats=1):
    """Fastest of ``repeats`` wall-clock timings of ``function(*args)``, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function(*args)
        best = min(best, time.perf_counter() - start)
    return best


def child(n_respondents):
    import tracemalloc

    import synthsurvey as ss

    samples = make_samples(n_respondents)
    data_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    data_mb = samples.memory_usage(deep=True).sum() / 2**20
    features_cold = timed(ss.features, samples)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # data + ss.features only
    bincount_cold = timed(bincount_pass, samples)
    bincount = min(bincount_cold, timed(bincount_pass, samples, repeats=3))
    features = min(features_cold, timed(ss.features, samples))
    tracemalloc.start()
    ss.features(samples)
    kernel_mb = tracemalloc.get_traced_memory()[1] / 2**20
    print(f"{features} {bincount} {peak} {data_rss} {data_mb} {kernel_mb} {features_cold} {bincount_cold}")


def main():
    import synthsurvey as ss

    n_full = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    # the full size runs first, in a fresh process: a child forked from a large parent
    # would inherit the parent's peak RSS in its own ru_maxrss
    out = subprocess.run([sys.executable, __file__, "--child", str(n_full)], check=True,
                         capture_output=True, text=True).stdout.split()
    features, bincount, peak, data_rss, data_mb, kernel_mb, features_cold, bincount_cold = map(float, out)
    print(f"full: {n_full * N_DRAWS / 1e6:.0f}M responses ({n_full:,} respondents x {N_DRAWS} draws), own process")
    print(f"  ss.features                   {features:8.2f} s")
    print(f"  one np.bincount pass          {bincount:8.2f} s")
    print(f"  ratio to bincount pass        {features / bincount:8.2f}x   (target <= 3x; both warm, best of repeats)")
    print(f"  first calls: ss.features {features_cold:.2f} s, bincount {bincount_cold:.2f} s, ratio "
          f"{features_cold / bincount_cold:.2f}x (each call's fresh allocations page-fault once)")
    print(f"  peak RSS of the process       {peak:8.0f} MB  (target < 2048 MB; {data_rss:.0f} MB after building"
          " the data)")
    print(f"  the table itself              {data_mb:8.0f} MB")
    print(f"  ss.features' peak allocation  {kernel_mb:8.0f} MB  (tracemalloc, output included)")
    lean = make_samples(SLICE_RESPONDENTS)
    ss.features(lean.iloc[:1000])  # import and warm-up
    t_bincount = timed(bincount_pass, lean, repeats=5)
    print(f"slice: {len(lean) / 1e6:.0f}M responses ({SLICE_RESPONDENTS:,} respondents x {N_DRAWS} draws)")
    print(f"  one np.bincount pass          {t_bincount:8.2f} s")
    for label, samples in (("lean types (int8/int32, categorical item)", lean),
                           ("CSV types (int64, string item)", plain_types(lean))):
        t_pandas = timed(pandas_features, samples)
        t_features = timed(ss.features, samples, repeats=3)
        print(f"  {label}:")
        print(f"    pandas groupby version      {t_pandas:8.2f} s")
        print(f"    ss.features                 {t_features:8.2f} s")
        print(f"    speed-up vs pandas          {t_pandas / t_features:8.1f}x   (target >= 50x)")
        print(f"    ratio to bincount pass      {t_features / t_bincount:8.2f}x   (target <= 3x)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(int(sys.argv[2]))
    else:
        main()
