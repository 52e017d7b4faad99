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

# The task worker (follower fan-out, the daily digest) runs beside the server and stops with it.
run: $(STAMP)
	scripts/system-packages --run
	$(BIN)/stoa demo
	$(BIN)/stoa db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/stoa serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	scripts/system-packages
	$(BIN)/pytest -n 2 --dist loadgroup

test-scaled: $(STAMP)
	scripts/system-packages --scaled
	scripts/with-services $(BIN)/pytest -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy stoa
	$(BIN)/lint-imports

# The benchmarks (bench/README.md), on SQLite and then on PostgreSQL with Redis: the
# conversation and submissions at scale (bench/run.py), the learner's pages against a bare view
# (bench/speed.py), the team's workspace at 1,000,000 learners (bench/team.py), a course's
# first week under a mixed load of 1,000 learners (bench/mixed.py), importing and exporting the
# research data of a run of 100,000 learners (bench/research.py), searching a course with 500
# hours of transcripts (bench/search.py). Writes bench/reports/ and
# fails when a bar is missed. About 120 minutes on 2 cores.
# BENCH_OPTIONS=--small tries the harness on a small data set.
BENCH_OPTIONS ?=
bench: $(STAMP)
	scripts/system-packages --bench
	-$(BIN)/python -m bench.run --database sqlite $(BENCH_OPTIONS)
	-scripts/with-services $(BIN)/python -m bench.run --database postgresql $(BENCH_OPTIONS)
	-$(BIN)/python -m bench.speed --database sqlite $(BENCH_OPTIONS)
	-scripts/with-services $(BIN)/python -m bench.speed --database postgresql $(BENCH_OPTIONS)
	-$(BIN)/python -m bench.team --database sqlite $(BENCH_OPTIONS)
	-scripts/with-services $(BIN)/python -m bench.team --database postgresql $(BENCH_OPTIONS)
	-$(BIN)/python -m bench.mixed --database sqlite $(BENCH_OPTIONS)
	-scripts/with-services $(BIN)/python -m bench.mixed --database postgresql $(BENCH_OPTIONS)
	-$(BIN)/python -m bench.research --database sqlite $(BENCH_OPTIONS)
	-scripts/with-services $(BIN)/python -m bench.research --database postgresql $(BENCH_OPTIONS)
	-$(BIN)/python -m bench.search --database sqlite $(BENCH_OPTIONS)
	-scripts/with-services $(BIN)/python -m bench.search --database postgresql $(BENCH_OPTIONS)
	status=0; \
	$(BIN)/python -m bench.report || status=1; \
	$(BIN)/python -m bench.speed --report || status=1; \
	$(BIN)/python -m bench.team --report || status=1; \
	$(BIN)/python -m bench.mixed --report || status=1; \
	$(BIN)/python -m bench.research --report || status=1; \
	$(BIN)/python -m bench.search --report || status=1; \
	exit $$status

clean:
	rm -rf $(VENV) data test-output bench/data .import_linter_cache
