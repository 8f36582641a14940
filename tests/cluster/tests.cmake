# The replicated layout (deploy/cluster.sh: HAProxy, two replicas of each service,
# PgBouncer in transaction mode, Redis), started per test on the test PostgreSQL
# and driven through HAProxy. `make test-cluster` runs these alone (label cluster).
svc_test(cluster_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/cluster_fixture.cpp
    ${CMAKE_CURRENT_LIST_DIR}/cluster_test.cpp
  LIBS e2e_harness
  DATABASE)
target_compile_definitions(cluster_tests PRIVATE
  SOURCE_ROOT="${PROJECT_SOURCE_DIR}"
  BIN_DIR="$<TARGET_FILE_DIR:user-service>")
set_tests_properties(cluster_tests PROPERTIES TIMEOUT 300 RUN_SERIAL TRUE LABELS cluster)
