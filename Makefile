# Each target creates .venv when missing and reinstalls when pyproject.toml changes.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-scaled lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $$(scripts/find-python) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/stoa demo
	$(BIN)/stoa runserver 127.0.0.1:8000

test: $(STAMP)
	scripts/system-packages
	$(BIN)/pytest -n 2 --dist loadgroup

test-scaled: $(STAMP)
	scripts/system-packages --scaled
	scripts/with-services $(BIN)/pytest -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) data test-output
