# fuzz.cmake: the libFuzzer build, included by the top-level CMakeLists.txt
# when SVC_FUZZ=ON (instead of the services and the gtest suites).
#
#   CC=clang CXX=clang++ cmake -S . -B build-fuzz -DSVC_FUZZ=ON   (what `make build-fuzz` does)
#
# Builds only the libraries the fuzzers link (svc_domain, part of svc_http, svc_config,
# svc_security),
# instrumented with -fsanitize=fuzzer-no-link,address,undefined, and one
# executable per fuzz_*.cpp here, linked with -fsanitize=fuzzer,address,undefined.
# Registers one ctest test per fuzzer: a short run (SVC_FUZZ_SECONDS, 15 s) on a
# scratch corpus seeded from corpus/<target>/; a crash or a broken invariant fails it.

if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "SVC_FUZZ=ON needs clang (libFuzzer): configure with CC=clang CXX=clang++")
endif()

set(SVC_FUZZ_SECONDS 15 CACHE STRING "Seconds each fuzzer runs under ctest")

# UB aborts like a crash, so that libFuzzer keeps the input that caused it.
set(SVC_FUZZ_SANITIZERS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
add_compile_options(-fsanitize=fuzzer-no-link ${SVC_FUZZ_SANITIZERS})

add_subdirectory(domain)
# Of svc_http only the router, the request-target parser (which also compiles
# Boost.URL for svc_config), the request framing rule and the response head: the
# Beast server and client would double the build.
add_library(svc_http STATIC http/router.cpp http/target.cpp http/request_framing.cpp http/client_address.cpp
            http/response_head.cpp)
target_include_directories(svc_http PUBLIC ${SVC_INCLUDE_ROOT})
target_link_libraries(svc_http PUBLIC Boost::headers)
add_subdirectory(config)
# The bearer header and the JWT verifier (libjwt and libcrypto themselves are not
# instrumented: the fuzzer covers our parsing and decisions around them).
add_subdirectory(security)

set(SVC_FUZZ_DIR "${CMAKE_CURRENT_LIST_DIR}")
find_program(SVC_BASH_EXECUTABLE bash REQUIRED)
enable_testing()

# svc_fuzzer(NAME LIBS...): tests/fuzz/NAME.cpp as a libFuzzer executable, plus
# its short ctest run.
function(svc_fuzzer name)
  add_executable(${name} "${SVC_FUZZ_DIR}/${name}.cpp")
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer ${SVC_FUZZ_SANITIZERS})
  target_link_libraries(${name} PRIVATE ${ARGN})
  target_include_directories(${name} PRIVATE ${SVC_INCLUDE_ROOT})
  add_test(NAME ${name}
    COMMAND "${SVC_BASH_EXECUTABLE}" "${SVC_FUZZ_DIR}/run_fuzzer.sh" --scratch
            "$<TARGET_FILE:${name}>" "${SVC_FUZZ_DIR}" "${CMAKE_BINARY_DIR}/ctest-fuzz" ${SVC_FUZZ_SECONDS})
  set_tests_properties(${name} PROPERTIES LABELS fuzz TIMEOUT 300)
endfunction()

svc_fuzzer(fuzz_request_target svc_http svc_domain)
svc_fuzzer(fuzz_request_framing svc_http)
svc_fuzzer(fuzz_response_head svc_http)
svc_fuzzer(fuzz_user_body svc_domain)
svc_fuzzer(fuzz_order_body svc_domain)
svc_fuzzer(fuzz_config_loader svc_config)
svc_fuzzer(fuzz_bearer_token svc_security OpenSSL::Crypto)
