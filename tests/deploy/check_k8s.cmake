# check_k8s.cmake: the Kubernetes manifests agree with the shipped configuration.
#
#   cmake -DSOURCE_DIR=<repository root> -P check_k8s.cmake
#
# No YAML parser is assumed (CMake only); the checks are textual, on the layout of
# deploy/k8s/<service>.yaml:
#  - the ConfigMap's `caf-application.ini: |` block is, de-indented, exactly
#    config/<service>.ini (so the cluster runs what the repository ships: copy the
#    file again after changing it);
#  - every line of that block keeps the block's 4-space indentation (a line with
#    less would end the block early in YAML);
#  - terminationGracePeriodSeconds > preStop sleep + SHUTDOWN_TIMEOUT, so the
#    kubelet's SIGKILL never cuts a drain short;
#  - the probes hit /health/live and /health/ready, the HPA is autoscaling/v2;
#  - with MANAGEMENT_PORT in the ConfigMap, the probes and the prometheus.io/port
#    annotation use that port (a container port named `management`).

cmake_minimum_required(VERSION 3.25)  # policies of a script run with -P

if(NOT SOURCE_DIR)
  message(FATAL_ERROR "usage: cmake -DSOURCE_DIR=dir -P check_k8s.cmake")
endif()

set(errors "")
macro(fail text)
  string(APPEND errors "  - ${text}\n")
endmacro()

foreach(svc user-service order-service)
  set(manifest "${SOURCE_DIR}/deploy/k8s/${svc}.yaml")
  set(ini_file "${SOURCE_DIR}/config/${svc}.ini")
  file(READ "${manifest}" yaml)
  file(READ "${ini_file}" ini)

  # --- the embedded ini, from the line after the key to the next document ---------
  set(key "\n  caf-application.ini: |\n")
  string(FIND "${yaml}" "${key}" start)
  if(start EQUAL -1)
    fail("${svc}.yaml: no `  caf-application.ini: |` key in the ConfigMap")
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
    if(NOT block STREQUAL ini_trimmed)
      fail("${svc}.yaml: the ConfigMap's caf-application.ini differs from config/${svc}.ini; re-embed it: sed -e 's/^/    /' -e 's/^ *$//' config/${svc}.ini")
    endif()
  endif()

  # --- shutdown timing ------------------------------------------------------------
  string(REGEX MATCH "terminationGracePeriodSeconds: *([0-9]+)" _ "${yaml}")
  set(grace "${CMAKE_MATCH_1}")
  string(REGEX MATCH "SHUTDOWN_TIMEOUT: *\"?([0-9]+)" _ "${yaml}")
  set(drain "${CMAKE_MATCH_1}")
  string(REGEX MATCH "command: *\\[ *\"sleep\", *\"([0-9]+)\" *\\]" _ "${yaml}")
  set(pre_stop "${CMAKE_MATCH_1}")
  if(grace STREQUAL "" OR drain STREQUAL "" OR pre_stop STREQUAL "")
    fail("${svc}.yaml: terminationGracePeriodSeconds ('${grace}'), SHUTDOWN_TIMEOUT ('${drain}') or the preStop sleep ('${pre_stop}') not found")
  else()
    math(EXPR needed "${pre_stop} + ${drain}")
    if(NOT grace GREATER needed)
      fail("${svc}.yaml: terminationGracePeriodSeconds ${grace} <= preStop ${pre_stop} + SHUTDOWN_TIMEOUT ${drain}")
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

  # --- probes, HPA, secret --------------------------------------------------------
  foreach(pattern
      "livenessProbe:[ \n]+httpGet: *{ *path: */health/live"
      "readinessProbe:[ \n]+httpGet: *{ *path: */health/ready"
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

if(NOT errors STREQUAL "")
  message(FATAL_ERROR "deploy/k8s:\n${errors}")
endif()
message(STATUS "deploy/k8s: ConfigMap ini files match config/*.ini; grace period, probes, HPA, secret ok")
