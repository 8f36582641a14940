-- pgbench custom script: a plain one-row INSERT into a table with a primary key
-- and nothing else (no secondary index, no trigger), in the users database. Beside
-- pgbench_insert_user.sql it shows what the users table's own schema costs a write
-- (trigram indexes, the unique email index, the live-row counters).
--   pgbench -n -M prepared -c16 -j2 -T10 -f bench/sql/pgbench_insert_plain.sql users
\set r random(1, 1125899906842624)
INSERT INTO bench_plain_rows (name, email) VALUES ('Bench User', 'plain-' || :client_id || '-' || :r || '@bench.example')
RETURNING id;
