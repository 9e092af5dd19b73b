# The PharmaCare Redis Guide. Two commands do all set-up on a fresh machine:
#   make serve   serve the site at http://127.0.0.1:8000 with live reload
#   make test    run the whole suite (servers, snippets, captures, strict site build)
PYTHON ?= python3
export NO_MKDOCS_2_WARNING := 1
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: serve test captures redis lint site clean bench
.DEFAULT_GOAL := test

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing pinned dependencies into $(VENV) …"
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

serve: $(STAMP)
	$(VENV)/bin/mkdocs serve --dev-addr 127.0.0.1:8000 --livereload

test: $(STAMP)
	$(PY) -m pytest --cov --cov-report=term-missing:skip-covered --cov-fail-under=100 $(PYTEST_ARGS)

# Refresh docs/_captured/ from a real run (review the diff before committing).
captures: $(STAMP)
	$(PY) -m pytest --update-captures -q $(PYTEST_ARGS)

# A local Valkey on 127.0.0.1:6379 (the embedded binary) for trying snippets by hand.
redis: $(STAMP)
	$(PY) -m tests.harness --port 6379

# Ratios measured side by side in one run (a few minutes); writes docs/_captured/bench.txt.
bench: $(STAMP)
	$(PY) -m tests.bench

lint: $(STAMP)
	$(VENV)/bin/ruff check snippets macros tests

# The static site as Netlify publishes it (netlify.toml): every version in versions.toml,
# built from its commit with its own test run feeding the badges (tests/site/build_site.py).
site: $(STAMP)
	$(PY) -m tests.site.build_site --out site

clean:
	rm -rf site .coverage .coverage.* htmlcov .pytest_cache
