svc_test(config_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/settings_loader_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/bad_values_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/value_parsers_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/secret_mask_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/auth_settings_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/redis_url_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/caf_options_test.cpp
  LIBS svc_config)
# The shipped config/*.ini files are loaded by a test: they must parse and hold the defaults.
target_compile_definitions(config_tests PRIVATE SVC_CONFIG_SOURCE_DIR="${PROJECT_SOURCE_DIR}/config")
# The generated files (config/*.ini, their deploy/k8s copies, the README's option
# table) still say what the option rows say; `cmake --build build --target
# update-option-docs` rewrites them.
add_test(NAME config_option_docs COMMAND option-docs --check "${PROJECT_SOURCE_DIR}")
