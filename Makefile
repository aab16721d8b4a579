# `make run` and `make test` work on a fresh clone: they create .venv and install what they need.
VENV      := .venv
PY        := $(VENV)/bin/python
PORT      ?= 8000
MOTO_PORT ?= 5005
STAMP     := $(VENV)/.installed

.PHONY: install browser-deps run test test-fast check bench bench-scale rollup republish dataset extension deploy destroy package deploy-single clean

$(STAMP): requirements.txt requirements-dev.txt requirements-dataset.txt
	test -x $(PY) || python3 -m venv $(VENV)
	# chalice pins pip<26.3 and packaging calls `pip download`: never upgrade pip here.
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# Browser tests: axe-core from npm (injected into pages), Debian's Chromium and Firefox ESR.
NODE_STAMP := node_modules/.installed
CHROMIUM   := /usr/bin/chromium

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	else echo "The browser tests need Debian's Chromium: sudo apt-get install -y chromium" >&2; exit 1; fi

# The extension's Firefox tests: Debian's firefox-esr from the security suite (153; the main suite's 140 refuses an
# add-on that asks for 142), driven over WebDriver BiDi (tests/firefox_bidi.py).
FIREFOX := /usr/bin/firefox-esr

$(FIREFOX):
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq --no-install-recommends firefox-esr; \
	else echo "The Firefox tests need Debian's firefox-esr: sudo apt-get install -y firefox-esr" >&2; exit 1; fi

browser-deps: $(NODE_STAMP) $(CHROMIUM) $(FIREFOX)

## Start the moto server (in-memory DynamoDB + S3) and `chalice local`; Ctrl-C stops both. SEED=1 adds demo data,
## SEED=10000 that many realistic conversations too; PERSIST=.localdata keeps the data across restarts.
run: install
	$(PY) scripts/run_local.py --port $(PORT) --moto-port $(MOTO_PORT) $(if $(SEED),--seed $(SEED),) $(if $(PERSIST),--persist $(PERSIST),)

## The whole test suite, every tier (starts its own moto server and chalice local on free ports).
## The moto patch's own tests run in a process of their own: they use moto in-process, tests/ a moto server.
test: install browser-deps
	$(PY) -m pytest -q -p no:cacheprovider scripts/test_moto_patches.py
	$(PY) -m pytest -q -p no:cacheprovider tests

## The fast tiers while you work: unit and API tests, no browser, infra or fuzzing (under a minute).
test-fast: install
	$(PY) -m pytest -q -p no:cacheprovider -m "unit or api" tests

## Lint and type-check: ruff with pyproject.toml's rules over everything, mypy over app.py and chalicelib/.
check: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

## Print cold-start, AWS call ledger and create-latency figures (see docs/performance.md).
bench: install
	# npm ci refuses this lock file: a Lighthouse dependency asks for third-party-web@"latest".
	cd bench && npm install --no-audit --no-fund
	$(PY) bench/run.py

## The local stack at size: 10,000 creates through `chalice local`, then search, count, paging and the fold of an hour of CDN logs
## costs at that size (BENCH_SCALE_N=... for another count). About 15 minutes; prints figures only.
bench-scale: install
	$(PY) bench/scale.py

## Deploy to AWS (credentials and region from your AWS profile): STAGE=dev|prod, optional SITE_DOMAIN,
## SHORT_DOMAIN, CERTIFICATE_ARN (us-east-1), HOSTED_ZONE_ID. See docs/deploying.md.
STAGE ?= dev
deploy: install
	$(PY) scripts/deploy.py deploy --stage $(STAGE) --site-domain "$(SITE_DOMAIN)" --short-domain "$(SHORT_DOMAIN)" \
	  --certificate-arn "$(CERTIFICATE_ARN)" --hosted-zone-id "$(HOSTED_ZONE_ID)" --abuse-email "$(ABUSE_EMAIL)"

## Remove the stage; tables and bucket are kept unless DELETE_DATA=1.
destroy: install
	$(PY) scripts/deploy.py destroy --stage $(STAGE) $(if $(DELETE_DATA),--delete-data,)

## The single-stack way: dist/package-$(STAGE)/sam.yaml (then `aws cloudformation package` and `deploy`).
package: install
	$(PY) scripts/deploy.py package --stage $(STAGE)

## The single-stack way, deployed: package, upload the code to ARTIFACT_BUCKET, one CloudFormation stack.
deploy-single: install
	$(PY) scripts/deploy.py deploy-single --stage $(STAGE) --artifact-bucket "$(ARTIFACT_BUCKET)" \
	  --api-origin-domain "$(API_ORIGIN_DOMAIN)"

## Build the browser extension's store packages: dist/sharegpt-chrome.zip and dist/sharegpt-firefox.zip.
extension:
	python3 scripts/build_extension.py --out dist

## Fold the access logs under cdn-logs/ into the view counts now, against the `make run` stack.
rollup: install
	$(PY) -c "import os; from scripts.devstack import local_env; os.environ.update(local_env($(MOTO_PORT))); \
	from chalicelib import jobs, views; print(views.summary(jobs.fold_views()))"

## Draw every page of the `make run` stack again, as a deploy does: queue them (SQS, in moto), then work the
## queue here with the republish Lambda's own code (no Lambda polls moto's queue).
republish: install
	$(PY) -c "import os; from scripts.devstack import local_env; os.environ.update(local_env($(MOTO_PORT))); \
	from chalicelib import published; print(published.enqueue_republish(stale_only=False)); \
	print(published.drain_republish_queue())"

## Write today's snapshot of the open dataset now, against the `make run` stack (then served at /dataset/...);
## DATASET_COOLING_HOURS=0 includes donations given a moment ago (default 24, as `make run` uses).
dataset: install
	$(PY) -c "import os, json; from scripts.devstack import local_env; os.environ.update(local_env($(MOTO_PORT))); \
	from chalicelib import dataset; print(json.dumps(dataset.apply_removals())); print(json.dumps(dataset.snapshot()))"

clean:
	rm -rf $(VENV) node_modules .pytest_cache tests/artifacts
