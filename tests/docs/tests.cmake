# docs_examples: every command of docs/EXAMPLES.md, run in order against both
# services as `make run`'s script starts them (run_examples.sh), with the answers
# the page describes checked.
add_test(NAME docs_examples
  COMMAND bash "${CMAKE_CURRENT_LIST_DIR}/run_examples.sh" "${PROJECT_SOURCE_DIR}" "${CMAKE_BINARY_DIR}/bin")
set_tests_properties(docs_examples PROPERTIES LABELS docs TIMEOUT 180 RUN_SERIAL TRUE FIXTURES_REQUIRED postgres
  ENVIRONMENT "SVC_TEST_PG_ENV_FILE=${SVC_TEST_PG_ENV_FILE}")
