# Two entry points, each installing what is missing first (run as root on Debian 12):
#   make demo   main job on the bundled simulated study -> results/
#   make test   the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
APT_PACKAGES := r-base-core r-base-dev r-cran-reticulate r-cran-testthat r-cran-knitr \
                r-cran-rmarkdown r-cran-jsonlite r-cran-survey pandoc
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: demo test setup system-packages python-env pytest benchmarks clean

demo: setup
	$(VENV)/bin/synthsurvey --out results
	@echo "demo: see results/"

test: setup pytest

setup: system-packages python-env

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
	$(VENV)/bin/pip install -q -e ".[dev,r]"
	touch $@

pytest:
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider

benchmarks: setup
	$(VENV)/bin/python benchmarks/accuracy.py
	$(VENV)/bin/python benchmarks/features.py

clean:
	rm -rf $(VENV) results synthsurvey.egg-info
