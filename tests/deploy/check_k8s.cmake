# check_k8s.cmake: the Kubernetes manifests agree with the shipped configuration
# and with the production layout of deploy/cluster.sh.
#
#   cmake -DSOURCE_DIR=<repository root> -P check_k8s.cmake
#
# No YAML parser is assumed (CMake only): the checks read the text, on the layout
# of deploy/k8s (k8s_manifests.cmake). Per service file:
#  - the ConfigMap's `caf-application.ini: |` block is, de-indented, exactly
#    config/<service>.ini, every line of it indented 4 spaces (less would end the
#    block early in YAML);
#  - with MANAGEMENT_PORT in the ConfigMap, the probes and the prometheus.io/port
#    annotation use that port (a container port named `management`); the HPA.
# Per service Deployment, with each setting as the process sees it (the container
# environment, a ConfigMap key resolved, else the ini):
#  - startup (if any) and liveness probes on /health/live, readiness on /health/ready;
#  - terminationGracePeriodSeconds > preStop sleep + SHUTDOWN_TIMEOUT, so the
#    kubelet's SIGKILL never cuts a drain short;
#  - DB_PREPARED_STATEMENTS and RATE_LIMIT_BACKEND are what deploy/cluster.sh gives
#    its replicas; TRUSTED_PROXIES trusts no whole address space;
#  - order-service's USER_SERVICE_URL names the user-service Service and its port.
# Across the manifests:
#  - behind PgBouncer (a Deployment running it, and its Service) every Deployment
#    with DATABASE_URL(_FILE) runs with DB_PREPARED_STATEMENTS=false, and the
#    DATABASE_URL examples of deploy/k8s/README.md name that Service;
#  - PgBouncer's own configuration says pool_mode = transaction and listens on its
#    container port;
#  - RATE_LIMIT_BACKEND=redis comes with a REDIS_URL naming a Service (and port) of
#    the manifests;
#  - every Service selects a Deployment and targets a named port it has; every image
#    has a tag, not `latest`; every *.yaml here is in kustomization.yaml;
#  - `kubectl kustomize deploy/k8s` succeeds and renders every resource, when
#    kubectl is on PATH (otherwise said so, not failed).

cmake_minimum_required(VERSION 3.25)  # policies of a script run with -P

if(NOT SOURCE_DIR)
  message(FATAL_ERROR "usage: cmake -DSOURCE_DIR=dir -P check_k8s.cmake")
endif()

include("${CMAKE_CURRENT_LIST_DIR}/k8s_manifests.cmake")
set(k8s_dir "${SOURCE_DIR}/deploy/k8s")
set(services user-service order-service)

macro(fail text)
  k8s_fail("${text}")
endmacro()

foreach(svc IN LISTS services)
  set(manifest "${SOURCE_DIR}/deploy/k8s/${svc}.yaml")
  set(ini_file "${SOURCE_DIR}/config/${svc}.ini")
  file(READ "${manifest}" yaml)
  file(READ "${ini_file}" ini)

  # --- the embedded ini, from the line after the key to the next document ---------
  set(key "\n  caf-application.ini: |\n")
  string(FIND "${yaml}" "${key}" start)
  if(start EQUAL -1)
    fail("${svc}.yaml: no `  caf-application.ini: |` key in the ConfigMap")
    set(ini_${svc} "${ini}")
  else()
    string(LENGTH "${key}" key_len)
    math(EXPR start "${start} + ${key_len}")
    string(SUBSTRING "${yaml}" ${start} -1 block)
    string(FIND "${block}" "\n---" end)
    if(NOT end EQUAL -1)
      string(SUBSTRING "${block}" 0 ${end} block)
    endif()
    set(block "\n${block}")
    if(block MATCHES "\n( ? ? ?)[^ \n]")
      fail("${svc}.yaml: a line of the caf-application.ini block is indented less than 4 spaces")
    endif()
    string(REPLACE "\n    " "\n" block "${block}")
    string(REGEX REPLACE "^\n" "" block "${block}")
    string(REGEX REPLACE "\n+$" "" block "${block}")
    string(REGEX REPLACE "\n+$" "" ini_trimmed "${ini}")
    set(ini_${svc} "${block}")
    if(NOT block STREQUAL ini_trimmed)
      fail("${svc}.yaml: the ConfigMap's caf-application.ini differs from config/${svc}.ini; re-embed it: sed -e 's/^/    /' -e 's/^ *$//' config/${svc}.ini")
    endif()
  endif()

  # --- the management listener ---------------------------------------------------
  # With MANAGEMENT_PORT set (non-zero) in the ConfigMap, /metrics and /health* are
  # served there only: a container port named `management` must be that port, every
  # probe must use it, and so must the prometheus.io/port annotation. Without it,
  # the annotation must name the API's container port.
  string(REGEX MATCH "\n  MANAGEMENT_PORT: *\"?([0-9]+)" _ "${yaml}")
  set(management "${CMAKE_MATCH_1}")
  string(REGEX MATCH "prometheus.io/port: *\"?([0-9]+)" _ "${yaml}")
  set(scrape_port "${CMAKE_MATCH_1}")
  string(REGEX MATCH "- name: http[ \n]+containerPort: *([0-9]+)" _ "${yaml}")
  set(api_port "${CMAKE_MATCH_1}")
  if(management STREQUAL "" OR management EQUAL 0)
    if(NOT scrape_port STREQUAL api_port)
      fail("${svc}.yaml: prometheus.io/port '${scrape_port}' is not the API's container port '${api_port}'")
    endif()
  else()
    if(NOT yaml MATCHES "name: MANAGEMENT_PORT[ \n]+valueFrom:[ \n]+configMapKeyRef: *{ *name: *${svc}-config, *key: *MANAGEMENT_PORT *}")
      fail("${svc}.yaml: the container does not take MANAGEMENT_PORT from the ConfigMap")
    endif()
    if(NOT yaml MATCHES "- name: management[ \n]+containerPort: *${management}[ \n]")
      fail("${svc}.yaml: no container port named `management` on MANAGEMENT_PORT ${management}")
    endif()
    if(NOT scrape_port STREQUAL management)
      fail("${svc}.yaml: prometheus.io/port '${scrape_port}' is not MANAGEMENT_PORT ${management}")
    endif()
    string(REGEX MATCHALL "httpGet: *{[^}]*}" probes "${yaml}")
    foreach(probe IN LISTS probes)
      if(NOT probe MATCHES "port: *management")
        fail("${svc}.yaml: probe `${probe}` is not on the management port")
      endif()
    endforeach()
  endif()

  # --- HPA, secret ----------------------------------------------------------------
  foreach(pattern
      "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler"
      "averageUtilization: *70"
      "name: DATABASE_URL_FILE[ \n]+value: /run/secrets/${svc}-db/DATABASE_URL"
      "mountPath: /run/secrets/${svc}-db"
      "secret:[ \n]+secretName: ${svc}-db"
      "mountPath: /app/caf-application.ini")
    if(NOT yaml MATCHES "${pattern}")
      string(REPLACE "\n" "\\n" shown "${pattern}")
      fail("${svc}.yaml: nothing matches /${shown}/")
    endif()
  endforeach()
endforeach()

include("${CMAKE_CURRENT_LIST_DIR}/k8s_layout_checks.cmake")

get_property(errors GLOBAL PROPERTY k8s_findings)
if(NOT "${errors}" STREQUAL "")
  message(FATAL_ERROR "deploy/k8s:\n${errors}")
endif()
message(STATUS "deploy/k8s: ConfigMap ini files match config/*.ini; probes, grace periods, PgBouncer, Redis, Services, images ok")
