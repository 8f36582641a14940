# The shared rate limit buckets against a real Redis: each test starts its own
# redis-server (Debian redis-server) on a free loopback port and stops it.
# RUN_SERIAL: they kill and pause their Redis and measure rates over wall time.
svc_test(redis_limiter_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/redis_server.cpp
    ${CMAKE_CURRENT_LIST_DIR}/shared_limiter_test.cpp
  LIBS svc_actors svc_test_support PkgConfig::HIREDIS)
set_tests_properties(redis_limiter_tests PROPERTIES TIMEOUT 180 RUN_SERIAL TRUE)
