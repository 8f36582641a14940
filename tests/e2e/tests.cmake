# HTTP end-to-end tests: the REAL executables, started per suite on fresh
# databases of the test cluster, driven over loopback.
#
# RUN_SERIAL: the outage tests stop and restart the shared test cluster or kill
# services, which would disturb any database test running next to them.

# The harness every end-to-end suite shares (here and in tests/operations/):
# starting the real executables, an HTTP client, the contract checks.
add_library(e2e_harness STATIC
  ${CMAKE_CURRENT_LIST_DIR}/service_process.cpp
  ${CMAKE_CURRENT_LIST_DIR}/http_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/e2e_fixture.cpp
  ${CMAKE_CURRENT_LIST_DIR}/orders_fixture.cpp)
# Includes read "e2e/http_client.hpp" and "pg_env.hpp" (from tests/).
target_include_directories(e2e_harness PUBLIC ${CMAKE_CURRENT_LIST_DIR}/..)
target_link_libraries(e2e_harness PUBLIC
  GTest::gtest PkgConfig::PQXX nlohmann_json::nlohmann_json Boost::headers Threads::Threads)
target_compile_definitions(e2e_harness PUBLIC
  USER_SERVICE_BIN="$<TARGET_FILE:user-service>"
  ORDER_SERVICE_BIN="$<TARGET_FILE:order-service>"
  E2E_LOG_DIR="${CMAKE_BINARY_DIR}/tests/e2e-logs")
add_dependencies(e2e_harness user-service order-service)

# user-service alone.
svc_test(e2e_users_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/users_create_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/users_list_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/users_update_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/users_input_rules_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/users_http_semantics_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/protocol_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/lifecycle_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/network_settings_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/secrets_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/pgbouncer_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/outage_test.cpp  # last: it stops and restarts the cluster
  LIBS e2e_harness
  DATABASE)
set_tests_properties(e2e_users_tests PROPERTIES TIMEOUT 300 RUN_SERIAL TRUE)

# order-service with the REAL user-service behind it: each suite starts both
# executables on fresh databases (order-service pointed at user-service through
# USER_SERVICE_URL, small breaker settings). The outage suite SIGKILLs and restarts
# user-service.
svc_test(e2e_orders_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/orders_helpers_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/orders_crud_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/orders_lifecycle_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/orders_list_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/orders_user_check_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/orders_concurrency_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/orders_outage_test.cpp
  LIBS e2e_harness
  DATABASE)
set_tests_properties(e2e_orders_tests PROPERTIES TIMEOUT 400 RUN_SERIAL TRUE)

# RATE_LIMIT_BACKEND=redis: two user-service processes on one throwaway
# redis-server (tests/redis/redis_server.*) and one database.
svc_test(e2e_rate_limit_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/shared_rate_limit_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/../redis/redis_server.cpp
  LIBS e2e_harness PkgConfig::HIREDIS
  DATABASE)
set_tests_properties(e2e_rate_limit_tests PROPERTIES TIMEOUT 120 RUN_SERIAL TRUE)
