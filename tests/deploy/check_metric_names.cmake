# check_metric_names.cmake: every metric the alerts, their tests and the dashboard
# name is one the services export.
#
#   cmake "-DFILES=a.yml|b.json" "-DMETRICS_SOURCES=observability/metrics.cpp|observability/process_collector.cpp" -P check_metric_names.cmake
#
# A metric name here is a lower-case identifier that ends in one of the suffixes the
# contract's metrics use (_total, _seconds, _bytes, _state, _connections, _in_flight,
# plus a histogram's _bucket/_count/_sum) or starts with one of their prefixes
# (http_, app_, rate_limit_, circuit_breaker_, db_, process_), so that
# `circuit_breaker_states` is caught too; upper-case setting names and label names
# never match. Each must appear as a quoted name in one of METRICS_SOURCES, where the
# services register their metrics. `up` is Prometheus' own. A misspelt name in a
# rule or panel would otherwise fail silently: a query over a series that does not
# exist is simply empty, and the alert never fires.

cmake_minimum_required(VERSION 3.25)  # policies of a script run with -P

if(NOT FILES OR NOT METRICS_SOURCES)
  message(FATAL_ERROR "usage: cmake -DFILES=f1|f2 -DMETRICS_SOURCES=s1|s2 -P check_metric_names.cmake")
endif()

set(source "")
string(REPLACE "|" ";" sources "${METRICS_SOURCES}")
foreach(s IN LISTS sources)
  file(READ "${s}" text)
  string(APPEND source "${text}")
endforeach()
string(REPLACE "|" ";" files "${FILES}")

set(errors "")
set(checked "")
foreach(f IN LISTS files)
  file(READ "${f}" text)
  # Split into identifier tokens (every other character separates), then keep the
  # tokens that look like metric names as a whole.
  string(REGEX REPLACE "[^A-Za-z0-9_]+" ";" tokens "${text}")
  list(REMOVE_DUPLICATES tokens)
  list(FILTER tokens INCLUDE REGEX
       "^(([a-z][a-z0-9]*(_[a-z0-9]+)*_(total|seconds|bytes|state|connections|flight|bucket|count|sum))|((http|app|rate_limit|circuit_breaker|db|process)_[a-z0-9][a-z0-9_]*))$")
  foreach(name IN LISTS tokens)
    string(REGEX REPLACE "_(bucket|count|sum)$" "" base "${name}")
    string(FIND "${source}" "\"${base}\"" at)
    if(at EQUAL -1)
      string(APPEND errors "  - ${f}: ${name} (no metric \"${base}\" in ${METRICS_SOURCES})\n")
    endif()
    list(APPEND checked ${base})
  endforeach()
endforeach()

if(NOT errors STREQUAL "")
  message(FATAL_ERROR "unknown metric names:\n${errors}")
endif()
list(REMOVE_DUPLICATES checked)
list(SORT checked)
list(JOIN checked " " checked)
message(STATUS "metric names in use, all exported: ${checked}")
