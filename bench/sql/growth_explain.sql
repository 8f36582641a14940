-- Growth mode: EXPLAIN (ANALYZE, BUFFERS) of the three read paths of user-service,
-- prepared exactly as the service prepares them (persistence/users_repository.cpp:
-- users_find, users_list + users_count), each executed 5 times first so that the
-- plan shown is the one a pooled connection settles on (PostgreSQL may switch a
-- prepared statement to its generic plan from the 6th execution on).
--   psql -v id=4242 -v search="'%seed4242@%'" -f bench/sql/growth_explain.sql users
\set QUIET on
\pset pager off
PREPARE users_find AS
  SELECT id, name, email, age, status, version,
    to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
  FROM users WHERE id = $1 AND deleted_at IS NULL;
PREPARE users_list AS
  SELECT id, name, email, age, status, version,
    to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
  FROM users
  WHERE deleted_at IS NULL AND ($1::text IS NULL OR status = $1)
    AND ($2::text IS NULL OR lower(name) LIKE lower($2) OR email LIKE lower($2))
  ORDER BY id DESC LIMIT $3 OFFSET $4;
PREPARE users_count AS
  SELECT count(*) FROM users
  WHERE deleted_at IS NULL AND ($1::text IS NULL OR status = $1)
    AND ($2::text IS NULL OR lower(name) LIKE lower($2) OR email LIKE lower($2));

-- Five warm-up executions of each shape (output discarded).
\o /dev/null
EXECUTE users_find(:id); EXECUTE users_find(:id); EXECUTE users_find(:id);
EXECUTE users_find(:id); EXECUTE users_find(:id);
EXECUTE users_count(NULL, NULL); EXECUTE users_count(NULL, NULL); EXECUTE users_count(NULL, NULL);
EXECUTE users_count(NULL, NULL); EXECUTE users_count(NULL, NULL);
EXECUTE users_list(NULL, NULL, 10, 0); EXECUTE users_list(NULL, NULL, 10, 0);
EXECUTE users_list(NULL, NULL, 10, 0); EXECUTE users_list(NULL, NULL, 10, 0);
EXECUTE users_list(NULL, NULL, 10, 0);
\o

\echo '### get by id: users_find(' :id ')'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE users_find(:id);
\echo '### first list page: users_count(NULL, NULL)'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE users_count(NULL, NULL);
\echo '### first list page: users_list(NULL, NULL, 10, 0)'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE users_list(NULL, NULL, 10, 0);

-- The search shape on fresh statements, so that its plan history is its own.
DEALLOCATE users_list;
DEALLOCATE users_count;
PREPARE users_list AS
  SELECT id, name, email, age, status, version,
    to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
  FROM users
  WHERE deleted_at IS NULL AND ($1::text IS NULL OR status = $1)
    AND ($2::text IS NULL OR lower(name) LIKE lower($2) OR email LIKE lower($2))
  ORDER BY id DESC LIMIT $3 OFFSET $4;
PREPARE users_count AS
  SELECT count(*) FROM users
  WHERE deleted_at IS NULL AND ($1::text IS NULL OR status = $1)
    AND ($2::text IS NULL OR lower(name) LIKE lower($2) OR email LIKE lower($2));
\o /dev/null
EXECUTE users_count(NULL, :search); EXECUTE users_count(NULL, :search);
EXECUTE users_count(NULL, :search); EXECUTE users_count(NULL, :search);
EXECUTE users_count(NULL, :search);
EXECUTE users_list(NULL, :search, 10, 0); EXECUTE users_list(NULL, :search, 10, 0);
EXECUTE users_list(NULL, :search, 10, 0); EXECUTE users_list(NULL, :search, 10, 0);
EXECUTE users_list(NULL, :search, 10, 0);
\o
\echo '### selective search: users_count(NULL, ' :search ')'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE users_count(NULL, :search);
\echo '### selective search: users_list(NULL, ' :search ', 10, 0)'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE users_list(NULL, :search, 10, 0);
