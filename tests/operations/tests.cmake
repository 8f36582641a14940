# Operating the real service: metrics through promtool and a real Prometheus,
# rate limiting under a flood, SIGTERM under load. Needs promtool and prometheus
# (Debian package `prometheus`, installed by `make deps`). Uses the end-to-end
# harness of tests/e2e/.
svc_test(operations_tests
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/operations_test.cpp
  LIBS e2e_harness
  DATABASE)
set_tests_properties(operations_tests PROPERTIES TIMEOUT 300 RUN_SERIAL TRUE)
