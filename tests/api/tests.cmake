# The OpenAPI documents of docs/api/ (included by tests/CMakeLists.txt): linted by
# Redocly's CLI (the version pinned in docs/api/package-lock.json, installed by
# `make deps` or on the first run). Any lint error fails `make test`. That the
# services serve these documents and route exactly what they document is checked
# end to end (serves_its_openapi_document in tests/e2e/).
find_program(SVC_BASH_EXECUTABLE bash REQUIRED)
add_test(NAME api_docs_lint COMMAND "${SVC_BASH_EXECUTABLE}" "${PROJECT_SOURCE_DIR}/docs/api/lint.sh")
set_tests_properties(api_docs_lint PROPERTIES LABELS docs TIMEOUT 300)

# The response checker itself (docs/api/check_responses.sh, run on the suites'
# recorded responses by api_responses_conform in tests/e2e/) must refuse a body
# off its schema and an undocumented status.
add_test(NAME api_responses_checker_refuses
         COMMAND "${SVC_BASH_EXECUTABLE}" "${PROJECT_SOURCE_DIR}/docs/api/check_responses.sh"
                 "${CMAKE_CURRENT_LIST_DIR}/not_as_documented.jsonl")
set_tests_properties(api_responses_checker_refuses PROPERTIES LABELS docs TIMEOUT 300 WILL_FAIL TRUE)
