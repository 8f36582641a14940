-- wrk script (make soak): a mixed load on order-service, one connection per thread.
--   wrk -tN -cN -d600s -s bench/lua/soak_orders.lua http://127.0.0.1:PORT -- LO HI PAUSE_MS PREFIX
-- Orders are for the seeded users LO..HI, which soak_users.lua never changes, and
-- user-service stays up: every order must come back with user_validated true. Each
-- thread reads and updates orders of its own (see soak_lib.lua).
local here = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
local S = dofile(here .. "soak_lib.lua")
S.mix = "orders"

local json = S.json
local own = {}      -- this thread's orders: { id =, version = }
local MAX_OWN = 100
local last_keyed = nil   -- { key =, body =, id = } of the last create with an Idempotency-Key
local serial = 0
local statuses = { "pending", "confirmed", "shipped", "delivered", "cancelled" }

local if_match = S.if_match
local function forget(row) S.forget(own, row) end

local function order_body()
  serial = serial + 1
  return string.format('{"user_id":%d,"product_name":"Gadget %d","quantity":%d,"price":%d.%02d}',
                       math.random(S.lo, S.hi), serial, math.random(1, 20), math.random(1, 500), math.random(0, 99))
end

local function update_body()
  local r = math.random(1, 4)
  if r == 1 then return string.format('{"quantity":%d}', math.random(1, 10000)) end
  if r == 2 then return string.format('{"price":%d.%02d}', math.random(1, 999), math.random(0, 99)) end
  if r == 3 then return '{"status":"' .. statuses[math.random(1, #statuses)] .. '"}' end
  serial = serial + 1
  return string.format('{"product_name":"Gadget %d renamed"}', serial)
end

function request()
  local r = math.random(1, 100)
  local o = S.pick(own)
  if not o or r <= 22 then
    return S.send("create", { [201] = true }, "POST", "/api/v1/orders", json, order_body())
  elseif r <= 25 then
    serial = serial + 1
    local k = { key = string.format("%s-%d", S.prefix, serial), body = order_body() }
    local h = { ["Content-Type"] = "application/json", ["Idempotency-Key"] = k.key }
    return S.send("create with Idempotency-Key", { [201] = true }, "POST", "/api/v1/orders", h, k.body, k)
  elseif r <= 28 and last_keyed then
    local h = { ["Content-Type"] = "application/json", ["Idempotency-Key"] = last_keyed.key }
    return S.send("replay of an Idempotency-Key", { [201] = true }, "POST", "/api/v1/orders", h,
                  last_keyed.body, last_keyed)
  elseif r <= 48 then
    return S.send("get own", { [200] = true }, "GET", "/api/v1/orders/" .. o.id, nil, nil, o)
  elseif r <= 60 then
    local filter = ({ "", "&status=pending", "&user_id=" .. math.random(S.lo, S.hi) })[math.random(1, 3)]
    return S.send("list", { [200] = true }, "GET",
                  "/api/v1/orders?page=" .. math.random(1, 10) .. "&page_size=20" .. filter)
  elseif r <= 66 then
    return S.send("search", { [200] = true }, "GET", "/api/v1/orders?page=1&page_size=10&search=Gadget%20" .. math.random(1, 999))
  elseif r <= 92 then
    return S.send("update", { [200] = true }, "PUT", "/api/v1/orders/" .. o.id, if_match(o.version), update_body(), o)
  elseif r <= 94 then
    return S.send("update stale If-Match", { [412] = true }, "PUT", "/api/v1/orders/" .. o.id,
                  if_match(o.version - 1), '{"quantity":1}', o)
  elseif r <= 96 then
    return S.send("get missing", { [404] = true }, "GET", "/api/v1/orders/" .. (2000000000 + math.random(1, 1000)))
  end
  return S.send("get own", { [200] = true }, "GET", "/api/v1/orders/" .. o.id, nil, nil, o)
end

local function keep(id, version)
  if #own >= MAX_OWN then S.remove_at(own, math.random(1, #own)) end
  table.insert(own, { id = id, version = version })
end

function response(status, headers, body)
  local p = S.receive()
  if not p then return end
  local anomaly, c = nil, p.ctx
  if (p.op == "create" or p.op == "create with Idempotency-Key") and status == 201 then
    local id, v = S.body_id(body), S.etag_version(headers)
    if not (id and v) then
      anomaly = "without id or ETag"
    elseif not string.find(body, '"user_validated":%s*true') then
      anomaly = "with user_validated false (user-service is up)"
    else
      keep(id, v)
      if c then c.id = id; last_keyed = c end
    end
  elseif p.op == "replay of an Idempotency-Key" and status == 201 then
    if S.header(headers, "Idempotent-Replayed") ~= "true" then
      anomaly = "without Idempotent-Replayed: true"
    elseif S.body_id(body) ~= c.id then
      anomaly = "with another order id than the first response"
    end
  elseif p.op == "update" or p.op == "update stale If-Match" then
    local v = S.etag_version(headers)
    if status == 200 and v and v > c.version then
      c.version = v   -- (a 200 to a stale If-Match is counted as unexpected below)
    elseif status == 200 then
      anomaly = "without a newer ETag"
      forget(c)
    elseif status ~= 412 or p.op == "update" then
      forget(c)
    end
  elseif p.op == "get own" and status == 200 then
    if S.etag_version(headers) ~= c.version then anomaly = "with another version than the last write" end
  elseif p.op == "get own" then
    forget(c)
  end
  S.finish(p, status, anomaly)
end
