-- The reference table of the insert scenarios, in the separate `bench` database:
-- the same columns, constraints and indexes as migrations 1 and 4 of user-service
-- (persistence/users_repository.cpp), seeded with as many rows as the service's
-- users table.
--   psql -v users=10000 -f bench/sql/users_ref.sql bench
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
DROP TABLE IF EXISTS users_ref;
CREATE TABLE users_ref (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL,
  age integer CHECK (age BETWEEN 0 AND 150),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
  version bigint NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz);
CREATE UNIQUE INDEX users_ref_email_live_key ON users_ref (lower(email)) WHERE deleted_at IS NULL;
CREATE INDEX users_ref_status_id_idx ON users_ref (status, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX users_ref_name_trgm_idx ON users_ref USING gin (lower(name) gin_trgm_ops)
  WHERE deleted_at IS NULL;
CREATE INDEX users_ref_email_trgm_idx ON users_ref USING gin (email gin_trgm_ops)
  WHERE deleted_at IS NULL;
-- as migration 4 of user-service
ALTER INDEX users_ref_name_trgm_idx SET (gin_pending_list_limit = 128);
ALTER INDEX users_ref_email_trgm_idx SET (gin_pending_list_limit = 128);
INSERT INTO users_ref (name, email, age, status)
SELECT 'Seed User ' || g, 'seed' || g || '@example.com', g % 100,
       CASE WHEN g % 10 = 0 THEN 'inactive' ELSE 'active' END
FROM generate_series(1, :users::bigint) AS g;
VACUUM (ANALYZE) users_ref;
