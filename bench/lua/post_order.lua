-- wrk script: POST /api/v1/orders for a user id drawn at random from [lo, hi]
-- (ids that exist in user-service).
--   wrk ... -s bench/lua/post_order.lua http://127.0.0.1:PORT -- LO HI
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("tid", next_thread)
end

local lo, hi = 1, 10000
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  lo = tonumber(args[1]) or lo
  hi = tonumber(args[2]) or hi
  math.randomseed(os.time() * 1000 + (tid or 0))
end

function request()
  local body = string.format(
    '{"user_id":%d,"product_name":"Widget","quantity":3,"price":19.99}', math.random(lo, hi))
  return wrk.format("POST", "/api/v1/orders", headers, body)
end
