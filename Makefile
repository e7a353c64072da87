# The README's two commands: `make demo` and `make test`. Each does all of its own set-up.
PYTHON ?= python3
VENV := .venv
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9

.DEFAULT_GOAL := help
.PHONY: help setup demo test lint test-deps clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Deter needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet uv==$(UV_VERSION)

NPM_STAMP := node_modules/.deter-installed
STYLESHEET := build/frontend/govuk.css

setup: $(UV) $(STYLESHEET) ## install the locked Python and front-end packages, build the GOV.UK stylesheet
	$(UV) sync --frozen --quiet --compile-bytecode

# npm ci empties node_modules before it installs, so it runs only when the lock file changed
# (two `make test` at once, as .ci/run does, must not pull the OpenID provider from under
# each other); the stylesheet is rebuilt only when its sources or the packages change.
$(NPM_STAMP): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(STYLESHEET): $(wildcard src/deter/web/frontend/*.scss) $(NPM_STAMP)
	npx sass --no-source-map --style=compressed --quiet-deps --load-path=node_modules \
		src/deter/web/frontend/govuk.scss $@

demo: setup ## build the synthetic county, analyse it and serve the app on http://127.0.0.1:8000
	$(VENV)/bin/deter demo

test: setup test-deps ## run the whole test suite (DATABASE_URL picks SQLite or PostgreSQL)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: setup ## ruff over the code
	$(VENV)/bin/ruff check src tests

test-deps: ## install the Debian packages the tests use: Chromium, nginx, poppler (needs root and apt-get)
	@missing=""; [ -x /usr/bin/chromium ] || missing="chromium"; \
	[ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	[ -x /usr/bin/pdftoppm ] || missing="$$missing poppler-utils"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's $$missing for the browser and proxy tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
		echo "NOTE: $$missing missing and cannot be installed here (needs root and apt-get): the tests needing them will be skipped."; \
	fi

clean: ## remove the virtual environment, packages, build output and the demo database
	rm -rf $(VENV) node_modules build test-results deter.sqlite3
