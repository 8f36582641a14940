# FindCAF.cmake: locate the C++ Actor Framework (CAF 0.17.x).
#
# Debian's libcaf-dev ships headers and shared libraries, but neither a CMake
# package nor a pkg-config file, hence this module.
#
# Components:
#   core  (always searched, always required)
#   io    (optional unless listed in REQUIRED COMPONENTS / COMPONENTS)
#
# Hints: CAF_ROOT (CMake or environment variable) is searched first.
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

find_path(CAF_INCLUDE_DIR
  NAMES caf/all.hpp
  HINTS ${CAF_ROOT} ENV CAF_ROOT
  PATH_SUFFIXES include)

find_library(CAF_CORE_LIBRARY
  NAMES caf_core
  HINTS ${CAF_ROOT} ENV CAF_ROOT
  PATH_SUFFIXES lib lib64)

find_library(CAF_IO_LIBRARY
  NAMES caf_io
  HINTS ${CAF_ROOT} ENV CAF_ROOT
  PATH_SUFFIXES lib lib64)

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
