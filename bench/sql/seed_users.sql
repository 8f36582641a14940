-- Seeds users "seed<g>@example.com" for g in [:from, :to] into the users table that
-- user-service has migrated (persistence/users_repository.cpp), then refreshes the
-- planner statistics and the visibility map.
--   psql -v from=1 -v to=10000 -f bench/sql/seed_users.sql <users database>
INSERT INTO users (name, email, age, status)
SELECT 'Seed User ' || g,
       'seed' || g || '@example.com',
       g % 100,
       CASE WHEN g % 10 = 0 THEN 'inactive' ELSE 'active' END
FROM generate_series(:from::bigint, :to::bigint) AS g;
VACUUM (ANALYZE) users;
