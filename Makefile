# `make run` and `make test` work on a fresh clone: they create .venv and install what they need.
VENV      := .venv
PY        := $(VENV)/bin/python
PORT      ?= 8000
MOTO_PORT ?= 5005
STAMP     := $(VENV)/.installed

.PHONY: install run test bench rollup clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	# chalice pins pip<26.3 and packaging calls `pip download`: never upgrade pip here.
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

## Start the moto server (in-memory DynamoDB + S3) and `chalice local`; Ctrl-C stops both. SEED=1 adds demo data.
run: install
	$(PY) scripts/run_local.py --port $(PORT) --moto-port $(MOTO_PORT) $(if $(SEED),--seed,)

## The whole test suite (starts its own moto server and chalice local on free ports).
test: install
	$(PY) -m pytest -q -p no:cacheprovider tests

## Print cold-start, AWS call ledger and create-latency figures (see README "Performance").
bench: install
	$(PY) bench/run.py

## Fold pending view counts into the totals now, against the `make run` stack.
rollup: install
	$(PY) -c "import os; from scripts.devstack import local_env; os.environ.update(local_env($(MOTO_PORT))); \
	from chalicelib import views; print(views.roll_up(), 'views rolled up')"

clean:
	rm -rf $(VENV) .pytest_cache tests/artifacts
