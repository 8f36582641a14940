# Bearer-token authentication (security/): header parsing, JWT verification
# against keys generated at run time, the cache, scopes, the token file.
# security_test_support (keys and tokens made with libcrypto and libjwt) is also
# used by the end-to-end auth tests.
add_library(security_test_support STATIC ${CMAKE_CURRENT_LIST_DIR}/token_factory.cpp)
target_include_directories(security_test_support PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(security_test_support PUBLIC nlohmann_json::nlohmann_json PRIVATE PkgConfig::JWT OpenSSL::Crypto)

svc_test(security_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/bearer_token_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/scopes_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/token_cache_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/jwt_verifier_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/token_file_test.cpp
  LIBS svc_security security_test_support)
