# Reliability end-to-end tests (docs/RELIABILITY.md): the REAL executables under
# hostile input, concurrent conflicting writes, user-service killed under order
# load, PostgreSQL restarted under an idle pool and killed with SIGKILL under
# write load. Built on the harness of tests/e2e/ (e2e_harness).
#
# RUN_SERIAL: the database tests restart (and SIGKILL) the shared test cluster,
# which would break any database test running next to them. The SIGKILL test's
# source comes last so that it runs last.
svc_test(reliability_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/reliability_fixture.cpp
    ${CMAKE_CURRENT_LIST_DIR}/hostile_protocol_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/hostile_connections_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/hostile_payload_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/concurrency_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/orders_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/database_restart_test.cpp  # restarts the cluster
    ${CMAKE_CURRENT_LIST_DIR}/database_kill_test.cpp  # last: it kills and restarts the cluster
  LIBS e2e_harness
  DATABASE)
set_tests_properties(reliability_tests PROPERTIES TIMEOUT 300 RUN_SERIAL TRUE)
