# check_dashboard.cmake: the Grafana dashboard is valid JSON and well-formed.
#
#   cmake -DDASHBOARD=deploy/grafana/dashboard.json -DOUT_DIR=<scratch dir> -P check_dashboard.cmake
#
# Needs nothing beyond CMake (string(JSON), CMake >= 3.19) and promtool (Debian
# package `prometheus`, looked up at run time) for the PromQL check:
#  1. the file parses as JSON, with a schemaVersion, a uid and a title;
#  2. a `datasource` template variable (type datasource, Prometheus) and a
#     `service` variable; every panel and every query uses ${datasource};
#  3. panel ids are unique; every panel has at least one query;
#  4. the queries cover every metric the dashboard is meant to show;
#  5. breaker state panels map 0/1/2 to closed/half-open/open;
#  6. every query is valid PromQL: each becomes a recording rule in a scratch rules
#     file (Grafana's $__rate_interval -> 5m, $service -> .+) that
#     `promtool check rules` parses.

cmake_minimum_required(VERSION 3.25)  # policies of a script run with -P

if(NOT DASHBOARD OR NOT OUT_DIR)
  message(FATAL_ERROR "usage: cmake -DDASHBOARD=file -DOUT_DIR=dir -P check_dashboard.cmake")
endif()

set(errors "")
macro(fail text)
  string(APPEND errors "  - ${text}\n")
endmacro()

file(READ "${DASHBOARD}" json)

# 1. JSON at all.
string(JSON top_type ERROR_VARIABLE err TYPE "${json}")
if(err)
  message(FATAL_ERROR "${DASHBOARD}: not valid JSON: ${err}")
endif()
if(NOT top_type STREQUAL "OBJECT")
  message(FATAL_ERROR "${DASHBOARD}: top level is ${top_type}, not an object")
endif()

string(JSON schema ERROR_VARIABLE err GET "${json}" schemaVersion)
if(err OR NOT schema MATCHES "^[0-9]+$" OR schema LESS 36)
  fail("schemaVersion missing or below 36 (Grafana 9+): '${schema}'")
endif()
foreach(key uid title)
  string(JSON value ERROR_VARIABLE err GET "${json}" ${key})
  if(err OR value STREQUAL "")
    fail("top-level '${key}' missing or empty")
  endif()
endforeach()

# 2. Template variables.
set(have_datasource_var FALSE)
set(have_service_var FALSE)
string(JSON nvars ERROR_VARIABLE err LENGTH "${json}" templating list)
if(err)
  set(nvars 0)
endif()
if(nvars GREATER 0)
  math(EXPR last "${nvars} - 1")
  foreach(i RANGE ${last})
    string(JSON vname GET "${json}" templating list ${i} name)
    string(JSON vtype GET "${json}" templating list ${i} type)
    if(vname STREQUAL "datasource")
      string(JSON vquery ERROR_VARIABLE err GET "${json}" templating list ${i} query)
      if(vtype STREQUAL "datasource" AND vquery STREQUAL "prometheus")
        set(have_datasource_var TRUE)
      endif()
    elseif(vname STREQUAL "service")
      set(have_service_var TRUE)
    endif()
  endforeach()
endif()
if(NOT have_datasource_var)
  fail("no template variable 'datasource' of type datasource with query 'prometheus'")
endif()
if(NOT have_service_var)
  fail("no template variable 'service'")
endif()

# 3.-5. Panels and their queries.
string(JSON npanels ERROR_VARIABLE err LENGTH "${json}" panels)
if(err OR npanels EQUAL 0)
  message(FATAL_ERROR "${DASHBOARD}: no panels")
endif()

set(ids "")
set(all_exprs "")
set(rules "groups:\n  - name: dashboard-queries\n    rules:\n")
set(nqueries 0)
math(EXPR last "${npanels} - 1")
foreach(i RANGE ${last})
  string(JSON ptype GET "${json}" panels ${i} type)
  string(JSON pid GET "${json}" panels ${i} id)
  string(JSON ptitle ERROR_VARIABLE err GET "${json}" panels ${i} title)
  if(pid IN_LIST ids)
    fail("panel id ${pid} used twice")
  endif()
  list(APPEND ids ${pid})
  if(ptype STREQUAL "row")
    continue()
  endif()

  string(JSON ds_uid ERROR_VARIABLE err GET "${json}" panels ${i} datasource uid)
  if(err OR NOT ds_uid STREQUAL "\${datasource}")
    fail("panel '${ptitle}': datasource.uid is not \${datasource}")
  endif()

  string(JSON ntargets ERROR_VARIABLE err LENGTH "${json}" panels ${i} targets)
  if(err OR ntargets EQUAL 0)
    fail("panel '${ptitle}': no queries")
    continue()
  endif()
  math(EXPR tlast "${ntargets} - 1")
  set(panel_exprs "")
  foreach(t RANGE ${tlast})
    string(JSON expr ERROR_VARIABLE err GET "${json}" panels ${i} targets ${t} expr)
    string(JSON ref ERROR_VARIABLE referr GET "${json}" panels ${i} targets ${t} refId)
    string(JSON tds ERROR_VARIABLE tdserr GET "${json}" panels ${i} targets ${t} datasource uid)
    if(err OR expr STREQUAL "")
      fail("panel '${ptitle}': query ${t} has no expr")
      continue()
    endif()
    if(tdserr OR NOT tds STREQUAL "\${datasource}")
      fail("panel '${ptitle}': query ${ref} datasource.uid is not \${datasource}")
    endif()
    string(APPEND all_exprs "${expr}\n")
    string(APPEND panel_exprs "${expr}\n")

    # As a recording rule for promtool (block scalar, indented under `expr: |`).
    string(REPLACE "$__rate_interval" "5m" promql "${expr}")
    string(REPLACE "$service" ".+" promql "${promql}")
    string(REPLACE "\n" "\n            " promql "${promql}")
    math(EXPR nqueries "${nqueries} + 1")
    string(APPEND rules "      - record: dashboard:query_${pid}_${ref}\n        expr: |\n            ${promql}\n")
  endforeach()

  # 5. Breaker state panels show names, not numbers.
  if(panel_exprs MATCHES "circuit_breaker_state")
    foreach(pair "0=closed" "1=half-open" "2=open")
      string(REPLACE "=" ";" kv "${pair}")
      list(GET kv 0 value)
      list(GET kv 1 text)
      string(JSON mapped ERROR_VARIABLE err
             GET "${json}" panels ${i} fieldConfig defaults mappings 0 options ${value} text)
      if(err OR NOT mapped STREQUAL text)
        fail("panel '${ptitle}': no value mapping ${value} -> ${text}")
      endif()
    endforeach()
  endif()
endforeach()

# 4. Coverage: the metrics the dashboard exists to show.
foreach(metric
    http_requests_total http_request_duration_seconds_bucket http_requests_in_flight
    app_errors_total rate_limit_rejected_total
    circuit_breaker_state circuit_breaker_transitions_total
    db_pool_connections db_pool_wait_seconds_bucket db_query_duration_seconds_bucket
    process_resident_memory_bytes process_cpu_seconds_total)
  string(FIND "${all_exprs}" "${metric}" at)
  if(at EQUAL -1)
    fail("no panel queries ${metric}")
  endif()
endforeach()

if(NOT errors STREQUAL "")
  message(FATAL_ERROR "${DASHBOARD}:\n${errors}")
endif()

# 6. PromQL validity.
find_program(PROMTOOL promtool)
if(NOT PROMTOOL)
  message(FATAL_ERROR "promtool not found: install the Debian package 'prometheus' "
                      "(`make deps`, or `apt-get install prometheus`)")
endif()
file(MAKE_DIRECTORY "${OUT_DIR}")
set(rules_file "${OUT_DIR}/dashboard_queries.rules.yml")
file(WRITE "${rules_file}" "${rules}")
execute_process(COMMAND "${PROMTOOL}" check rules "${rules_file}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${DASHBOARD}: a query is not valid PromQL (checked as ${rules_file}):\n${out}")
endif()
message(STATUS "${DASHBOARD}: valid JSON, ${npanels} panels, ${nqueries} queries, all valid PromQL")
