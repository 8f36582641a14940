# HTTP end-to-end tests: the REAL user-service executable, started per suite on a
# fresh database of the test cluster, driven over loopback.
#
# RUN_SERIAL: the outage test stops and restarts the shared test cluster, which
# would break any database test running next to it.
svc_test(e2e_users_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/service_process.cpp
    ${CMAKE_CURRENT_LIST_DIR}/http_client.cpp
    ${CMAKE_CURRENT_LIST_DIR}/e2e_fixture.cpp
    ${CMAKE_CURRENT_LIST_DIR}/users_create_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/users_list_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/users_update_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/protocol_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/lifecycle_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/outage_test.cpp  # last: it stops and restarts the cluster
  LIBS
    PkgConfig::PQXX
    nlohmann_json::nlohmann_json
    Boost::headers
    Threads::Threads
  DATABASE)
# Includes read "e2e/http_client.hpp" and "pg_env.hpp" (from tests/).
target_include_directories(e2e_users_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/..)
target_compile_definitions(e2e_users_tests PRIVATE
  USER_SERVICE_BIN="$<TARGET_FILE:user-service>"
  E2E_LOG_DIR="${CMAKE_BINARY_DIR}/tests/e2e-logs")
add_dependencies(e2e_users_tests user-service)
set_tests_properties(e2e_users_tests PROPERTIES TIMEOUT 300 RUN_SERIAL TRUE)
