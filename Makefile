# hookd — the two commands a newcomer needs:
#   make run    install missing packages, build, start build/hookd serve with the defaults
#   make test   install missing packages, build (plain and ASan+UBSan), run unit and integration tests (the
#               integration suite on SQLite and on a private PostgreSQL server)
# Other targets: make build, make unit, make integration, make ui-test, make openapi-lint, make rules-test, make asan,
# make deb (the Debian package), make package-test, make bench, make bench-quick,
# make clang-check (the Clang build with thread-safety analysis), make fuzz (FUZZ_SECONDS per target), make format,
# make format-check, make clean.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS       ?= $(shell nproc)
PYTHON     ?= /usr/bin/python3
RUN_ARGS   ?=

.PHONY: all deps test-deps fuzz-deps build asan clang-check fuzz run test unit integration unit-asan integration-asan ui-test openapi-lint rules-test deb package-test bench bench-quick format format-check clean

all: build

deps:
	@scripts/install-deps.sh build

test-deps:
	@scripts/install-deps.sh test

fuzz-deps:
	@scripts/install-deps.sh fuzz

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DHOOKD_SANITIZE=ON

$(FUZZ_BUILD)/CMakeCache.txt:
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_CXX_COMPILER=clang++-19 -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOOKD_FUZZ=ON \
	  -DHOOKD_TESTS=OFF

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

asan: test-deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)

run: build
	./$(BUILD)/hookd serve $(RUN_ARGS)

# Clang 19 with -Wthread-safety -Werror: a lock annotation that does not hold fails the build. It is the build the
# fuzz targets live in, so make fuzz reuses it.
clang-check: fuzz-deps $(FUZZ_BUILD)/CMakeCache.txt
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target hookd fuzzers

unit: test-deps build
	cd $(BUILD) && ctest --output-on-failure

# The integration suite runs once per store backend; on PostgreSQL it starts a private server (scripts/pg-server.sh),
# and runs a second time through PgBouncer in transaction mode (scripts/pgbouncer.sh). The two PostgreSQL passes,
# each with its own server, run side by side: they mostly wait.
PG_PASS = HOOKD_BIN=$(CURDIR)/$(BUILD)/hookd HOOKD_TEST_BACKEND=postgres
sdks/typescript/node_modules/.package-lock.json: sdks/typescript/package-lock.json
	cd sdks/typescript && npm ci --no-audit --no-fund

docs/examples/express/node_modules/.package-lock.json: docs/examples/express/package-lock.json
	cd docs/examples/express && npm ci --no-audit --no-fund

EXAMPLE_DEPS = sdks/typescript/node_modules/.package-lock.json docs/examples/express/node_modules/.package-lock.json
integration: test-deps build $(EXAMPLE_DEPS)
	HOOKD_BIN=$(CURDIR)/$(BUILD)/hookd $(PYTHON) -m pytest -q tests/integration
	scripts/concurrently.sh "$(PG_PASS) $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration" \
	  "$(PG_PASS) HOOKD_TEST_POOLER=pgbouncer $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration"

unit-asan: asan
	cd $(ASAN_BUILD) && ctest --output-on-failure

# The sanitized pass leaves out the files that check documents, example receivers and client libraries against
# hookd (the plain passes run them): they reach no code of hookd's the rest of the suite does not.
ASAN_SKIP = --ignore=tests/integration/test_docs.py --ignore=tests/integration/test_doc_limits.py \
  --ignore=tests/integration/test_examples.py --ignore=tests/integration/test_sdks.py \
  --ignore=tests/integration/test_sdk_python.py
integration-asan: asan
	HOOKD_BIN=$(CURDIR)/$(ASAN_BUILD)/hookd HOOKD_SANITIZED=1 $(PYTHON) -m pytest -q $(ASAN_SKIP) tests/integration

tests/ui/node_modules/.package-lock.json: tests/ui/package-lock.json
	cd tests/ui && npm ci --no-audit --no-fund

# Browser tests: headless Chromium (Debian's) driven by playwright-core; screenshots land in test-output/ui/.
ui-test: test-deps build tests/ui/node_modules/.package-lock.json
	cd tests/ui && HOOKD_BIN=$(CURDIR)/$(BUILD)/hookd node --test --test-concurrency=1 ui.test.mjs ui_details.test.mjs

tests/openapi/node_modules/.package-lock.json: tests/openapi/package-lock.json
	cd tests/openapi && npm ci --no-audit --no-fund

# The OpenAPI document (src/api/openapi.json) against Redocly's recommended rules, every warning an error; then the
# TypeScript types openapi-typescript generates from it with its defaults, under tsc --strict, against a program
# that uses every operation (tests/openapi/typecheck.py).
openapi-lint: test-deps tests/openapi/node_modules/.package-lock.json
	cd tests/openapi && npx --no-install redocly lint --config redocly.yaml ../../src/api/openapi.json
	cd tests/openapi && $(PYTHON) typecheck.py

# The Debian package (debian/, built with dpkg-buildpackage and debhelper) into build/deb/.
deb: test-deps build
	scripts/build-deb.sh

# The package installed into a fresh Debian 12 tree (debootstrap), started as its unit starts it, then purged.
package-test: test-deps deb
	HOOKD_DEB=$$(ls $(CURDIR)/$(BUILD)/deb/hookd_*.deb | grep -v dbgsym) $(PYTHON) -m pytest -q tests/package

# The Prometheus alert rules (deploy/prometheus/): valid, and each fires on its fault and stays quiet otherwise.
rules-test: test-deps
	promtool check rules deploy/prometheus/hookd-alerts.yml
	cd deploy/prometheus && promtool test rules hookd-alerts.test.yml

test: test-deps format-check build asan clang-check
	$(MAKE) --no-print-directory rules-test openapi-lint unit unit-asan integration integration-asan ui-test package-test

# libFuzzer targets (fuzz/README.md), each run for FUZZ_SECONDS on its seed corpus; a crash fails the run.
fuzz: fuzz-deps $(FUZZ_BUILD)/CMakeCache.txt
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Benchmarks (see BENCHMARKS.md): the full run takes a while; bench-quick is a short smoke run of every scenario.
bench: build
	$(PYTHON) bench/run.py

bench-quick: build
	$(PYTHON) bench/run.py --quick
	$(PYTHON) bench/run.py --quick --stats-volume
	$(PYTHON) bench/run.py --quick --steady

# Every C++ file in the tree, in clang-format 19's reading of .clang-format (a newer or older clang-format formats
# some constructs differently, so the version is fixed).
CXX_FILES = $(shell git ls-files '*.cc' '*.h')
CLANG_FORMAT ?= clang-format-19

format: test-deps
	$(CLANG_FORMAT) -i $(CXX_FILES)

format-check: test-deps
	@$(CLANG_FORMAT) --dry-run --Werror $(CXX_FILES) && echo "format-check: $(words $(CXX_FILES)) C++ files as .clang-format says"

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
