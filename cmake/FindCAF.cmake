# FindCAF.cmake: locate the C++ Actor Framework (CAF 0.17.x).
#
# Debian's libcaf-dev ships headers and shared libraries, but neither a CMake
# package nor a pkg-config file, hence this module.
#
# Components:
#   core  (always searched, always required)
#   io    (optional unless listed in REQUIRED COMPONENTS / COMPONENTS)
#
# Hints: CAF_ROOT (CMake or environment variable): when set, headers and libraries
# are taken from there ONLY (no fallback to /usr), so a build against another CAF
# (e.g. the TSan-instrumented one of `make test-tsan`, built by
# cmake/build-tsan-caf.sh into build-tsan/_caf/install) never mixes its headers with
# the system's library or the reverse. The executables find that library at run
# time through the build tree's RPATH (the SONAME is the same as Debian's).
#
# Result variables:
#   CAF_FOUND, CAF_VERSION (e.g. 0.17.6), CAF_INCLUDE_DIRS, CAF_LIBRARIES,
#   CAF_core_FOUND, CAF_io_FOUND
# Cache variables:
#   CAF_INCLUDE_DIR, CAF_CORE_LIBRARY, CAF_IO_LIBRARY
# Imported targets:
#   CAF::core  (links Threads::Threads)
#   CAF::io    (links CAF::core), only when found

find_package(Threads QUIET)

set(_caf_root "${CAF_ROOT}")
if(NOT _caf_root AND DEFINED ENV{CAF_ROOT})
  set(_caf_root "$ENV{CAF_ROOT}")
endif()
if(_caf_root)
  set(_caf_search PATHS "${_caf_root}" NO_DEFAULT_PATH)
else()
  set(_caf_search)
endif()

find_path(CAF_INCLUDE_DIR
  NAMES caf/all.hpp
  ${_caf_search}
  PATH_SUFFIXES include)

find_library(CAF_CORE_LIBRARY
  NAMES caf_core
  ${_caf_search}
  PATH_SUFFIXES lib lib64)

find_library(CAF_IO_LIBRARY
  NAMES caf_io
  ${_caf_search}
  PATH_SUFFIXES lib lib64)
unset(_caf_search)

# A cached result from elsewhere (CAF_ROOT set or changed after the first configure)
# would mix two CAFs: refuse it.
if(_caf_root)
  foreach(_caf_var CAF_INCLUDE_DIR CAF_CORE_LIBRARY)
    if(${_caf_var})
      cmake_path(IS_PREFIX _caf_root "${${_caf_var}}" NORMALIZE _caf_inside)
      if(NOT _caf_inside)
        message(FATAL_ERROR "FindCAF: ${_caf_var}=${${_caf_var}} is not under CAF_ROOT="
                "${_caf_root}; remove it from the cache (or the build directory)")
      endif()
    endif()
  endforeach()
  unset(_caf_var)
  unset(_caf_inside)
endif()
unset(_caf_root)

mark_as_advanced(CAF_INCLUDE_DIR CAF_CORE_LIBRARY CAF_IO_LIBRARY)

# Version: caf/config.hpp has "#define CAF_VERSION 1706" (major*10000 + minor*100 + patch).
unset(CAF_VERSION)
if(CAF_INCLUDE_DIR AND EXISTS "${CAF_INCLUDE_DIR}/caf/config.hpp")
  file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" _caf_version_line
       REGEX "^#define[ \t]+CAF_VERSION[ \t]+[0-9]+")
  if(_caf_version_line MATCHES "CAF_VERSION[ \t]+([0-9]+)")
    set(_caf_v "${CMAKE_MATCH_1}")
    math(EXPR CAF_VERSION_MAJOR "${_caf_v} / 10000")
    math(EXPR CAF_VERSION_MINOR "(${_caf_v} / 100) % 100")
    math(EXPR CAF_VERSION_PATCH "${_caf_v} % 100")
    set(CAF_VERSION "${CAF_VERSION_MAJOR}.${CAF_VERSION_MINOR}.${CAF_VERSION_PATCH}")
    unset(_caf_v)
  endif()
  unset(_caf_version_line)
endif()

# Per-component results, consumed by HANDLE_COMPONENTS.
if(CAF_INCLUDE_DIR AND CAF_CORE_LIBRARY)
  set(CAF_core_FOUND TRUE)
else()
  set(CAF_core_FOUND FALSE)
endif()
if(CAF_core_FOUND AND CAF_IO_LIBRARY)
  set(CAF_io_FOUND TRUE)
else()
  set(CAF_io_FOUND FALSE)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CAF
  REQUIRED_VARS CAF_CORE_LIBRARY CAF_INCLUDE_DIR Threads_FOUND
  VERSION_VAR CAF_VERSION
  HANDLE_COMPONENTS)

if(CAF_FOUND)
  set(CAF_INCLUDE_DIRS "${CAF_INCLUDE_DIR}")
  set(CAF_LIBRARIES "${CAF_CORE_LIBRARY}")

  if(NOT TARGET CAF::core)
    add_library(CAF::core UNKNOWN IMPORTED)
    set_target_properties(CAF::core PROPERTIES
      IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES Threads::Threads)
  endif()

  if(CAF_io_FOUND)
    list(APPEND CAF_LIBRARIES "${CAF_IO_LIBRARY}")
    if(NOT TARGET CAF::io)
      add_library(CAF::io UNKNOWN IMPORTED)
      set_target_properties(CAF::io PROPERTIES
        IMPORTED_LOCATION "${CAF_IO_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
        INTERFACE_LINK_LIBRARIES CAF::core)
    endif()
  endif()
endif()
