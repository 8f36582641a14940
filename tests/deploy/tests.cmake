# tests/deploy/tests.cmake: checks of the operator-facing files in deploy/
# (included by tests/CMakeLists.txt). No C++ and no Python: plain ctest tests running
# promtool (Debian package `prometheus`, installed by `make deps`) and `cmake -P`
# scripts. Select them with `ctest -L deploy` (or CTEST_ARGS='-L deploy').
#
#   deploy_prometheus_config      promtool check config deploy/prometheus/prometheus.yml
#                                 (also checks the rule_files it lists)
#   deploy_prometheus_rules       promtool check rules deploy/prometheus/alerts.yml
#   deploy_prometheus_rules_test  promtool test rules deploy/prometheus/alerts_test.yml
#   deploy_grafana_dashboard      dashboard.json: valid JSON, variables, panels, mappings,
#                                 every query valid PromQL (check_dashboard.cmake)
#   deploy_metric_names           every metric named by alerts and dashboard is exported
#                                 by observability/metrics.cpp or process_collector.cpp
#                                 (check_metric_names.cmake)
#   deploy_runbooks               every alert links its section of docs/RUNBOOK.md
#                                 (check_runbooks.cmake)
#   deploy_dockerfile             Dockerfile copies every source dir CMake needs, ...
#                                 (check_dockerfile.cmake)
#   deploy_k8s                    ConfigMap ini == config/*.ini, probes, grace period >
#                                 preStop + SHUTDOWN_TIMEOUT, PgBouncer in transaction mode
#                                 with DB_PREPARED_STATEMENTS=false, the Redis limiter, the
#                                 same settings as deploy/cluster.sh; `kubectl kustomize`
#                                 when kubectl is on PATH (check_k8s.cmake)
#
# promtool is looked up when a test runs (not at configure time), and a missing
# promtool fails the test with a message saying what to install: these checks are
# required. kubectl is optional: without it deploy_k8s says it skipped the rendering.
# Not checked here (no daemon, no cluster, no YAML parser assumed): that the images
# build, that docker-compose.yml parses, and that the API server accepts
# deploy/k8s (kustomize parses it as YAML, no more).

set(SVC_DEPLOY_DIR "${PROJECT_SOURCE_DIR}/deploy")
set(SVC_DEPLOY_CHECKS "${CMAKE_CURRENT_LIST_DIR}")

# svc_promtool_test(NAME MODE FILE): one promtool invocation (run_promtool.cmake).
function(svc_promtool_test name mode file)
  add_test(NAME ${name}
    COMMAND "${CMAKE_COMMAND}" -DMODE=${mode} "-DFILE=${file}"
            -P "${SVC_DEPLOY_CHECKS}/run_promtool.cmake"
    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
  set_tests_properties(${name} PROPERTIES LABELS deploy TIMEOUT 60)
endfunction()

svc_promtool_test(deploy_prometheus_config     check-config "${SVC_DEPLOY_DIR}/prometheus/prometheus.yml")
svc_promtool_test(deploy_prometheus_local_config check-config "${SVC_DEPLOY_DIR}/prometheus/prometheus-local.yml")
svc_promtool_test(deploy_prometheus_rules      check-rules  "${SVC_DEPLOY_DIR}/prometheus/alerts.yml")
svc_promtool_test(deploy_prometheus_rules_test test-rules   "${SVC_DEPLOY_DIR}/prometheus/alerts_test.yml")

add_test(NAME deploy_grafana_dashboard
  COMMAND "${CMAKE_COMMAND}"
          "-DDASHBOARD=${SVC_DEPLOY_DIR}/grafana/dashboard.json"
          "-DOUT_DIR=${CMAKE_CURRENT_BINARY_DIR}/deploy-checks"
          -P "${SVC_DEPLOY_CHECKS}/check_dashboard.cmake")

# FILES and METRICS_SOURCES are '|'-separated: a ';' would split the argument in add_test.
add_test(NAME deploy_metric_names
  COMMAND "${CMAKE_COMMAND}"
          "-DFILES=${SVC_DEPLOY_DIR}/prometheus/alerts.yml|${SVC_DEPLOY_DIR}/prometheus/alerts_test.yml|${SVC_DEPLOY_DIR}/grafana/dashboard.json"
          "-DMETRICS_SOURCES=${PROJECT_SOURCE_DIR}/observability/metrics.cpp|${PROJECT_SOURCE_DIR}/observability/process_collector.cpp"
          -P "${SVC_DEPLOY_CHECKS}/check_metric_names.cmake")

add_test(NAME deploy_runbooks
  COMMAND "${CMAKE_COMMAND}"
          "-DALERTS=${SVC_DEPLOY_DIR}/prometheus/alerts.yml"
          "-DRUNBOOK=${PROJECT_SOURCE_DIR}/docs/RUNBOOK.md"
          -P "${SVC_DEPLOY_CHECKS}/check_runbooks.cmake")

add_test(NAME deploy_dockerfile
  COMMAND "${CMAKE_COMMAND}" "-DSOURCE_DIR=${PROJECT_SOURCE_DIR}"
          -P "${SVC_DEPLOY_CHECKS}/check_dockerfile.cmake")

add_test(NAME deploy_k8s
  COMMAND "${CMAKE_COMMAND}" "-DSOURCE_DIR=${PROJECT_SOURCE_DIR}"
          -P "${SVC_DEPLOY_CHECKS}/check_k8s.cmake")

set_tests_properties(deploy_grafana_dashboard deploy_metric_names deploy_runbooks deploy_dockerfile deploy_k8s
  PROPERTIES LABELS deploy TIMEOUT 60)

# deploy_run_local: `make run`'s script with DATABASE_URL set starts both services,
# each on a database of its own on that server (run_local_test.sh).
add_test(NAME deploy_run_local
  COMMAND bash "${CMAKE_CURRENT_LIST_DIR}/run_local_test.sh" "${PROJECT_SOURCE_DIR}" "${CMAKE_BINARY_DIR}/bin")
set_tests_properties(deploy_run_local PROPERTIES LABELS deploy TIMEOUT 120 RUN_SERIAL TRUE FIXTURES_REQUIRED postgres
  ENVIRONMENT "SVC_TEST_PG_ENV_FILE=${SVC_TEST_PG_ENV_FILE}")

add_test(NAME deploy_compose_secrets
  COMMAND "${CMAKE_COMMAND}" "-DCOMPOSE=${SVC_DEPLOY_DIR}/docker-compose.yml"
          -P "${SVC_DEPLOY_CHECKS}/check_compose.cmake")
set_tests_properties(deploy_compose_secrets PROPERTIES LABELS deploy)
