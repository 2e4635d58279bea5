# The one entry point: set-up, lint, tests, demo, template checks, build, benchmarks.
# Needs only python3 (3.11+) with venv and pip; everything else is installed here.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
SAM_STAMP := $(SAM_VENV)/.installed
# Cloud Custodian, for the benchmarks only: bench/custodian_env.py creates it on first use.
C7N_VENV := .venv-c7n
SAM_CLI_VERSION := 1.170.0
# sam build targets the Lambda runtime, python3.13; pyenv provides it beside 3.11.
SAM_BUILD_ENV := PYENV_VERSION=3.11.7:3.13.0
export SAM_CLI_TELEMETRY := 0

.PHONY: install lint test unit integration demo validate build bench clean

install: $(STAMP)

$(STAMP): requirements-dev.txt layers/guard/requirements.txt functions/slack_notifier/requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	# The editable install runs from site-packages; the metadata setuptools leaves beside
	# the layer's source (a copy of this README among it) is not part of the layer.
	rm -rf layers/guard/*.egg-info
	touch $@

$(SAM_STAMP):
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check aws-sam-cli==$(SAM_CLI_VERSION)
	touch $@

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## test: every check a change must pass: lint, types, unit and integration tests, template
test: lint validate
	$(BIN)/pytest

unit: install
	$(BIN)/pytest tests/unit

integration: install
	$(BIN)/pytest tests/integration

## demo: the guard against a local AWS emulator; no AWS account needed
demo: install
	$(BIN)/python -m demo

validate: install $(SAM_STAMP)
	$(BIN)/cfn-lint template.yaml
	$(SAM) validate --lint --template template.yaml --region us-east-1

build: $(SAM_STAMP)
	$(SAM_BUILD_ENV) $(SAM) build --template template.yaml

## bench: what the guards cost, beside Cloud Custodian (in $(C7N_VENV)); figures in .bench/
bench: install
	$(BIN)/python -m bench.job_guard_event
	$(BIN)/python -m bench.sg_guard_event
	$(BIN)/python -m bench.fleet
	$(BIN)/python -m bench.cold_start
	$(BIN)/python -m bench.sizes

clean:
	rm -rf $(VENV) $(SAM_VENV) $(C7N_VENV) $(C7N_VENV).lock .bench .aws-sam .pytest_cache \
		.mypy_cache .ruff_cache
