# The two set-up commands of the README. Each creates .venv on first use and installs into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: chat test lint serve semantic screenshots clean

$(BIN)/cedp-bot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

chat: $(BIN)/cedp-bot  ## install, then talk to the bot in this terminal
	$(BIN)/cedp-bot chat

serve: $(BIN)/cedp-bot  ## install, then run the web server on port 8080
	$(BIN)/cedp-bot serve

semantic: $(BIN)/cedp-bot  ## add the optional sentence-embedding matcher (ONNX Runtime, no torch)
	$(BIN)/python -m pip install --quiet -e '.[dev,semantic]'

lint: $(BIN)/cedp-bot
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint  ## install, lint, then run the whole test suite
	$(BIN)/pytest

screenshots: $(BIN)/cedp-bot  ## the console's browser tests, saving each main page to docs/
	mkdir -p docs
	CEDP_CONSOLE_SCREENSHOTS=docs CEDP_SEMANTIC=off $(BIN)/pytest -q tests/e2e/console -k sqlite

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
