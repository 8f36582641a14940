-- wrk script (make soak): a mixed load on user-service, one connection per thread.
--   wrk -tN -cN -d600s -s bench/lua/soak_users.lua http://127.0.0.1:PORT -- LO HI PAUSE_MS PREFIX
-- The seeded users LO..HI (emails seed<k>@example.com, k = 1..HI-LO+1) are only read,
-- never changed: soak_orders.lua orders for them. Each thread creates, updates and
-- deletes users of its own, so every status is predictable (see soak_lib.lua).
local here = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
local S = dofile(here .. "soak_lib.lua")
S.mix = "users"

local json = S.json
local own = {}      -- this thread's live users: { id =, version = }
local gone = {}     -- ids this thread deleted: a read must be 404
local MAX_OWN, MAX_GONE = 50, 20
local serial = 0

local if_match = S.if_match
local function forget(row) S.forget(own, row) end

local function create()
  serial = serial + 1
  local body = string.format('{"name":"Soak User %d","email":"%s-%d@soak.example","age":%d}',
                             serial, S.prefix, serial, math.random(0, 150))
  return S.send("create", { [201] = true }, "POST", "/api/v1/users", json, body)
end

local function update_body()
  local r = math.random(1, 4)
  serial = serial + 1
  if r == 1 then return string.format('{"age":%d}', math.random(0, 150)) end
  if r == 2 then return string.format('{"name":"Soak Renamed %d"}', serial) end
  if r == 3 then return math.random(2) == 1 and '{"status":"inactive"}' or '{"status":"active"}' end
  return string.format('{"email":"%s-%d-u@soak.example"}', S.prefix, serial)
end

function request()
  local r = math.random(1, 100)
  local u = S.pick(own)
  if not u or (r <= 15 and #own < MAX_OWN) then
    return create()
  elseif r <= 15 or (r > 86 and r <= 94) then
    return S.send("delete", { [204] = true }, "DELETE", "/api/v1/users/" .. u.id, if_match(u.version), nil, u)
  elseif r <= 40 then
    return S.send("get seeded", { [200] = true }, "GET", "/api/v1/users/" .. math.random(S.lo, S.hi))
  elseif r <= 50 then
    return S.send("get own", { [200] = true }, "GET", "/api/v1/users/" .. u.id, nil, nil, u)
  elseif r <= 58 then
    local status = ({ "", "&status=active", "&status=inactive" })[math.random(1, 3)]
    return S.send("list", { [200] = true }, "GET",
                  "/api/v1/users?page=" .. math.random(1, 20) .. "&page_size=20" .. status)
  elseif r <= 66 then
    local k = math.random(1, S.hi - S.lo + 1)
    return S.send("search", { [200] = true }, "GET", "/api/v1/users?page=1&page_size=10&search=seed" .. k .. "%40")
  elseif r <= 84 then
    return S.send("update", { [200] = true }, "PUT", "/api/v1/users/" .. u.id, if_match(u.version), update_body(), u)
  elseif r <= 86 then
    -- a stale If-Match (an older version, or 0 that never exists): must be refused
    return S.send("update stale If-Match", { [412] = true }, "PUT", "/api/v1/users/" .. u.id,
                  if_match(u.version - 1), '{"age":1}', u)
  elseif #gone > 0 and r <= 97 then
    return S.send("get deleted", { [404] = true }, "GET", "/api/v1/users/" .. S.pick(gone))
  end
  return create()
end

function response(status, headers, body)
  local p = S.receive()
  if not p then return end
  local anomaly, u = nil, p.ctx
  if p.op == "create" and status == 201 then
    local id, v = S.body_id(body), S.etag_version(headers)
    if id and v then table.insert(own, { id = id, version = v }) else anomaly = "without id or ETag" end
  elseif p.op == "update" or p.op == "update stale If-Match" then
    local v = S.etag_version(headers)
    if status == 200 and v and v > u.version then
      u.version = v   -- (a 200 to a stale If-Match is counted as unexpected below)
    elseif status == 200 then
      anomaly = "without a newer ETag"
      forget(u)
    elseif status ~= 412 or p.op == "update" then
      forget(u)   -- in an unknown state now: leave it alone
    end
  elseif p.op == "get own" and status == 200 then
    if S.etag_version(headers) ~= u.version then anomaly = "with another version than the last write" end
  elseif p.op == "get own" then
    forget(u)
  elseif p.op == "search" and status == 200 then
    if not string.find(body, '"total":%s*1[,}]') then anomaly = "without exactly one match" end
  elseif p.op == "delete" then
    forget(u)
    if status == 204 then
      if #gone >= MAX_GONE then S.remove_at(gone, math.random(1, #gone)) end
      table.insert(gone, u.id)
    end
  end
  S.finish(p, status, anomaly)
end
