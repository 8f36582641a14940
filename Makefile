# Makefile: build, test and run the two microservices on a Debian bookworm machine.
#
#   make deps       install the missing Debian packages (no-op when all are present)
#   make build      configure (once) and build into build/ (Release); binaries in build/bin/
#   make test       build, then run every test with ctest (a throwaway PostgreSQL
#                   cluster is started and stopped by the tests themselves)
#   make test-asan  the same with AddressSanitizer + UBSan, in build-asan/ (Debug)
#   make test-tsan  the same with ThreadSanitizer, in build-tsan/ (RelWithDebInfo)
#   make run        build, then start PostgreSQL in .local/pg (unless DATABASE_URL is
#                   set), user-service on :8081 and order-service on :8082;
#                   Ctrl-C stops everything (see deploy/run-local.sh)
#   make clean      stop the test databases and remove the build directories
#   make distclean  clean, and also stop and remove the local database in .local/
#
# Variables (command line or environment):
#   JOBS                  parallel compile jobs            (default: nproc)
#   CTEST_PARALLEL_LEVEL  tests run at once                (default: 1; the tests share
#                         one database cluster and some of them stop it on purpose)
#   CTEST_TIMEOUT         seconds per test before ctest kills it (default: 600)
#   CTEST_ARGS            extra ctest arguments, e.g. CTEST_ARGS='-R unit'

SHELL := /bin/bash
.DEFAULT_GOAL := build

PACKAGES := build-essential cmake pkg-config libcaf-dev libboost1.81-dev libpqxx-dev \
            nlohmann-json3-dev libspdlog-dev prometheus-cpp-dev libgtest-dev \
            postgresql postgresql-contrib curl prometheus

JOBS                 ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_PARALLEL_LEVEL ?= 1
CTEST_TIMEOUT        ?= 600
CTEST_ARGS           ?=

# sudo only when not root and sudo exists.
SUDO := $(shell if [ "$$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then echo sudo; fi)

CTEST = ctest --output-on-failure --timeout $(CTEST_TIMEOUT) -j$(CTEST_PARALLEL_LEVEL) $(CTEST_ARGS)

# Sanitizer runtime options (an already exported value wins). Optional suppression
# files in tests/ are picked up when present.
export ASAN_OPTIONS  ?= detect_leaks=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS  ?= second_deadlock_stack=1:history_size=4$(if $(wildcard tests/tsan.supp),:suppressions=$(CURDIR)/tests/tsan.supp)
export LSAN_OPTIONS  ?= $(if $(wildcard tests/lsan.supp),suppressions=$(CURDIR)/tests/lsan.supp)

.PHONY: deps build test test-asan test-tsan run clean distclean \
        build-release build-asan build-tsan

# --- dependencies ---------------------------------------------------------------
# Checks every package with dpkg-query; apt-get (update once, then install) runs only
# for the missing ones.
deps:
	@missing=""; \
	for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'install ok installed' \
	    || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "deps: installing$$missing"; \
	if [ "$$(id -u)" -ne 0 ] && [ -z "$(SUDO)" ]; then \
	  echo "deps: not root and no sudo: install as root:$$missing" >&2; exit 1; \
	fi; \
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing

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

build-tsan: deps
	$(call configure,build-tsan,-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSANITIZE=thread)
	cmake --build build-tsan -j$(JOBS)

# --- tests ----------------------------------------------------------------------
test: build
	$(CTEST) --test-dir build

test-asan: build-asan
	$(CTEST) --test-dir build-asan

test-tsan: build-tsan
	$(CTEST) --test-dir build-tsan

# --- run ------------------------------------------------------------------------
run: build
	@bash deploy/run-local.sh

# --- cleaning -------------------------------------------------------------------
# A test cluster left running (interrupted ctest) is stopped before its directory goes.
clean:
	@for d in build build-asan build-tsan; do \
	  if [ -d "$$d/test-pg/data" ]; then bash deploy/local-postgres.sh stop "$$d/test-pg" || true; fi; \
	done
	rm -rf build build-asan build-tsan

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
.PHONY: bench
bench: deps
	@missing=""; \
	for p in wrk nginx-light; do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'install ok installed' \
	    || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "bench: installing$$missing"; \
	  if [ "$$(id -u)" -ne 0 ] && [ -z "$(SUDO)" ]; then \
	    echo "bench: not root and no sudo: install as root:$$missing" >&2; exit 1; \
	  fi; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi
	@JOBS=$(JOBS) bash bench/run.sh $(BENCH_ARGS)
