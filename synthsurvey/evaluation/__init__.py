"""Stage 5: evaluation (the name ``fidelity`` is the public function). Metrics and distances, coefficient recovery, the fidelity axes and report,
group-level calibration, and the HTML report."""

from . import metrics
from .fidelity import FidelityReport, fidelity
from .calibration import GroupCalibration, calibrate_groups
from .groups import alignment_curve, group_cells
from .recovery import RecoveryResult, recover
from .report import report

__all__ = ["metrics", "fidelity", "FidelityReport", "recover", "RecoveryResult", "report", "group_cells",
           "calibrate_groups", "alignment_curve"]
