-- pgbench custom script: one INSERT per transaction, the statement user-service runs
-- for POST /api/v1/users (persistence/users_repository.cpp, users_insert), on
-- user-service's own users table (database users, created by its migrations): the
-- same indexes, settings and counter trigger by construction. The email is unique
-- per transaction: client id + a random 50-bit number. The to_char format is
-- spelled E'...\x3a...' because pgbench would take ":MI" and ":SS" for its
-- variables; the string PostgreSQL sees is the same as the service's.
--   pgbench -n -M prepared -c16 -j2 -T10 -f bench/sql/pgbench_insert_user.sql users
\set r random(1, 1125899906842624)
INSERT INTO users (name, email, age, status)
VALUES ('Bench User', 'ref-' || :client_id || '-' || :r || '@bench.example', 30, 'active')
RETURNING id, name, email, age, status, version,
  to_char(created_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS.US"Z"'),
  to_char(updated_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS.US"Z"');
