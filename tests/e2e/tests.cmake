# HTTP end-to-end tests: the REAL executables, started per suite on fresh
# databases of the test cluster, driven over loopback.
#
# RUN_SERIAL: the outage tests stop and restart the shared test cluster or kill
# services, which would disturb any database test running next to them.

# The harness every end-to-end suite shares (here and in tests/operations/):
# starting the real executables, the contract checks; the HTTP client is
# tests/support/'s.
add_library(e2e_harness STATIC
  ${CMAKE_CURRENT_LIST_DIR}/service_process.cpp
  ${CMAKE_CURRENT_LIST_DIR}/e2e_fixture.cpp
  ${CMAKE_CURRENT_LIST_DIR}/orders_fixture.cpp)
# Includes read "e2e/e2e_fixture.hpp" and "support/http_client.hpp" (from tests/).
target_include_directories(e2e_harness PUBLIC ${CMAKE_CURRENT_LIST_DIR}/..)
target_link_libraries(e2e_harness PUBLIC
  svc_test_support GTest::gtest PkgConfig::PQXX nlohmann_json::nlohmann_json Boost::headers Threads::Threads)
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
    ${CMAKE_CURRENT_LIST_DIR}/refusals_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/lifecycle_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/network_settings_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/secrets_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/pgbouncer_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/outage_test.cpp  # last: it stops and restarts the cluster
  LIBS e2e_harness svc_runtime
  DATABASE)
set_tests_properties(e2e_users_tests PROPERTIES TIMEOUT 300 RUN_SERIAL TRUE)
# The malloc the services were linked with (SVC_ALLOCATOR; "system" in sanitizer
# builds): Lifecycle.RunsOnTheMallocTheBuildChose looks for it in the process.
target_compile_definitions(e2e_users_tests PRIVATE SVC_SERVICE_MALLOC="${SVC_ALLOCATOR}")

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
    ${CMAKE_CURRENT_LIST_DIR}/https_test.cpp
  LIBS e2e_harness OpenSSL::SSL
  DATABASE)
set_tests_properties(e2e_orders_tests PROPERTIES TIMEOUT 400 RUN_SERIAL TRUE)

# Bearer-token authentication (AUTH_MODE=jwt) of the real services: user-service
# alone, and order-service calling an auth-on user-service with its own token
# (USER_SERVICE_TOKEN_FILE). Keys and tokens are made by the tests (security/).
svc_test(e2e_auth_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/auth_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/orders_auth_test.cpp
  LIBS e2e_harness security_test_support
  DATABASE)
set_tests_properties(e2e_auth_tests PROPERTIES TIMEOUT 300 RUN_SERIAL TRUE)

# RATE_LIMIT_BACKEND=redis: two user-service processes on one throwaway
# redis-server (tests/redis/redis_server.*) and one database.
svc_test(e2e_rate_limit_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/shared_rate_limit_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/../redis/redis_server.cpp
  LIBS e2e_harness PkgConfig::HIREDIS
  DATABASE)
set_tests_properties(e2e_rate_limit_tests PROPERTIES TIMEOUT 120 RUN_SERIAL TRUE)

# Every response the end-to-end suites receive is recorded (SVC_E2E_RESPONSES, see
# tests/support/http_client.cpp) and, once both ran, checked against the OpenAPI documents:
# a documented status, the required headers, a body valid against its schema
# (docs/api/check_responses.sh, with Ajv). The record starts empty each run.
set(SVC_E2E_RESPONSES "${CMAKE_BINARY_DIR}/tests/e2e-responses.jsonl")
add_test(NAME api_responses_reset COMMAND ${CMAKE_COMMAND} -E rm -f "${SVC_E2E_RESPONSES}")
set_tests_properties(api_responses_reset PROPERTIES FIXTURES_SETUP api_responses)
add_test(NAME api_responses_conform
         COMMAND bash "${PROJECT_SOURCE_DIR}/docs/api/check_responses.sh" "${SVC_E2E_RESPONSES}")
set_tests_properties(api_responses_conform PROPERTIES FIXTURES_CLEANUP api_responses LABELS docs TIMEOUT 300
                     SKIP_RETURN_CODE 77)
foreach(suite e2e_users_tests e2e_orders_tests e2e_auth_tests)
  set_property(TEST ${suite} APPEND PROPERTY FIXTURES_REQUIRED api_responses)
  set_property(TEST ${suite} APPEND PROPERTY ENVIRONMENT "SVC_E2E_RESPONSES=${SVC_E2E_RESPONSES}")
endforeach()
