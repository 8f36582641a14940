-- Growth mode: EXPLAIN (ANALYZE, BUFFERS) of the three read paths of user-service,
-- run the way the service runs them:
--   get by id      the prepared statement users_find (persistence/users_repository.cpp),
--                  executed 5 times first, so that the plan shown is the one a pooled
--                  connection settles on (PostgreSQL may switch a prepared statement
--                  to its generic plan from the 6th execution on);
--   first page     the prepared statement users_page (persistence/paged_list.cpp,
--                  page_statements), after 5 executions like users_find;
--   search         one statement for the total and the page (persistence/paged_list.cpp),
--                  sent unprepared with its values, so planned with them: the same
--                  as the literal statement below.
--   psql -v id=4242 -v search="'%seed4242@%'" -f bench/sql/growth_explain.sql users
\set QUIET on
\pset pager off
PREPARE users_find AS
  SELECT id, name, email, age, status, version,
    to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
  FROM users WHERE id = $1 AND deleted_at IS NULL;

PREPARE users_page AS
  SELECT t.total, p.* FROM (SELECT COALESCE(sum(n), 0)::bigint AS total FROM live_row_counts) t
  LEFT JOIN LATERAL (
    SELECT id, name, email, age, status, version,
      to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
      to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    FROM users WHERE deleted_at IS NULL ORDER BY id DESC LIMIT $1::bigint OFFSET $2::bigint) p ON true;

\o /dev/null
EXECUTE users_find(:id); EXECUTE users_find(:id); EXECUTE users_find(:id);
EXECUTE users_find(:id); EXECUTE users_find(:id);
EXECUTE users_page(10, 0); EXECUTE users_page(10, 0); EXECUTE users_page(10, 0);
EXECUTE users_page(10, 0); EXECUTE users_page(10, 0);
\o

\echo '### get by id: users_find(' :id ')'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE users_find(:id);

\echo '### first list page: total from live_row_counts, page 1 of 10 (users_page(10, 0))'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE users_page(10, 0);

\echo '### selective search: count and page 1 of 10 for' :search
EXPLAIN (ANALYZE, BUFFERS)
WITH matches AS MATERIALIZED (
  SELECT id FROM users
  WHERE deleted_at IS NULL AND (lower(name) LIKE lower(:search) OR email LIKE lower(:search)))
SELECT t.total, p.* FROM (SELECT count(*) AS total FROM matches) t
LEFT JOIN LATERAL (
  SELECT id, name, email, age, status, version,
    to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
  FROM users
  WHERE id IN (SELECT id FROM matches ORDER BY id DESC LIMIT 10 OFFSET 0)
  ORDER BY id DESC) p ON true;
