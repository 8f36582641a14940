# Makefile: build, test and run the two microservices on a Debian bookworm machine.
#
#   make deps       install the missing Debian packages (no-op when all are present)
#   make build      configure (once) and build into build/ (Release); binaries in build/bin/
#   make test       build, then run every test with ctest (a throwaway PostgreSQL
#                   cluster is started and stopped by the tests themselves), then
#                   a short run (15 s) of each fuzzer in build-fuzz/
#   make build-fuzz the libFuzzer targets of tests/fuzz (clang, ASan + UBSan) in build-fuzz/
#   make fuzz       each fuzzer for FUZZ_SECONDS, FUZZ_JOBS at a time; new corpus
#                   inputs go to build-fuzz/corpus/<target>, crashes to
#                   build-fuzz/artifacts/; one summary line per target
#   make test-asan  the same with AddressSanitizer + UBSan, in build-asan/ (Debug)
#   make test-tsan  the same with ThreadSanitizer, in build-tsan/ (RelWithDebInfo),
#                   against a TSan-instrumented libcaf_core built once from Debian's
#                   source package (cmake/build-tsan-caf.sh, into build-tsan/_caf/;
#                   ~8 min the first time); the reports of every process, services
#                   included, go to build-tsan/tsan-reports/ and fail the target
#   make run        build, then start PostgreSQL in .local/pg (unless DATABASE_URL is
#                   set), user-service on :8081 and order-service on :8082;
#                   Ctrl-C stops everything (see deploy/run-local.sh)
#   make cluster    build, then two replicas of each service behind HAProxy, PostgreSQL
#                   behind PgBouncer (transaction mode), rate limits shared in Redis,
#                   on loopback; prints the layout; Ctrl-C stops all (deploy/cluster.sh)
#   make test-cluster  only the tests of that layout (ctest label cluster; `make test`
#                   runs them too): rolling restart and a SIGKILLed replica under load,
#                   one rate across replicas, replicas migrating one database together
#   make dev        make run, rebuilt and restarted when a source or .ini file changes (entr)
#   make docker-up  both services, databases and Prometheus in containers (compose file in
#   make docker-down  deploy/; Docker's compose plugin, docker-compose or podman-compose)
#   make clean      stop the test databases and remove the build directories
#   make distclean  clean, and also stop and remove the local database in .local/
#   make bench      the performance harness (bench/run.sh; not in `make test`)
#   make bench-instructions  instructions per request under callgrind (bench/instructions.sh)
#   make lint-shell shellcheck on every shell script in the repository
#   make tidy       clang-tidy (.clang-tidy) on the project's non-test sources, with the
#                   compile commands of build-tidy/ (configured, not built); fails on a finding
#   make format     clang-format (.clang-format) in place on every tracked .cpp/.hpp/.ipp
#   make format-check  the same files unchanged by clang-format, or a list of those that are not
#   make soak       10 minutes of mixed load on both services (bench/soak.sh; not in
#                   `make test`): no 5xx, stable RSS, no descriptor leak; results in
#                   docs/RELIABILITY.md. SOAK_SECONDS=60 for a quick check
#
# Variables (command line or environment):
#   JOBS                  parallel compile jobs            (default: nproc)
#   CTEST_PARALLEL_LEVEL  tests run at once                (default: 1; the tests share
#                         one database cluster and some of them stop it on purpose)
#   CTEST_TIMEOUT         seconds per test before ctest kills it (default: 600)
#   CTEST_ARGS            extra ctest arguments, e.g. CTEST_ARGS='-R unit'
#   FUZZ_SECONDS          seconds per fuzzer in `make fuzz` (default: 600)
#   FUZZ_JOBS             fuzzers run at once by `make fuzz` (default: 1)

SHELL := /bin/bash
.DEFAULT_GOAL := build

PACKAGES := build-essential cmake pkg-config libcaf-dev libboost1.81-dev libpqxx-dev \
            nlohmann-json3-dev libspdlog-dev prometheus-cpp-dev libgtest-dev \
            postgresql postgresql-contrib curl prometheus clang libclang-rt-14-dev \
            python3-yaml pgbouncer jq wrk libjwt-dev libssl-dev redis-server libhiredis-dev libjemalloc-dev \
            haproxy openssl shellcheck clang-format clang-tidy

JOBS                 ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_PARALLEL_LEVEL ?= 1
CTEST_TIMEOUT        ?= 600
CTEST_ARGS           ?=
FUZZ_SECONDS         ?= 600
FUZZ_JOBS            ?= 1

# sudo only when not root and sudo exists.
SUDO := $(shell if [ "$$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then echo sudo; fi)

CTEST = ctest --output-on-failure --timeout $(CTEST_TIMEOUT) -j$(CTEST_PARALLEL_LEVEL) $(CTEST_ARGS)

# Sanitizer runtime options (an already exported value wins). Optional suppression
# files in tests/ are picked up when present.
export ASAN_OPTIONS  ?= detect_leaks=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS  ?= second_deadlock_stack=1:history_size=4$(if $(wildcard tests/tsan.supp),:suppressions=$(CURDIR)/tests/tsan.supp)
export LSAN_OPTIONS  ?= $(if $(wildcard tests/lsan.supp),suppressions=$(CURDIR)/tests/lsan.supp)

.PHONY: deps build test test-asan test-tsan test-cluster run cluster dev docker-up docker-down clean distclean \
        build-release build-asan build-tsan build-fuzz fuzz lint-shell format format-check tidy

# --- dependencies ---------------------------------------------------------------
# Checks every package with dpkg-query; apt-get (update once, then install) runs only
# for the missing ones. Node.js and npm count as present when `npm` runs (a Node.js
# from another repository ships its own npm, which Debian's npm package would
# conflict with). Then the npm tools pinned in docs/api/package-lock.json (Redocly's
# CLI for the OpenAPI lint, Ajv for checking recorded responses against the
# documents), when missing or older than the lock file.
deps:
	@missing=""; \
	for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'install ok installed' \
	    || missing="$$missing $$p"; \
	done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  if [ "$$(id -u)" -ne 0 ] && [ -z "$(SUDO)" ]; then \
	    echo "deps: not root and no sudo: install as root:$$missing" >&2; exit 1; \
	  fi; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing || exit 1; \
	fi; \
	cd docs/api && source ./ensure_tools.sh && ensure_api_tools

# --- builds ---------------------------------------------------------------------
# $(call configure,DIR,CMAKE-ARGS): run cmake's configure step only when DIR has no
# generated build system yet (later CMakeLists changes re-run it from the build).
define configure
	@if [ -f $(1)/CMakeCache.txt ] && { [ -f $(1)/Makefile ] || [ -f $(1)/build.ninja ]; }; then :; \
	else echo "cmake -S . -B $(1) $(2)"; cmake -S . -B $(1) $(2); fi
endef

build: build-release

build-release: deps
	$(call configure,build,-DCMAKE_BUILD_TYPE=Release)
	cmake --build build -j$(JOBS)

build-asan: deps
	$(call configure,build-asan,-DCMAKE_BUILD_TYPE=Debug -DSANITIZE=address)
	cmake --build build-asan -j$(JOBS)

# TSan needs an instrumented CAF (Debian's libcaf_core.so is not: TSan would report
# every message hand-off between actors). cmake/build-tsan-caf.sh builds one from
# Debian's source package into build-tsan/_caf/install, once; CAF_ROOT points the
# build there (headers and library; RPATH at run time). A build-tsan/ configured
# before, without CAF_ROOT, is re-pointed (its cached CAF paths dropped).
TSAN_CAF_ROOT := $(CURDIR)/build-tsan/_caf/install
build-tsan: deps
	@JOBS=$(JOBS) bash cmake/build-tsan-caf.sh build-tsan/_caf
	$(call configure,build-tsan,-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSANITIZE=thread -DCAF_ROOT=$(TSAN_CAF_ROOT))
	@grep -qx 'CAF_ROOT:[A-Z]*=$(TSAN_CAF_ROOT)' build-tsan/CMakeCache.txt \
	  || cmake -S . -B build-tsan -DCAF_ROOT=$(TSAN_CAF_ROOT) -UCAF_INCLUDE_DIR -UCAF_CORE_LIBRARY -UCAF_IO_LIBRARY
	cmake --build build-tsan -j$(JOBS)

# Only the libraries the fuzzers link, and the fuzzers (tests/fuzz/fuzz.cmake).
build-fuzz: deps
	$(call configure,build-fuzz,-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSVC_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++)
	cmake --build build-fuzz -j$(JOBS)

# --- tests ----------------------------------------------------------------------
test: build build-fuzz
	$(CTEST) --test-dir build
	$(CTEST) --test-dir build-fuzz

test-asan: build-asan
	$(CTEST) --test-dir build-asan

test-cluster: build
	$(CTEST) --test-dir build -L cluster

# Every process (test binaries AND the services the end-to-end tests start, whose
# stderr only reaches their log files) writes its TSan reports to
# build-tsan/tsan-reports/tsan.<pid>; any such file fails the target, even when the
# process was SIGKILLed before TSan could set its exit code (66).
test-tsan: build-tsan
	@ldd build-tsan/bin/user-service | grep -q ' => $(TSAN_CAF_ROOT)/lib/libcaf_core' \
	  || { echo "test-tsan: build-tsan/bin/user-service does not load the instrumented libcaf_core" >&2; exit 1; }
	@rm -rf build-tsan/tsan-reports && mkdir -p build-tsan/tsan-reports
	@rc=0; TSAN_OPTIONS='$(TSAN_OPTIONS):log_path=$(CURDIR)/build-tsan/tsan-reports/tsan' \
	  $(CTEST) --test-dir build-tsan || rc=$$?; \
	reports=$$(ls build-tsan/tsan-reports); \
	if [ -n "$$reports" ]; then \
	  for f in $$reports; do echo "=== build-tsan/tsan-reports/$$f"; head -n 60 "build-tsan/tsan-reports/$$f"; done; \
	  echo "test-tsan: ThreadSanitizer reports in $$(echo $$reports | wc -w) process(es), see build-tsan/tsan-reports/" >&2; \
	  rc=1; \
	fi; \
	exit $$rc

# Each fuzzer in turn (FUZZ_JOBS at a time) under nice, by tests/fuzz/run_fuzzer.sh:
# seeds from tests/fuzz/corpus/<target> (read only), growth kept in
# build-fuzz/corpus/<target> for the next run; fails if any fuzzer failed.
FUZZERS := $(basename $(notdir $(wildcard tests/fuzz/fuzz_*.cpp)))
fuzz: build-fuzz
	@printf '%s\n' $(FUZZERS) | xargs -P $(FUZZ_JOBS) -I{} \
	  nice -n 19 bash tests/fuzz/run_fuzzer.sh build-fuzz/bin/{} tests/fuzz build-fuzz $(FUZZ_SECONDS)

# --- run ------------------------------------------------------------------------
run: build
	@bash deploy/run-local.sh

cluster: build
	@bash deploy/cluster.sh run

# make dev: make run, rebuilt and restarted whenever a source or .ini file changes
# (deploy/dev-loop.sh; installs Debian's entr when missing).
dev: deps
	@bash deploy/dev-loop.sh

# make docker-up / docker-down: both services, their databases and Prometheus from
# deploy/docker-compose.yml, with Docker's compose or Podman, whichever is installed
# (deploy/compose.sh; neither is installed by `make deps`: it says what is missing).
docker-up:
	@bash deploy/compose.sh up
docker-down:
	@bash deploy/compose.sh down

# --- lint -----------------------------------------------------------------------
# make lint-shell: shellcheck (-x: follows the `# shellcheck source=` lines) on every
# tracked *.sh and every tracked file whose first line is a sh/bash shebang (.ci/run).
# A finding that is a deliberate choice carries a `# shellcheck disable=SCxxxx` with
# its reason next to it.
lint-shell:
	@command -v shellcheck >/dev/null 2>&1 || { echo "lint-shell: shellcheck is missing (make deps)" >&2; exit 1; }
	@files=$$( { git ls-files '*.sh'; \
	             git ls-files | xargs awk 'FNR == 1 { if ($$0 ~ /^#!.*[\/ ](ba|da)?sh *$$/) print FILENAME; nextfile }' 2>/dev/null; \
	           } | sort -u ); \
	shellcheck -x $$files && echo "lint-shell: $$(echo $$files | wc -w) scripts, no finding"

# make format / format-check: clang-format 14 with the repository's .clang-format on
# every tracked C++ file (FORMAT_FILES). format-check changes nothing: it names each
# file clang-format would change and fails if there is one.
CLANG_FORMAT ?= clang-format
FORMAT_FILES  = $(shell git ls-files '*.cpp' '*.hpp' '*.ipp')
format:
	@command -v $(CLANG_FORMAT) >/dev/null 2>&1 || { echo "format: $(CLANG_FORMAT) is missing (make deps)" >&2; exit 1; }
	@printf '%s\n' $(FORMAT_FILES) | xargs $(CLANG_FORMAT) -i --style=file
	@echo "format: $(words $(FORMAT_FILES)) files formatted"
format-check:
	@command -v $(CLANG_FORMAT) >/dev/null 2>&1 || { echo "format-check: $(CLANG_FORMAT) is missing (make deps)" >&2; exit 1; }
	@out=$$(printf '%s\n' $(FORMAT_FILES) | xargs $(CLANG_FORMAT) --style=file --dry-run -Werror 2>&1 >/dev/null); rc=$$?; \
	bad=$$(printf '%s\n' "$$out" | sed -nE 's/^(.+\.(cpp|hpp|ipp)):[0-9]+:[0-9]+: error: .*/\1/p' | sort -u); \
	if [ -n "$$bad" ]; then \
	  echo "format-check: not formatted (make format):"; printf '  %s\n' $$bad; \
	  echo "format-check: $$(echo $$bad | wc -w) of $(words $(FORMAT_FILES)) files differ" >&2; exit 1; \
	elif [ $$rc -ne 0 ]; then printf '%s\n' "$$out" >&2; exit 1; \
	fi; \
	echo "format-check: $(words $(FORMAT_FILES)) files formatted"

# make tidy: cmake/tidy.sh, clang-tidy 14 through run-clang-tidy (TIDY_JOBS at once,
# default JOBS) on every tracked non-test .cpp, with build-tidy/compile_commands.json
# (only configured, and configured again when a CMakeLists.txt changed: the sources
# include no generated header). The tests are left out
# (as many files again, twice the time); `make tidy TIDY_SOURCES="$(git ls-files
# 'tests/*.cpp' ':!tests/fuzz')"` checks them (the fuzzers are in build-fuzz/ only).
# Fails on any finding,
# except in the files of TIDY_PENDING: those are being rewritten on other branches
# and their findings are printed without failing the target. TIDY_PENDING is meant to
# be empty; remove a file from it once its findings are fixed. No `deps` prerequisite
# (it would also run npm for the API tools): `make deps` first on a new machine.
TIDY_BUILD_DIR ?= build-tidy
TIDY_JOBS      ?= $(JOBS)
TIDY_PENDING   :=
TIDY_SOURCES    = $(filter-out tests/%,$(shell git ls-files '*.cpp'))
tidy:
	$(call configure,$(TIDY_BUILD_DIR),-DCMAKE_BUILD_TYPE=Debug)
	@$(MAKE) -s -C $(TIDY_BUILD_DIR) cmake_check_build_system
	@TIDY_PENDING='$(TIDY_PENDING)' bash cmake/tidy.sh $(TIDY_BUILD_DIR) $(TIDY_JOBS) $(TIDY_SOURCES)

# --- cleaning -------------------------------------------------------------------
# A test cluster left running (interrupted ctest) is stopped before its directory goes.
clean:
	@for d in build build-asan build-tsan; do \
	  if [ -d "$$d/test-pg/data" ]; then bash deploy/local-postgres.sh stop "$$d/test-pg" || true; fi; \
	done
	rm -rf build build-asan build-tsan build-fuzz build-tidy

distclean: clean
	@if [ -d .local/pg/data ]; then bash deploy/local-postgres.sh stop .local/pg || true; fi
	rm -rf .local

# --- benchmark ------------------------------------------------------------------
# make bench: the performance harness, bench/run.sh (not part of `make test`): a
# Release build in build-bench/, a throwaway PostgreSQL, both services, and wrk /
# pgbench against each service and its reference (nginx, pgbench) in the same run;
# prints the table and rewrites its section of docs/PERFORMANCE.md.
# `make bench BENCH_ARGS=--growth` runs the cost-growth curve instead. Installs wrk
# and nginx-light when missing, like `make deps` (on a systemd host Debian also
# starts the packaged nginx service on :80; the bench runs its own nginx and does
# not need it). Settings: see the header of bench/run.sh.
# install_missing TAG PACKAGES: apt-get install those of PACKAGES not installed.
define install_missing
	@missing=""; \
	for p in $(2); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'install ok installed' \
	    || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "$(1): installing$$missing"; \
	  if [ "$$(id -u)" -ne 0 ] && [ -z "$(SUDO)" ]; then \
	    echo "$(1): not root and no sudo: install as root:$$missing" >&2; exit 1; \
	  fi; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi
endef

.PHONY: bench bench-instructions
bench: deps
	$(call install_missing,bench,wrk nginx-light)
	@JOBS=$(JOBS) bash bench/run.sh $(BENCH_ARGS)

# make bench-instructions: bench/instructions.sh (not part of `make test`):
# user-space instructions per GET by id, /health/live and POST users, counted by callgrind
# on the Release build: a measure of the request path's cost that the machine's
# load does not move (req/s and system calls are make bench's). Installs wrk and
# valgrind when missing.
bench-instructions: deps
	$(call install_missing,bench-instructions,wrk valgrind)
	@JOBS=$(JOBS) bash bench/instructions.sh

# make soak: bench/soak.sh (not part of `make test`): the bench's Release build in
# build-bench/, a throwaway PostgreSQL, both services and seeded users, then mixed
# wrk load (bench/lua/soak_*.lua) for SOAK_SECONDS (600); fails (exit 3) on any 5xx,
# RSS growth over 10 % after the warm-up, or a descriptor leak, and rewrites its
# section of docs/RELIABILITY.md. Installs wrk when missing. Settings: see the header
# of bench/soak.sh (environment or command line, e.g. make soak SOAK_SECONDS=60).
.PHONY: soak
soak: deps
	$(call install_missing,soak,wrk)
	@JOBS=$(JOBS) bash bench/soak.sh
