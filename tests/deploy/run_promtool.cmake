# run_promtool.cmake: run one promtool check, for ctest (tests/deploy/tests.cmake).
#
#   cmake -DMODE=check-config|check-rules|test-rules -DFILE=path -P run_promtool.cmake
#
# promtool is looked up when the test runs, not when the project is configured, so a
# build directory configured before `make deps` installed it (Debian package
# `prometheus`) still picks it up. A missing promtool fails the test: these checks
# are required, not optional.

cmake_minimum_required(VERSION 3.25)  # policies of a script run with -P

if(NOT MODE OR NOT FILE)
  message(FATAL_ERROR "usage: cmake -DMODE=check-config|check-rules|test-rules -DFILE=path -P run_promtool.cmake")
endif()

find_program(PROMTOOL promtool)
if(NOT PROMTOOL)
  message(FATAL_ERROR "promtool not found: install the Debian package 'prometheus' "
                      "(`make deps`, or `apt-get install prometheus`)")
endif()

if(MODE STREQUAL "check-config")
  # Also checks the files listed under rule_files (resolved relative to FILE).
  set(args check config "${FILE}")
elseif(MODE STREQUAL "check-rules")
  set(args check rules "${FILE}")
elseif(MODE STREQUAL "test-rules")
  set(args test rules "${FILE}")
else()
  message(FATAL_ERROR "unknown MODE '${MODE}'")
endif()

# promtool prints its own verdict; ctest --output-on-failure shows it.
execute_process(COMMAND "${PROMTOOL}" ${args} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "promtool ${args} failed (${rc})")
endif()
