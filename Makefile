# netraven.core — developer entry points. `make demo` and `make test` are the two that matter.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON     ?= python3.11
VENV       := .venv
BIN        := $(abspath $(VENV))/bin
ROOT       := $(abspath .)
BUILD      := $(ROOT)/build
COLL_LINK  := $(BUILD)/collections/ansible_collections/netraven/core
SANITY_DIR := $(BUILD)/sanity/ansible_collections/netraven/core
AT_DIR     := $(BUILD)/ansible-test/ansible_collections/netraven/core
STAMP      := $(VENV)/.installed
VENV_OLD   := .venv-2.16
BIN_OLD    := $(abspath $(VENV_OLD))/bin
OLD_STAMP  := $(VENV_OLD)/.installed
# The one end-to-end backup of the oldest-stack run: three backup runs on the lab (priority, learned,
# a changed config), lockout by banner included.
E2E_OLD    := tests/integration/backup/test_backup_playbook.py
BENCH_STAMP := $(VENV)/.bench-installed
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
PYTEST_ARGS ?=

.PHONY: help setup typecheck pytest test test-2.16 unit units integration integration-targets sanity lint docs-lint build importer clean demo bench bench-quick browser

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $(STAMP)

$(OLD_STAMP): requirements-2.16.txt
	test -x $(BIN_OLD)/python || $(PYTHON) -m venv $(VENV_OLD)
	$(BIN_OLD)/python -m pip install -q --upgrade pip
	$(BIN_OLD)/python -m pip install -q -r requirements-2.16.txt
	touch $(OLD_STAMP)

$(COLL_LINK):
	mkdir -p $(dir $(COLL_LINK))
	ln -sfn $(ROOT) $(COLL_LINK)

setup: $(STAMP) $(COLL_LINK) ## create .venv, install requirements, link the collection
	@$(BIN)/python hack/seed_ansible_test_pip.py >/dev/null

# A copy of the files git would commit, at the ansible_collections/<ns>/<name> path ansible-test needs.
define copy_tree
	rm -rf $(1) && mkdir -p $(1)
	git ls-files -z --cached --others --exclude-standard | rsync -a --from0 --files-from=- ./ $(1)/
	cd $(1) && git init -q && git add -A
endef

unit: setup ## unit tests with plain pytest (tests/unit)
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

units: setup ## the same unit tests under ansible-test units --local (what make test runs)
	$(call copy_tree,$(AT_DIR))
	cd $(AT_DIR) && $(BIN)/ansible-test units --local --python 3.11 --color no

integration: setup ## integration tests against the lab, SQLite and PostgreSQL (pytest tests/integration)
	$(BIN)/pytest tests/integration $(PYTEST_ARGS)

test-2.16: setup $(OLD_STAMP) ## the oldest supported stack in .venv-2.16 (ansible-core 2.16, the declared netmiko/paramiko floors): unit tests and one end-to-end backup on the lab
	$(BIN_OLD)/python -c 'import ansible, netmiko, paramiko; print("oldest stack: ansible-core", ansible.__version__, "netmiko", netmiko.__version__, "paramiko", paramiko.__version__)'
	$(BIN_OLD)/pytest -p no:cacheprovider tests/unit $(E2E_OLD) $(PYTEST_ARGS)

integration-targets: setup ## ansible-test integration --local: the plugin targets in tests/integration/targets
	$(call copy_tree,$(AT_DIR))
	cd $(AT_DIR) && $(BIN)/ansible-test integration --local --python 3.11 --color no

sanity: setup ## ansible-test sanity on a clean copy of the tracked tree
	$(call copy_tree,$(SANITY_DIR))
	cd $(SANITY_DIR) && $(BIN)/ansible-test sanity --local --python 3.11 --requirements --color no

lint: setup ## ansible-lint --profile production on roles and playbooks
	@paths="$$(ls -d roles playbooks 2>/dev/null | xargs)"; \
	if [ -z "$$(find roles playbooks -name '*.yml' 2>/dev/null)" ]; then echo "lint: no roles or playbooks yet"; \
	else $(BIN)/ansible-lint --profile production $$paths; fi

docs-lint: setup ## antsibull-docs lint-collection-docs --plugin-docs: the docsite guides and every plugin/role doc; any message fails
	@out="$$($(BIN)/antsibull-docs lint-collection-docs --plugin-docs . 2>&1)"; rc=$$?; \
	if [ $$rc -ne 0 ] || [ -n "$$out" ]; then printf '%s\n' "$$out"; echo "docs-lint: failed (rc $$rc)"; exit 1; fi; \
	echo "docs-lint: antsibull-docs lint-collection-docs --plugin-docs: no errors, no warnings"

build: setup ## ansible-galaxy collection build into build/dist
	mkdir -p $(BUILD)/dist
	$(BIN)/ansible-galaxy collection build --force --output-path $(BUILD)/dist .

importer: build ## galaxy-importer (as Galaxy runs it on upload) on the built tarball: ansible-doc, ansible-lint, flake8; any ERROR or WARNING fails
	rm -rf $(BUILD)/importer && mkdir -p $(BUILD)/importer
	@cd $(BUILD)/importer && tarball="$$(ls -t $(BUILD)/dist/netraven-core-*.tar.gz | head -n 1)" && \
	  GALAXY_IMPORTER_CONFIG=$(ROOT)/hack/galaxy-importer.cfg $(BIN)/python -m galaxy_importer.main "$$tarball" >importer.log 2>&1; rc=$$?; \
	  problems="$$(grep -E '^(ERROR|WARNING|CRITICAL)' importer.log)"; \
	  if [ $$rc -ne 0 ] || [ -n "$$problems" ] || ! grep -q '^Importer processing completed successfully' importer.log; then \
	    cat importer.log; echo "importer: galaxy-importer reported problems (rc $$rc; log: $(BUILD)/importer/importer.log)"; exit 1; fi; \
	  echo "importer: galaxy-importer on $$(basename $$tarball): 0 errors, 0 warnings (ansible-doc, ansible-lint, flake8)"

typecheck: setup ## mypy on plugins/ (the type hints are checked)
	cd $(BUILD)/collections && MYPYPATH=. $(BIN)/mypy --config-file $(ROOT)/hack/mypy.ini -p ansible_collections.netraven.core.plugins

pytest: setup ## unit + integration tests in one pytest run
	$(BIN)/pytest $(PYTEST_ARGS)

browser: ## headless Chromium for the report page test: Debian's chromium, installed when missing and root
	@if [ -n "$$NETRAVEN_TEST_CHROMIUM" ] || command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium (headless browser for the report page test)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }; \
	else echo "chromium not found and not root: the report page test will skip (and fail under CI=true)"; fi

test: setup $(BENCH_STAMP) browser ## everything CI runs: mypy on plugins/, unit tests (ansible-test units), ansible-test integration targets, pytest integration (with the bench deps, for the network_cli probe test; Chromium for the report page), the ansible-core 2.16 run, sanity, lint, docs-lint, build + galaxy-importer, bench-quick
	$(MAKE) --no-print-directory typecheck units integration-targets integration test-2.16 sanity lint docs-lint importer bench-quick

demo: setup ## run the nightly backup on the built-in lab (twice), print the credential report
	$(BIN)/python hack/demo.py

$(BENCH_STAMP): requirements-bench.txt $(STAMP)
	$(BIN)/python -m pip install -q -r requirements-bench.txt
	touch $(BENCH_STAMP)

bench: setup $(BENCH_STAMP) ## the benchmarks of bench/run.py at full size -> bench/results/*.json, bench/README.md (BENCH_ARGS="--only P6A,P7")
	$(BIN)/python bench/run.py --full $(BENCH_ARGS)

bench-quick: setup $(BENCH_STAMP) ## the benchmarks at tiny sizes, one run each (harness check for make test, ~1 min)
	$(BIN)/python bench/run.py --quick

clean: ## remove build output, lab state and caches (keeps .venv and .venv-2.16)
	rm -rf build tests/output .pytest_cache .hypothesis lab/state
	find . -name __pycache__ -not -path './.venv/*' -prune -exec rm -rf {} +
