svc_test(persistence_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/collection_table_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/paged_list_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/pg_pipeline_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/pg_pipeline_pgbouncer_test.cpp
  LIBS svc_persistence svc_test_support
  DATABASE)
