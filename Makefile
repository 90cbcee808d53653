# Two entry points, each installing what is missing first (run as root on Debian 12):
#   make demo   main job on the bundled simulated study -> results/
#   make test   the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
APT_PACKAGES := r-base-core r-base-dev r-cran-reticulate r-cran-generics r-cran-testthat r-cran-knitr \
                r-cran-rmarkdown r-cran-roxygen2 r-cran-jsonlite r-cran-survey r-cran-psychtools \
                r-cran-mass r-cran-ordinal r-cran-broom r-cran-haven r-cran-tibble \
                pandoc chromium
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: demo test setup system-packages python-env r-package pytest vignettes r-check r-check-built benchmarks clean

demo: setup
	$(VENV)/bin/synthsurvey --out results
	@echo "demo: see results/"

# after set-up, pytest runs beside the vignettes and R CMD check (two cores; each is one process;
# output kept whole per target)
test: setup
	$(MAKE) --no-print-directory -j2 --output-sync=target pytest vignettes r-check-built

setup: system-packages python-env r-package

# the R package with its vignettes: R CMD build (which runs the vignettes on this checkout's
# Python) and R CMD INSTALL of the tarball into R's site library (the R parity tests load it), so
# that vignette(package = "synthsurvey") lists them; the Python is recorded beside the installed
# package, where ss_python() finds it (examples and vignettes run without further set-up)
r-package: python-env
	rm -rf build/r-package && mkdir -p build/r-package
	cd build/r-package && R CMD build ../../r-package > build.log 2>&1 || (cat build.log; exit 1)
	R CMD INSTALL --no-test-load build/r-package/synthsurvey_*.tar.gz > .r-install.log 2>&1 || (cat .r-install.log; exit 1)
	echo "$(SYNTHSURVEY_PYTHON)" > "$$(Rscript -e 'cat(system.file(package = "synthsurvey"))')/python-path"

# Debian packages: installed only when one is missing (apt-get update first, as Debian requires)
system-packages:
	@if ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
	  echo "installing Debian packages: $(APT_PACKAGES)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); \
	fi

python-env: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e ".[dev,r,edsl,fast]"
	touch $@

export SYNTHSURVEY_PYTHON := $(CURDIR)/$(VENV)/bin/python
# the distributional-alignment benchmark (no license: read where it lies, never copied into the
# package); R's group-calibration vignette and tests find it here, and fall back without it
export SYNTHSURVEY_SHARED_DATA := $(abspath $(CURDIR)/../shared/data)

pytest:
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider

# Python vignettes: jupytext percent scripts executed from scratch to notebooks and HTML
# (build/vignettes/); a cell that raises fails the build. R vignettes build in r-check.
vignettes:
	rm -rf build/vignettes && mkdir -p build/vignettes
	for script in vignettes/*.py; do \
	  name=$$(basename $$script .py); echo "vignette $$name"; \
	  $(VENV)/bin/jupytext -q --to ipynb --set-kernel python3 -o build/vignettes/$$name.ipynb $$script || exit 1; \
	  $(VENV)/bin/jupyter nbconvert --log-level=WARN --to notebook --execute --ExecutePreprocessor.timeout=1200 \
	    --output $$name.executed.ipynb build/vignettes/$$name.ipynb || exit 1; \
	  $(VENV)/bin/jupyter nbconvert --log-level=WARN --to html --output $$name.html \
	    build/vignettes/$$name.executed.ipynb || exit 1; \
	done

# R CMD check of the tarball r-package built (runs the testthat tests and the vignettes); any
# ERROR or WARNING fails
r-check: r-package
	$(MAKE) --no-print-directory r-check-built

r-check-built:
	rm -rf build/r && mkdir -p build/r
	cd build/r && _R_CHECK_SYSTEM_CLOCK_=0 R CMD check --no-manual ../r-package/synthsurvey_*.tar.gz > check.log 2>&1; \
	  status=$$?; cat check.log; \
	  if [ $$status -ne 0 ] || grep -qE "^Status:.*(ERROR|WARNING)" check.log; then \
	    cat synthsurvey.Rcheck/tests/testthat.Rout.fail 2>/dev/null; exit 1; fi

# every script the README lists under Benchmarks (scale.py writes ~1.5 GB of parquet to /tmp)
benchmarks: setup
	for script in accuracy features inference r_bridge scale questionnaire sources_stacking heavy_weights; do \
	  echo "benchmark $$script"; $(VENV)/bin/python benchmarks/$$script.py || exit 1; \
	done

clean:
	rm -rf $(VENV) results synthsurvey.egg-info build .r-install.log
