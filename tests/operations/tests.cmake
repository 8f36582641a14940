# Operating the real service: metrics through promtool and a real Prometheus,
# rate limiting under a flood, SIGTERM under load. Needs promtool and prometheus
# (Debian package `prometheus`, installed by `make deps`).
svc_test(operations_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/operations_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/../e2e/service_process.cpp
    ${CMAKE_CURRENT_LIST_DIR}/../e2e/http_client.cpp
    ${CMAKE_CURRENT_LIST_DIR}/../e2e/e2e_fixture.cpp
  LIBS PkgConfig::PQXX nlohmann_json::nlohmann_json Boost::headers Threads::Threads
  DATABASE)
target_include_directories(operations_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/..)
target_compile_definitions(operations_tests PRIVATE
  USER_SERVICE_BIN="$<TARGET_FILE:user-service>"
  E2E_LOG_DIR="${CMAKE_BINARY_DIR}/tests/e2e-logs")
add_dependencies(operations_tests user-service)
set_tests_properties(operations_tests PROPERTIES TIMEOUT 300 RUN_SERIAL TRUE)
