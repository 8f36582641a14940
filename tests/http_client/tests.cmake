svc_test(http_client_tests
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/client_test.cpp
  LIBS svc_http svc_test_support)
