# NoteLens set-up and main jobs. `make run` and `make test` do everything on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: run test install install-dev browser validate bench train evaluate serve clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first, pinned to the local CPU wheel, so no dependency pulls the CUDA build.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install -q -e ".[dev,ray]"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -q && apt-get install -y -q chromium) >/dev/null 2>&1 || \
	  echo "WARNING: could not install chromium; browser tests will be skipped"; }

run: install
	$(BIN)/notelens audit samples/sample_notes.csv -o out/sample_audit --group-by team --date-col date --min-group-size 3
	@echo ""
	@echo "Report: out/sample_audit/report.html (open it in a browser; it makes no network request)"
	@echo "Web demo: $(BIN)/python app.py   then open http://127.0.0.1:7860"

validate: install
	$(BIN)/notelens data validate training/data/corpus.jsonl

test: install-dev browser validate
	$(BIN)/python -m pytest -q

train: install
	$(BIN)/notelens train --config training/config.yaml -o models/notelens-minilm

evaluate: install
	$(BIN)/notelens evaluate --model models/notelens-minilm --data training/data/corpus.jsonl --split test \
	  -o models/notelens-minilm --update-card

bench: install-dev
	$(BIN)/python benchmarks/bench.py --int8 --audit-notes 2000 --ray --json benchmarks/results.json

serve: install
	$(BIN)/python app.py

clean:
	rm -rf out .pytest_cache
