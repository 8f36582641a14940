# check_dockerfile.cmake: deploy/docker/Dockerfile still matches the project layout.
#
#   cmake -DSOURCE_DIR=<repository root> -P check_dockerfile.cmake
#
# Docker cannot run on every machine that runs `make test`, so the image build is
# not exercised; this catches the drift that would break it:
#  - every directory the top-level CMakeLists.txt adds with add_subdirectory()
#    (except tests/, not built with -DBUILD_TESTING=OFF), cmake/ and docs/api/ (the
#    OpenAPI documents the services embed) are COPY'd, and python3-yaml installed;
#  - both service targets exist (the Dockerfile builds `--target ${SERVICE}`) and
#    both shipped ini files exist (COPY config/${SERVICE}.ini);
#  - the build runs with -DBUILD_TESTING=OFF, the image is non-root, has a
#    HEALTHCHECK on /health/live and STOPSIGNAL SIGTERM;
#  - with jemalloc as the services' malloc (SVC_ALLOCATOR), both stages install it.

cmake_minimum_required(VERSION 3.25)  # policies of a script run with -P

if(NOT SOURCE_DIR)
  message(FATAL_ERROR "usage: cmake -DSOURCE_DIR=dir -P check_dockerfile.cmake")
endif()

set(dockerfile "${SOURCE_DIR}/deploy/docker/Dockerfile")
file(READ "${dockerfile}" docker)
file(READ "${SOURCE_DIR}/CMakeLists.txt" top)

set(errors "")
macro(fail text)
  string(APPEND errors "  - ${text}\n")
endmacro()
macro(require regex what)
  if(NOT docker MATCHES "${regex}")
    fail("${what}")
  endif()
endmacro()

string(REGEX MATCHALL "add_subdirectory\\([ \t]*[A-Za-z0-9_.-]+" subdirs "${top}")
set(dirs cmake)
foreach(s IN LISTS subdirs)
  string(REGEX REPLACE "add_subdirectory\\([ \t]*" "" d "${s}")
  if(NOT d STREQUAL "tests")
    list(APPEND dirs ${d})
  endif()
endforeach()
foreach(d IN LISTS dirs)
  if(NOT docker MATCHES "\nCOPY[ \t]+${d}/?[ \t]+${d}/?[ \t]*\n")
    fail("no `COPY ${d}/ ${d}/` (CMakeLists.txt needs the directory ${d}/)")
  endif()
endforeach()
require("\nCOPY[ \t]+CMakeLists.txt[ \t]" "no `COPY CMakeLists.txt`")
# The services embed docs/api/<service>.yaml at build time.
if(NOT docker MATCHES "\nCOPY[ \t]+docs/api/?[ \t]+docs/api/?[ \t]*\n")
  fail("no `COPY docs/api/ docs/api/` (services/CMakeLists.txt embeds the OpenAPI documents)")
endif()
require("python3-yaml" "the build stage lacks python3-yaml (cmake/openapi_to_cpp.py reads the YAML)")

file(READ "${SOURCE_DIR}/services/CMakeLists.txt" services)
foreach(svc user-service order-service)
  if(NOT services MATCHES "add_executable\\(${svc}[ \t\n]")
    fail("services/CMakeLists.txt has no target ${svc} (the Dockerfile builds --target ${svc})")
  endif()
  if(NOT EXISTS "${SOURCE_DIR}/config/${svc}.ini")
    fail("config/${svc}.ini missing (the image copies it as caf-application.ini)")
  endif()
endforeach()

# The services link jemalloc unless configured with SVC_ALLOCATOR=system.
if(top MATCHES "set\\(SVC_ALLOCATOR \"jemalloc\"")
  require("libjemalloc-dev" "the build stage lacks libjemalloc-dev (SVC_ALLOCATOR is jemalloc)")
  require("libjemalloc2" "the runtime stage lacks libjemalloc2 (the services link libjemalloc.so.2)")
endif()
require("-DBUILD_TESTING=OFF" "the build does not pass -DBUILD_TESTING=OFF")
require("\nFROM debian:[^\n]*AS build" "no debian build stage")
require("\nFROM debian:[^\n]*-slim" "no debian slim runtime stage")
require("\nUSER[ \t]+[a-z0-9]" "no USER: the image would run as root")
require("\nHEALTHCHECK[^\n]*(\\\\\n[^\n]*)*/health/live" "no HEALTHCHECK on /health/live")
require("\nSTOPSIGNAL[ \t]+SIGTERM" "no STOPSIGNAL SIGTERM")
require("\nEXPOSE[ \t]" "no EXPOSE")
require("caf-application\\.ini" "the ini is not installed as caf-application.ini")

if(NOT errors STREQUAL "")
  message(FATAL_ERROR "${dockerfile}:\n${errors}")
endif()
list(JOIN dirs " " dirs)
message(STATUS "${dockerfile}: copies ${dirs}; targets and ini files present")
