svc_test(http_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/router_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/target_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/request_framing_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/envelope_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/request_id_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/cors_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/client_address_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/page_links_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/trace_context_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/server_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/server_lifecycle_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/response_head_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tls_test.cpp
  LIBS svc_http svc_test_support)
