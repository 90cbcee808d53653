import pytest

from synthsurvey.io.datasets import load_simulated


@pytest.fixture(scope="session")
def study():
    """The bundled simulated study (2,000 people, 40 draws, items belief and action)."""
    return load_simulated()


COVARIATES = ["age", "female", "C(educ)", "ideology", "rural"]


@pytest.fixture(scope="session")
def simulated():
    """A freshly simulated study (800 people, 15 draws, a pilot of 160) for inference tests."""
    from synthsurvey.io.simulate import simulate_study

    return simulate_study(n_people=800, n_draws=15, n_pilot=160, seed=9)


@pytest.fixture(scope="session")
def simulated_fit(simulated):
    """The default full-vector OLS fit of ``belief`` on ``simulated``."""
    import synthsurvey as ss

    return ss.debias(ss.default_formula("belief", [1, 2, 3, 4, 5], COVARIATES), simulated.samples, simulated.pilot,
                     simulated.covariates)


@pytest.fixture(scope="module")
def dask_client():
    """A dask.distributed LocalCluster of 2 single-threaded in-process workers."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    with distributed.Client(cluster) as connected:
        yield connected
    cluster.close()


@pytest.fixture(scope="session")
def sources_study():
    """A small three-source study (600 people, base/persona/finetuned, a pilot of 150, the fine-tuned
    source tuned on half of it), for the sources tests."""
    from synthsurvey.io.simulate_sources import simulate_sources

    return simulate_sources(n_people=600, n_pilot=150, seed=5)
