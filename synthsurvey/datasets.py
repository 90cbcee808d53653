"""Bundled example data.

``load_simulated()`` returns the seeded simulated study shipped in the repository's
``data/simulated_study/`` (regenerated from ``simulate_study`` when the package is
installed without the repository; the two are identical, which a test checks).
"""

from pathlib import Path

from .simulate import read_study, simulate_study

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SIMULATED_DIR = DATA_DIR / "simulated_study"


def load_simulated():
    """Return the bundled SimulatedStudy: ``samples`` (2,000 people x 40 draws x 2 items),
    ``pilot`` (250 people's human answers), ``covariates`` and ``holdout``."""
    if (SIMULATED_DIR / "samples.csv.gz").exists():
        return read_study(SIMULATED_DIR)
    return simulate_study()
