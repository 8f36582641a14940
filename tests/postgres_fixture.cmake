# postgres_fixture.cmake: the throwaway PostgreSQL cluster as a ctest fixture.
#
# Included by tests/CMakeLists.txt before any svc_test(): tests declared with
# DATABASE require the fixture `postgres` and get SVC_TEST_PG_ENV_FILE in their
# environment (see tests/support/pg_env.hpp for the reading side).
#
#   postgres_start  (FIXTURES_SETUP)    deploy/local-postgres.sh start <build>/test-pg
#   postgres_stop   (FIXTURES_CLEANUP)  deploy/local-postgres.sh stop  <build>/test-pg
#
# ctest adds both automatically when a selected test needs the fixture, so
# `ctest -R actor_tests` works on its own. Each build directory (build, build-asan,
# build-tsan) has its own cluster on its own free port.

find_program(SVC_BASH_EXECUTABLE bash REQUIRED)

cmake_path(SET SVC_TEST_PG_SCRIPT NORMALIZE "${CMAKE_CURRENT_LIST_DIR}/../deploy/local-postgres.sh")
set(SVC_TEST_PG_DIR "${CMAKE_BINARY_DIR}/test-pg")
set(SVC_TEST_PG_ENV_FILE "${SVC_TEST_PG_DIR}/env")

add_test(NAME postgres_start
  COMMAND "${SVC_BASH_EXECUTABLE}" "${SVC_TEST_PG_SCRIPT}" start "${SVC_TEST_PG_DIR}")
set_tests_properties(postgres_start PROPERTIES
  FIXTURES_SETUP postgres
  TIMEOUT 180
  LABELS postgres)

add_test(NAME postgres_stop
  COMMAND "${SVC_BASH_EXECUTABLE}" "${SVC_TEST_PG_SCRIPT}" stop "${SVC_TEST_PG_DIR}")
set_tests_properties(postgres_stop PROPERTIES
  FIXTURES_CLEANUP postgres
  TIMEOUT 120
  LABELS postgres)
