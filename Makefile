# Two commands, each doing its own set-up on a fresh machine with only Python 3 and pip:
#   make demo   run the instrumented demo pipeline and show its lineage
#   make test   run the whole test suite (what CI runs, through .ci/run)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test venv clean bench browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(PY) integration/demo.py

test: $(STAMP) browser
	$(PY) -m pytest -q -p no:cacheprovider

# Debian's Chromium for the HTML lineage view tests (Playwright drives /usr/bin/chromium; it never
# downloads a browser). Installed when missing and possible (root with apt-get); otherwise those tests
# are skipped with a reason.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests ..."; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	  else echo "note: chromium is not installed; the HTML view browser tests will be skipped"; fi; }

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
