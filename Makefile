# Every target creates .venv on first use, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test faults fuzz lint serve sandbox bench bench-cpu bench-instructions bench-dispatch bench-scale clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/gateway demo

# The suite mostly waits (timeouts, redis-server, subprocesses), not computes:
# four workers finish it in about 4 minutes on 2 cores, where one takes 14.
# Each worker starts its own redis-server; TEST_WORKERS=0 runs in-process.
TEST_WORKERS ?= 4
test: $(STAMP)
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The fault checkers' long profile: every fault kind at every step of a call
# and a conversation, and many more generated programs for them and for the
# dispatcher (shrunk to a minimal one on failure). About 20 minutes.
faults: $(STAMP)
	FAULTS_PROFILE=long $(BIN)/pytest -s tests/faults/test_checker.py \
		tests/faults/test_checker_dispatch.py $(PYTEST_ARGS)

# The hostile-input fuzz's long profile: FUZZ_EXAMPLES examples of each fuzz
# test in tests/security/ (shared among its routes or content types), with a
# new random seed each run; a failure prints the blob that reproduces it.
# make test runs a short, derandomized profile. About 15 minutes.
FUZZ_EXAMPLES ?= 5000
fuzz: $(STAMP)
	SECURITY_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/security/test_hostile_*.py \
		--timeout=3600 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check gateway tests bench
	$(BIN)/ruff format --check gateway tests bench
	$(BIN)/mypy --strict gateway

serve: $(STAMP)
	$(BIN)/gateway serve

sandbox: $(STAMP)
	$(BIN)/gateway sandbox

bench: $(STAMP)
	$(BIN)/python bench/turns.py

# CPU per voice and SMS turn, three runs, recorded under a label next to the
# earlier ones (bench/cpu-results.json). About 3 minutes.
BENCH_LABEL ?= current
bench-cpu: $(STAMP)
	$(BIN)/python bench/cpu.py --label "$(BENCH_LABEL)" --note "$(BENCH_NOTE)"

# Instructions per voice and SMS turn under callgrind: repeatable within
# about 0.3%, so a 1% change shows (CPU time moves ±3-5%). About 2 minutes.
bench-instructions: $(STAMP)
	$(BIN)/python bench/instructions.py

bench-dispatch: $(STAMP)
	$(BIN)/python bench/dispatch.py

# Issue 14: SDX requests of an idle gateway, a due call and an unknown caller,
# for backlogs of 10k, 100k and 1M interactions (bench/scale.py --help).
# E.g. make bench-scale BENCH_ARGS="--label after --sizes 10000,100000".
# Up to about an hour with 1M; --quick takes about three minutes.
BENCH_ARGS ?= --label run
bench-scale: $(STAMP)
	$(BIN)/python bench/scale.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
