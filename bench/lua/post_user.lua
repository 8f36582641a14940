-- wrk script: POST /api/v1/users, a unique email on every request
-- (PREFIX-<thread>-<random>-<counter>@bench.example).
--   wrk ... -s bench/lua/post_user.lua http://127.0.0.1:PORT -- PREFIX
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("tid", next_thread)
end

local prefix = "bench"
local counter = 0
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  -- a random part too, so that two runs given the same PREFIX do not collide
  math.randomseed(os.time() * 1000 + (tid or 0))
  prefix = string.format("%s-%d-%d", args[1] or prefix, tid or 0, math.random(1, 1000000000))
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"name":"Bench User","email":"%s-%d@bench.example","age":30}', prefix, counter)
  return wrk.format("POST", "/api/v1/users", headers, body)
end
