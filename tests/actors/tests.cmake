svc_test(actor_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/db_pool_actor_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/db_pool_query_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/users_actor_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/breaker_actor_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/orders_actor_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/user_check_reconciler_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/recovery_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/schema_migration_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/idempotency_janitor_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/http_front_actor_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/io_scheduler_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/breaker_timing_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/limiter_timing_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/idempotency_janitor_timing_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/user_check_reconciler_timing_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/db_pool_timing_test.cpp
  LIBS svc_actors svc_runtime svc_test_support security_test_support
  DATABASE)
# RUN_SERIAL: the pool tests stop and start the shared test cluster (pg_ctl),
# which would fail whatever else ran beside them under ctest -j.
set_tests_properties(actor_tests PROPERTIES RUN_SERIAL TRUE)
