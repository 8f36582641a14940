-- Shared part of the soak mixes (bench/lua/soak_users.lua, soak_orders.lua), loaded
-- with dofile. Every wrk thread has ONE connection (wrk -tN -cN), so a thread's
-- requests and responses strictly alternate: request() notes the operation and the
-- statuses it may get, response() counts the status against that. done() prints one
-- line per (operation, status) for bench/soak.sh:
--   soak|MIX|OPERATION|STATUS|COUNT|expected or unexpected
local M = {}

local threads = {}
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("tid", next_thread)
  table.insert(threads, thread)
end

-- Per thread (each has its own Lua state): "op|status" -> count, and which of
-- those keys were expected.
counts = {}
expected = {}
M.pending = nil
M.pause_ms = 10

-- args: LO HI PAUSE_MS PREFIX (seeded user ids LO..HI; PREFIX keeps emails and
-- idempotency keys of two runs apart).
function init(args)
  M.lo = tonumber(args[1]) or 1
  M.hi = tonumber(args[2]) or 10000
  M.pause_ms = tonumber(args[3]) or M.pause_ms
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
  M.prefix = string.format("%s-%d-%d", args[4] or "soak", tid or 0, math.random(1, 1000000000))
end

-- A pause before each request keeps the load moderate (wrk has no rate option).
function delay()
  return M.pause_ms
end

function M.count(op, status, ok)
  local key = op .. "|" .. status
  counts[key] = (counts[key] or 0) + 1
  if ok then expected[key] = true end
end

-- want: { [status] = true }. Returns the request string.
M.calls = 0
function M.send(op, want, method, path, headers, body, ctx)
  M.calls = M.calls + 1
  if M.pending and not M.pending.unsent then
    -- request() again without a response: wrk reconnected after a broken connection
    M.count(M.pending.op, "none", false)
  end
  -- wrk calls request() of its first thread once before the run to check it; that
  -- request is never sent
  M.pending = { op = op, want = want, ctx = ctx, unsent = (M.calls == 1 and tid == 1) }
  return wrk.format(method, path, headers, body)
end

-- The pending request that this response answers (nil, counted, if there is none).
function M.receive()
  local p = M.pending
  M.pending = nil
  if not p then M.count("unmatched", "?", false) end
  return p
end

-- Counts STATUS for P; ANOMALY (a short text) marks a wanted status whose response
-- was still wrong, e.g. an order not validated although user-service was up.
function M.finish(p, status, anomaly)
  if anomaly then
    M.count(p.op, tostring(status) .. " " .. anomaly, false)
  else
    M.count(p.op, tostring(status), p.want[status] == true)
  end
end

function M.header(headers, name)
  local lower = string.lower(name)
  for k, v in pairs(headers) do
    if string.lower(k) == lower then return v end
  end
  return nil
end

-- The version from a strong ETag ("3"), or nil.
function M.etag_version(headers)
  local e = M.header(headers, "ETag")
  return e and tonumber(string.match(e, '^"(%d+)"$')) or nil
end

function M.body_id(body)
  return body and tonumber(string.match(body, '"data":%s*{%s*"id":%s*(%d+)')
                           or string.match(body, '"id":%s*(%d+)')) or nil
end

function M.pick(list)
  if #list == 0 then return nil, nil end
  local i = math.random(1, #list)
  return list[i], i
end

function M.remove_at(list, i)
  list[i] = list[#list]
  list[#list] = nil
end

-- Drops `item` from `list` (the thread's own rows) if it is there.
function M.forget(list, item)
  for i, v in ipairs(list) do
    if v == item then M.remove_at(list, i); return end
  end
end

M.json = { ["Content-Type"] = "application/json" }

-- The headers of a conditional write of version `version`.
function M.if_match(version)
  return { ["Content-Type"] = "application/json", ["If-Match"] = '"' .. version .. '"' }
end

function done(summary, latency, requests)
  local total, all_ok = {}, {}
  for _, t in ipairs(threads) do
    local c = t:get("counts") or {}
    local e = t:get("expected") or {}
    for k, n in pairs(c) do total[k] = (total[k] or 0) + n end
    for k, _ in pairs(e) do all_ok[k] = true end
  end
  local keys = {}
  for k, _ in pairs(total) do table.insert(keys, k) end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local op, status = string.match(k, "^(.-)|(.*)$")
    io.write(string.format("soak|%s|%s|%s|%d|%s\n", M.mix or "?", op, status, total[k],
                           all_ok[k] and "expected" or "unexpected"))
  end
end

return M
