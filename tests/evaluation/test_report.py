"""The HTML report renders in headless Chromium: the page has the expected headings and images
and a screenshot is taken."""

import re
import shutil
import subprocess

import pytest

import synthsurvey as ss

COVARIATES = ["age", "female", "C(educ)", "ideology", "rural"]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def page(study, tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    belief = ss.debias(ss.default_formula("belief", [1, 2, 3, 4, 5], COVARIATES), study.samples, study.pilot,
                       study.covariates)
    action = ss.debias("action ~ llm_mean + ideology", study.samples, study.pilot, study.covariates, family="logit")
    path = ss.report([belief, action], folder / "report.html", formula="belief ~ age + ideology + rural",
                     by=["educ"], coherence=("belief", "action"))
    return folder, path


def test_report_is_self_contained(page):
    _, path = page
    text = path.read_text()
    assert "http://" not in text and "https://" not in text
    assert text.count("data:image/png;base64,") >= 4  # 2 distributions, forest plot, subgroup heatmap


def test_report_opens_in_headless_chromium(page):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is installed by `make setup` (Debian package chromium)"
    folder, path = page
    flags = CHROMIUM_FLAGS + [f"--user-data-dir={folder / 'profile'}"]
    dom = subprocess.run([chromium, *flags, "--dump-dom", path.as_uri()], capture_output=True, text=True,
                         timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    headings = re.findall(r"<h2>(.*?)</h2>", dom.stdout)
    assert headings == ["Marginal fidelity", "Structural fidelity: coefficient recovery", "Individual fidelity",
                        "Subgroups", "Belief-action coherence"]
    assert len(re.findall(r"<img ", dom.stdout)) >= 4
    shot = folder / "report.png"
    run = subprocess.run([chromium, *flags, "--window-size=1200,2400", f"--screenshot={shot}", path.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
