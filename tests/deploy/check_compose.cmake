# check_compose.cmake: deploy/docker-compose.yml passes secrets as files (the Docker
# secrets convention, like deploy/k8s), never in the environment.
#
#   cmake -DCOMPOSE=deploy/docker-compose.yml -P check_compose.cmake
if(NOT COMPOSE)
  message(FATAL_ERROR "usage: cmake -DCOMPOSE=file -P check_compose.cmake")
endif()
file(READ "${COMPOSE}" text)
set(errors "")
# A URL with credentials, or a password, in an environment entry.
if(text MATCHES "\n[ ]+DATABASE_URL:[^\n]*://")
  string(APPEND errors "  DATABASE_URL is set in the environment: use DATABASE_URL_FILE and a secret\n")
endif()
if(text MATCHES "\n[ ]+POSTGRES_PASSWORD:")
  string(APPEND errors "  POSTGRES_PASSWORD is set in the environment: use POSTGRES_PASSWORD_FILE and a secret\n")
endif()
foreach(secret users_database_url orders_database_url users_db_password orders_db_password)
  if(NOT text MATCHES "/run/secrets/${secret}\n")
    string(APPEND errors "  /run/secrets/${secret} is not used\n")
  endif()
  if(NOT text MATCHES "\n  ${secret}:\n    file: ")
    string(APPEND errors "  the secret ${secret} is not declared from a file\n")
  endif()
endforeach()
if(errors)
  message(FATAL_ERROR "${COMPOSE}:\n${errors}")
endif()
message(STATUS "docker-compose.yml: database URLs and passwords come from secret files")
