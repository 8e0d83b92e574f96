# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install models fast-model demo test test-fast test-deps lint bench eval eval-quick clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first and pinned: plain `torch` would pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/python -m auditor.export_onnx
	$(BIN)/python -m auditor.distill
	touch $@

install: $(VENV)/.installed

# The ONNX copies of the bundled MiniLM in the user cache ($$AUDITOR_CACHE_DIR or ~/.cache/auditor),
# float exported with torch once so that audits never import it, and the static int8 copy audits
# use by default (both also built at first use).
models: install
	$(BIN)/python -m auditor.export_onnx

# Fast mode's static embeddings (`auditor audit --fast`), distilled from the ONNX MiniLM with
# model2vec's recipe into the same cache (about 30 s of CPU; also part of `make install`), and
# their CC-CEDICT gloss table for Chinese sources (about 8 s more).
fast-model: install
	$(BIN)/python -m auditor.distill

demo: install
	$(BIN)/auditor audit seeds/001_dda61ef40afe4077.txt \
	    --ref seeds/000_bf9eb7df09abd944.txt --ref seeds/004_cffa8e18d46157bb.txt \
	    --json reports/seed-audit.json --csv reports/seed-findings.csv --html reports/seed-audit.html

# Debian's chromium for the browser test of the HTML report (needs root; skipped quietly otherwise).
test-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "warning: could not install chromium; browser tests will fail"; \
	  else echo "warning: not root, cannot apt-get chromium"; fi; \
	fi

test: install test-deps
	@echo "running the test suite (browser tests required: AUDITOR_REQUIRE_BROWSER=1)"
	$(BIN)/ruff check auditor tests benchmarks
	AUDITOR_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q tests

# The quick loop while editing: everything but the tests marked slow (Dask, subprocesses, the
# browser, whole audits through the CLI). `make test` (all of them) is what CI runs.
test-fast: install
	$(BIN)/ruff check auditor tests benchmarks
	$(BIN)/python -m pytest -q -m "not slow" tests

lint: install
	$(BIN)/ruff check auditor tests benchmarks

bench: install
	$(BIN)/python benchmarks/speed.py

# Agreement with professional MQM annotations (../shared/data) + speed -> benchmarks/results.md
# (about 3 minutes on 2 cores).
eval: install
	$(BIN)/python benchmarks/evaluate_mqm.py
	$(BIN)/python benchmarks/speed.py --append benchmarks/results.md

eval-quick: install
	$(BIN)/python benchmarks/evaluate_mqm.py --limit 10 --out /tmp/auditor-results.md

clean:
	rm -rf $(VENV) .pytest_cache
