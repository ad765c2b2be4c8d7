# ClearView — the commands a newcomer needs. `make run` and `make test` install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export MOTO_SERVER_BIN := $(CURDIR)/$(VENV)/bin/moto_server
export AWS_DEFAULT_REGION ?= us-east-1
DATA_DIR ?= .clearview-data
PORT ?= 8080

.PHONY: help run test deps-and-build lint-build test-deps lint fmt gen check-gen test-rust test-infra test-api build sam-build deploy invoke bench bench-coldstart bench-load fuzz eval-parse clean-data

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# The first platform admin of the embedded default (the README's non-profit walkthrough signs in
# as them); in AWS the same variable is set on the auth-register function.
PLATFORM_ADMIN_EMAILS ?= root@platform.example
run: ## Start the whole system on the embedded default (no AWS account): API, OpenAPI, outbox
	bash scripts/system-deps.sh
	PLATFORM_ADMIN_EMAILS=$(PLATFORM_ADMIN_EMAILS) cargo run -p clearview-devserver -- --data-dir $(DATA_DIR) --port $(PORT)

test: deps-and-build check-gen test-infra test-rust test-api ## Everything CI runs: lint, drift, all tests on both adapter families, infra checks, Schemathesis
	@echo "make test: all checks passed"

# make test compiles the workspace once, with clippy's lints in it: clippy-driver is the
# workspace's compiler wrapper (as `cargo clippy` makes it), but for a build that generates
# code, so the dependencies are built once instead of once checked for clippy and once built
# for the tests. Every cargo command make test runs (xtask, the tests, the dev server for
# Schemathesis) has the same wrapper, so none rebuilds what another built. Every target is
# linted (`--all-targets`: libraries, binaries, tests, examples, benches) with warnings denied,
# as `make lint` does.
test: export RUSTC_WORKSPACE_WRAPPER := clippy-driver
test: export CLIPPY_ARGS := -D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__

# The toolchain install (pip and npm: mostly waiting on the registries) runs beside the linted
# build (cargo: CPU); both must pass. Its log is printed once it is done.
deps-and-build:
	@mkdir -p target; bash scripts/test-deps.sh > target/test-deps.log 2>&1 & deps=$$!; \
	$(MAKE) --no-print-directory lint-build; lint=$$?; \
	wait $$deps; d=$$?; cat target/test-deps.log; \
	if [ $$d -ne 0 ]; then echo "make test: test-deps failed (above)" >&2; fi; \
	exit $$(( lint != 0 || d != 0 ))

lint-build:
	cargo fmt --all -- --check
	@test "$$RUSTC_WORKSPACE_WRAPPER" = clippy-driver || { echo "lint-build: run it from make test" >&2; exit 1; }
	cargo build --workspace --all-targets --keep-going

# In `make test`, test-infra has synthesized the CDK app already: the Rust tests read that
# synth instead of running their own (tests/tests/api/infra_drift.rs; one synth is ~45 s).
test: export CDK_TEMPLATE := $(CURDIR)/target/infra/cdk.out/ClearView.template.json
# A make test build is a clean build: incremental compilation data would only cost time to write.
test: export CARGO_INCREMENTAL := 0

test-deps: ## Install the test toolchain: Debian packages (scripts/system-deps.sh: ClamAV, Tesseract, poppler), Python venv (moto, cfn-lint, aws-sam-cli), CDK node modules
	bash scripts/test-deps.sh

lint: ## cargo fmt --check and clippy -D warnings
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt: ## Format the code
	cargo fmt --all

gen: ## Regenerate files derived from the route table (Lambda binaries, template.yaml + infra/sam/, manifest)
	cargo xtask gen

check-gen: ## Fail if generated files drifted from the route table
	cargo xtask check

# Four test threads on two cores: the AWS-family tests mostly wait on moto (one Python process)
# and on SQS long polls, so two threads left both cores half idle (the api binary: 72 s -> 35 s
# for its interviews tests). Override with RUST_TEST_THREADS=n.
RUST_TEST_THREADS ?= 4
test-rust: ## cargo test for the workspace (embedded family, and the AWS family against moto)
	RUST_TEST_THREADS=$(RUST_TEST_THREADS) cargo test --workspace

test-infra: ## cfn-lint, sam validate (the SAM translator, offline), resource caps, CDK synth with cdk-nag, drift
	bash scripts/check-infra.sh

ARCH ?= arm64
test-api: ## Schemathesis, every check, against the dev server and docs/openapi.json (bounded: ST_MAX_TIME s)
	bash scripts/schemathesis.sh

build: ## cargo lambda build --release of the one bootstrap every function runs (ARCH=arm64|x86_64); prints the zip's size
	ARCH=$(ARCH) bash scripts/build-lambdas.sh

CODE_ZIP := target/lambda/clearview/bootstrap.zip

sam-build: ## sam build: stages template.yaml, its nested stacks (infra/sam/) and the one zip (make build) in .aws-sam/build
	@test -f $(CODE_ZIP) || { echo "$(CODE_ZIP) is missing: run 'make build' first" >&2; exit 1; }
	sam build --template template.yaml

deploy: ## sam deploy of template.yaml and its nested stacks (--guided the first time); needs make build
	@test -f $(CODE_ZIP) || { echo "$(CODE_ZIP) is missing: run 'make build' first" >&2; exit 1; }
	if [ -f samconfig.toml ]; then sam deploy --template-file template.yaml; \
	else sam deploy --guided --template-file template.yaml --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND; fi

invoke: ## make invoke FN=jobs-get EVENT=events/jobs-get.json — run one function under cargo lambda watch
	bash scripts/invoke.sh "$(FN)" "$(EVENT)"

bench: bench-coldstart ## Criterion benchmarks (screening), peak memory, embedded end-to-end latency, Lambda cold start
	cargo bench -p clearview-screening --bench chain -- --warm-up-time 1 --measurement-time 4
	cargo run --release -p clearview-screening --example peak_memory
	cargo run --release -p clearview-tests --example chain_latency -- 20

COLDSTART_RUNS ?= 15
bench-coldstart: ## Lambda cold start (init, first response) of release binaries vs hello world, against moto (needs make test-deps)
	cargo build --release -p clearview-hello-lambda -p clearview-functions --bin hello-lambda --bin bootstrap
	cargo run -p clearview-tests --example coldstart -- $(COLDSTART_RUNS)

LOAD_RATES ?= 250,500,750,1000,1250,1500
LOAD_SECONDS ?= 10
bench-load: ## Open-model mixed load (70% reads, 30% writes) on the optimised dev server at fixed rates; prints p50/p99/max/errors
	cargo build --profile release-local -p clearview-devserver --bin clearview --example load
	target/release-local/examples/load --server target/release-local/clearview --rates $(LOAD_RATES) --seconds $(LOAD_SECONDS)

FUZZ_SECONDS ?= 60
eval-parse: ## Parsing and anonymisation on the evaluation set (crates/screening/eval): precision/recall per field and producer, identifiers left; EVAL_ARGS=-v lists misses
	cargo run -q -p clearview-screening --example eval_parse -- $(EVAL_ARGS)

fuzz: ## Fuzz PDF, DOCX and text extraction for FUZZ_SECONDS each (not part of CI)
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
	cd crates/screening/fuzz && for t in extract_pdf extract_docx extract_text parse_any; do \
	  mkdir -p corpus/$$t; cp ../fixtures/*.pdf ../fixtures/*.docx ../fixtures/*.docm ../fixtures/*.txt corpus/$$t/ 2>/dev/null; \
	  RUSTC_BOOTSTRAP=1 cargo fuzz run $$t -- -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=1024 || exit 1; \
	done

clean-data: ## Forget the embedded default's data (store, keys, outbox)
	rm -rf $(DATA_DIR)
