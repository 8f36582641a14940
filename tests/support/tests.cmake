# tests/support/: what the test folders share, each kind once (included first by
# tests/CMakeLists.txt). One static library, svc_test_support:
#
#   http_client.hpp     the HTTP client of the end-to-end suites: one keep-alive
#                       connection, deadlines, every exchange recorded for
#                       docs/api/check_responses.sh when SVC_E2E_RESPONSES is set;
#                       raw_exchange() and parse_response() for hostile input
#   raw_connection.hpp  a connection the test holds open and writes bytes to (slow,
#                       pipelined, garbage), reading Beast messages or replies
#   fake_server.hpp     a scriptable HTTP server on loopback, and the fake
#                       user-service scripted on it
#   test_util.hpp       poll_until (bounded waits), free_port, unique_tag
#   pg_env.hpp          the throwaway PostgreSQL cluster; fresh_database
#   local_pgbouncer.hpp a real PgBouncer in transaction mode in front of it
#
# Includes read "support/http_client.hpp" (rooted at tests/).
add_library(svc_test_support STATIC
  ${CMAKE_CURRENT_LIST_DIR}/http_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/raw_connection.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fake_server.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_util.cpp
  ${CMAKE_CURRENT_LIST_DIR}/local_pgbouncer.cpp)
target_include_directories(svc_test_support PUBLIC ${CMAKE_CURRENT_LIST_DIR}/.. ${SVC_INCLUDE_ROOT})
target_link_libraries(svc_test_support
  PUBLIC nlohmann_json::nlohmann_json Boost::headers Threads::Threads
  PRIVATE PkgConfig::PQXX svc_http)
