# The OpenAPI documents of docs/api/ (included by tests/CMakeLists.txt): linted by
# Redocly's CLI (the version pinned in docs/api/package-lock.json, installed by
# `make deps` or on the first run). Any lint error fails `make test`. That the
# services serve these documents and route exactly what they document is checked
# end to end (serves_its_openapi_document in tests/e2e/).
find_program(SVC_BASH_EXECUTABLE bash REQUIRED)
add_test(NAME api_docs_lint COMMAND "${SVC_BASH_EXECUTABLE}" "${PROJECT_SOURCE_DIR}/docs/api/lint.sh")
set_tests_properties(api_docs_lint PROPERTIES LABELS docs TIMEOUT 300)
