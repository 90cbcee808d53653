"""The HTML report in headless Chromium at 1280 px: the population section first, a section per
item with a navigation list, tables that fit the page (no horizontal overflow), a screenshot."""

import re
import shutil
import subprocess

import pytest

import synthsurvey as ss
from synthsurvey.io.simulate_questionnaire import item_plan

COVARIATES = ["age", "female", "C(educ)", "ideology", "rural"]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDTH = 1280
PROBE = ("<script>window.addEventListener('load', function () {"
         "document.body.setAttribute('data-scroll-width', document.documentElement.scrollWidth);});</script>")


@pytest.fixture(scope="module")
def page(study, tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    belief = ss.debias(ss.default_formula("belief", [1, 2, 3, 4, 5], COVARIATES), study.samples, study.pilot,
                       study.covariates)
    action = ss.debias("action ~ llm_mean + ideology", study.samples, study.pilot, study.covariates, family="logit")
    path = ss.report([belief, action], folder / "report.html", formula="belief ~ age + ideology + rural",
                     by=["educ"], coherence=("belief", "action"))
    return folder, path


@pytest.fixture(scope="module")
def questionnaire_page(tmp_path_factory):
    """A questionnaire report with long item names and an item that falls back to the pilot alone."""
    folder = tmp_path_factory.mktemp("questionnaire_report")
    q = ss.simulate_questionnaire(n_people=600, n_draws=8, n_pilot=150, items=item_plan(4, 1, 1), seed=4)
    long_name = "trust_in_the_national_parliament_and_the_government_of_the_day"
    rename = {"q01": long_name}
    samples = q.samples.astype({"item": str}).replace({"item": rename})
    samples.loc[samples["item"] == "q02", "response"] = 3  # constant draws: q02 cannot be fitted
    humans = q.pilot.replace({"item": rename})
    study = ss.debias_items(samples, humans, q.covariates, covariate_terms=["age", "C(educ)", "ideology"],
                            scales={"q02": [1, 2, 3, 4, 5]})
    path = study.report(folder / "report.html", analyst={long_name: f"{long_name} ~ age + C(educ) + ideology"},
                        by=["educ"])
    return folder, path


def test_report_is_self_contained(page):
    _, path = page
    text = path.read_text()
    assert "http://" not in text and "https://" not in text
    # the population forest plot, 2 distributions, the coefficient forest plot, the subgroup heatmap
    assert text.count("data:image/png;base64,") >= 5


def chromium():
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "chromium is installed by `make setup` (Debian package chromium)"
    return found


def rendered(folder, path):
    """(the DOM Chromium renders at 1280 px, its scrollWidth), from a copy of the report with a probe."""
    probe = folder / "probe.html"
    probe.write_text(path.read_text().replace("</body>", PROBE + "</body>"))
    flags = CHROMIUM_FLAGS + [f"--user-data-dir={folder / 'profile'}", f"--window-size={WIDTH},900"]
    dom = subprocess.run([chromium(), *flags, "--dump-dom", probe.as_uri()], capture_output=True, text=True,
                         timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    width = re.search(r'data-scroll-width="(\d+)"', dom.stdout)
    assert width, "the probe did not run"
    return dom.stdout, int(width.group(1))


def screenshot(folder, path):
    shot = folder / "report.png"
    flags = CHROMIUM_FLAGS + [f"--user-data-dir={folder / 'profile'}", f"--window-size={WIDTH},2400"]
    run = subprocess.run([chromium(), *flags, f"--screenshot={shot}", path.as_uri()], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    return shot


def test_report_opens_in_headless_chromium_and_fits_the_page(page):
    folder, path = page
    dom, width = rendered(folder, path)
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", dom)
    assert headings[:5] == ["Population estimates", "Items", "belief", "action", "Belief-action coherence"]
    assert headings[5:] in ([], ["Notes"])  # the fits' notes (e.g. what llm_auto chose), when there are any
    sections = re.findall(r"<h3>(.*?)</h3>", dom)
    assert {"Population estimates", "Marginal fidelity (held-out answers)", "Individual fidelity (cross-fitted)",
            "Subgroups", "Structural fidelity: belief ~ age + ideology + rural"} <= set(sections)
    assert "href=\"#item-belief\"" in dom and "human floor (pilot alone)" in dom
    assert width <= WIDTH
    screenshot(folder, path)


def test_questionnaire_report_fits_the_page(questionnaire_page):
    folder, path = questionnaire_page
    dom, width = rendered(folder, path)
    assert width <= WIDTH
    assert dom.count("<section id=\"item-") == 6 and "not fitted, pilot alone" in dom
    screenshot(folder, path)
