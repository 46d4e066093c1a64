# Every target that runs code installs what it needs into .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint check schema bench serve graph clean chromium

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## chat with the bot in the terminal, on the bundled dialogs
	$(BIN)/loket chat --dialogs dialogs

test: $(STAMP) chromium  ## the whole suite: dialog checks, conversation tests, pytest
	$(BIN)/loket check dialogs
	$(BIN)/loket test dialogs
	$(BIN)/pytest

# The browser tests drive Debian's Chromium through Playwright; no browser is downloaded.
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: $(STAMP)  ## never changes files, so CI can run it
	$(BIN)/ruff format --check botcore channels tests bench
	$(BIN)/ruff check botcore channels tests bench
	$(BIN)/mypy

check: $(STAMP)  ## validate the dialogs
	$(BIN)/loket check dialogs

schema: $(STAMP)  ## rewrite dialogs/schema.json from the format in botcore/spec.py
	$(BIN)/loket schema --write --dialogs dialogs

bench: $(STAMP)  ## benchmarks; figures are ratios against a baseline of the same run
	command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/webhook.py
	$(BIN)/python bench/telegram.py
	$(BIN)/python bench/inbox.py

graph: $(STAMP)  ## draw every dialog into graphs/: Mermaid, and SVG where Graphviz is installed
	$(BIN)/loket graph --dialogs dialogs --out graphs $$(ls dialogs/*.yaml | xargs -n1 basename | sed 's/\.yaml$$//' | grep -vx bot)

serve: $(STAMP)
	$(BIN)/loket serve

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
