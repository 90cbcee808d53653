"""Features of LLM draws from parquet on a dask.distributed LocalCluster with 2 workers.

Writes 3M respondents x 100 draws of a 5-level item (300M responses) as parquet files of
whole respondents, then, for the first 75M, 150M and 300M responses: wall time, throughput
(responses per second), and the peak memory of the client and of each worker (sampled by the
cluster); plus the in-memory kernel (ss.features on pandas) on a 20M slice for the ratio.
Targets (issue 8): peak memory of client and workers under 4 GB; wall time linear in the data.
Usage: python benchmarks/scale.py [n_respondents_max] [folder]   (needs ~1.5 GB of disk)
"""

import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import synthsurvey as ss

N_DRAWS = 100
FILE_RESPONDENTS = 100_000


def write(folder, n_respondents):
    rng = np.random.default_rng(0)
    for start in range(0, n_respondents, FILE_RESPONDENTS):
        ids = np.arange(start + 1, min(start + FILE_RESPONDENTS, n_respondents) + 1, dtype=np.int32)
        part = pd.DataFrame({"id": np.repeat(ids, N_DRAWS)})
        part["item"] = pd.Categorical.from_codes(np.zeros(len(part), dtype=np.int8), ["belief"])
        part["draw"] = np.tile(np.arange(N_DRAWS, dtype=np.int8), len(ids))
        part["response"] = rng.integers(1, 6, len(part), dtype=np.int8)
        part.to_parquet(folder / f"part{start // FILE_RESPONDENTS:04d}.parquet", index=False)


def main():
    import dask.dataframe as dd
    import distributed

    n_max = int(sys.argv[1]) if len(sys.argv) > 1 else 3_000_000
    folder = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp(prefix="synthsurvey-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    if not list(folder.glob("*.parquet")):
        write(folder, n_max)
    files = sorted(folder.glob("*.parquet"))
    slice_samples = pd.read_parquet(files[:2])
    start = time.perf_counter()
    ss.features(slice_samples)
    in_memory = len(slice_samples) / (time.perf_counter() - start)
    print(f"in-memory kernel on {len(slice_samples) / 1e6:.0f}M responses: {in_memory / 1e6:.1f}M responses/s")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, memory_limit="4GB",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        for fraction in (0.25, 0.5, 1.0):
            chosen = files[:max(1, int(round(len(files) * fraction)))]
            samples = dd.read_parquet([str(f) for f in chosen])
            n = sum(pd.read_parquet(f, columns=["draw"]).shape[0] for f in chosen)
            start = time.perf_counter()
            rows = len(ss.features(samples).compute())
            seconds = time.perf_counter() - start
            worker_peak = max(client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss).values()) / 1024
            client_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{n / 1e6:5.0f}M responses ({rows:,} respondents): {seconds:6.1f} s, "
                  f"{n / seconds / 1e6:.1f}M responses/s ({n / seconds / in_memory:.2f}x in-memory); "
                  f"peak RSS client {client_peak:.0f} MB, worker {worker_peak:.0f} MB (target < 4096)")


if __name__ == "__main__":
    main()
