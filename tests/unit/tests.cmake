svc_test(unit_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/ascii_text_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/cpu_budget_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/user_validation_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/list_query_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/versioning_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/log_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/money_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/circuit_breaker_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/token_bucket_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/shared_bucket_script_test.cpp
  LIBS svc_domain svc_observability svc_resilience svc_runtime)
